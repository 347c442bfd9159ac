"""The read side listens: domain events from the services keep the rollups current.

Handlers run inside the publishing service's transaction (kopdes.core.events), so a rollup
changes together with the facts it counts, or not at all.
"""

from __future__ import annotations

from kopdes.core.events import subscribe

from .facts import connect as facts_connect
from .facts import coverage_changed
from .services import measure_deltas, region_stats_add


@subscribe("cooperatives.changed")
def cooperative_changed(
    *, village_code: str, before: dict[str, int], after: dict[str, int], **_extra
) -> None:
    """A cooperative's measures changed: move its seat village and every region above it."""
    region_stats_add(region_code=village_code, deltas=measure_deltas(before, after))
    coverage_changed(village_code=village_code, before=before, after=after)  # the monthly rollups


facts_connect()  # products' and the market's facts, by Django signals (see facts.py)
