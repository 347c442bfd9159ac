"""What coverage counts, and in which order the pages, the export and the API show it.

The measures are those of `kopdes.cooperatives.selectors.cooperative_measures` (the payload of
the "cooperatives.changed" event); a region's value is the sum over the cooperatives seated in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kopdes.cooperatives.choices import STAGE_ORDER, Scheme
from kopdes.market.choices import OrderStatus

SCHEMES: list[str] = list(Scheme.values)
# "none": registered, no formation stage recorded yet.
STAGES: list[str] = ["none", *STAGE_ORDER]

SCHEME_LABELS: dict[str, StrOrPromise] = {
    "new": _("New"),
    "develop": _("Develop"),
    "revitalize": _("Revitalise"),
}
STAGE_LABELS: dict[str, StrOrPromise] = {
    "none": _("Not started"),
    "sosialisasi": _("Socialisation"),
    "musdesus": _("Musdesus"),
    "rapat_pendirian": _("Founding meeting"),
    "akta_notaris": _("Notarial deed"),
    "badan_hukum": _("Legal entity (AHU)"),
    "nib": _("NIB"),
    "operasional": _("Operating"),
}


@dataclass(frozen=True)
class Column:
    key: str  # a measure, or "villages" (from the region tree) or "percent" (computed)
    label: StrOrPromise
    group: StrOrPromise = ""


BY_SCHEME = _("By scheme")
BY_STAGE = _("By stage")

COLUMNS: list[Column] = [
    Column("villages", _("Villages")),
    Column("villages_covered", _("With a cooperative")),
    Column("percent", _("Covered (%)")),
    Column("cooperatives", _("Cooperatives")),
    *[Column(f"scheme:{s}", SCHEME_LABELS[s], BY_SCHEME) for s in SCHEMES],
    *[Column(f"stage:{s}", STAGE_LABELS[s], BY_STAGE) for s in STAGES],
    Column("legal_entity", _("Legal entity")),
    Column("members_active", _("Active members")),
    Column("units_operating", _("Units operating")),
    Column("seven_units_operating", _("All seven units operating")),
]

# Every measure a RegionStat row may hold, in display order.
MEASURES: list[str] = [c.key for c in COLUMNS if c.key not in ("villages", "percent")]


def codes_up(code: str) -> list[str]:
    """A region's code and every code above it, the nation ("") first: 53.07 -> ["", "53", "53.07"]."""
    if not code:
        return [""]
    parts = code.split(".")
    return ["", *(".".join(parts[:i]) for i in range(1, len(parts) + 1))]


def parent_code(code: str) -> str:
    """53.07.01 -> 53.07; 53 -> "" (the nation)."""
    return code.rpartition(".")[0]


# --- Monthly measures (MonthStat) ------------------------------------------------------------

# States that the fold also keeps in RegionStat (coverage's own states are written there by the
# cooperatives.changed subscriber, in the same transaction as the facts).
FOLDED_STATE_PREFIXES = ("products:", "products_line:", "products_stars:", "potential:", "orders:", "gmv:")
COVERAGE_PREFIXES = ("scheme:", "stage:", "units:")
# Orders whose money counts as sold: paid and not cancelled or returned.
SOLD_STATUSES = ("paid", "processing", "shipped", "received", "completed")
# Of the folded states, a village's own row keeps only what is read there: its products ready and
# curated (the village's page) and the money of its orders sold (its district's page, one column
# per village), which comes in the row of their count. The district and every level above keep
# them all. A village's other facts are read from its cooperative's rows, as its months are;
# keeping every state of 84,000 villages made RegionStat 2.0 M rows rather than 1.0 M, and a fold
# of 10,000 orders write 19,000 village rows rather than 4,000 (ADR 13). `VILLAGE_STATES` is
# below, with the rows that hold money.
PRODUCT_STATES = ("products:ready", "products:curated")
SOLD_MEASURES = tuple(f"gmv:{s}" for s in SOLD_STATUSES)
COVERAGE_STATES = frozenset(MEASURES)

# A count and its money are one row: the row of "orders:paid" holds the paid orders in `value`
# and their rupiah in `amount`, read as the two measures "orders:paid" and "gmv:paid". An order
# moves both together, so a fold writes one row where it wrote two (ADR 13, sixth session).
ORDER_STATUSES = tuple(OrderStatus.values)
MONEY_OF: dict[str, str] = {
    **{f"orders:{s}": f"gmv:{s}" for s in ORDER_STATUSES},
    "orders_created": "gmv_created",
    "orders_paid": "gmv_paid",
    "display_sales_count": "display_sales",
}
COUNT_OF: dict[str, str] = {money: count for count, money in MONEY_OF.items()}
# The rows a village keeps: its products ready and curated, its orders sold (with their money).
VILLAGE_STATES = frozenset((*PRODUCT_STATES, *(COUNT_OF[m] for m in SOLD_MEASURES)))


def stored(measures: Iterable[str]) -> list[str]:
    """The rows that hold `measures`: a money measure is held by its count's row."""
    return list(dict.fromkeys(COUNT_OF.get(m, m) for m in measures))


def read(measure: str, value: int, amount: int) -> Iterator[tuple[str, int]]:
    """The measures a row holds: its own, and its money when it is a count with one."""
    yield measure, value
    money = MONEY_OF.get(measure)
    if money is not None:
        yield money, amount


def is_state(measure: str) -> bool:
    """A state (a count of things as they are) rather than a flow (things that happened)."""
    return is_coverage(measure) or measure.startswith(FOLDED_STATE_PREFIXES)


def is_coverage(measure: str) -> bool:
    return measure in COVERAGE_STATES or measure.startswith(COVERAGE_PREFIXES)


def state_codes(code: str, measure: str) -> list[str]:
    """The regions whose RegionStat row a folded state of `code` moves: every level above, and
    the village itself only for the states it keeps (`VILLAGE_STATES`)."""
    codes = codes_up(code)
    kept = COUNT_OF.get(measure, measure) in VILLAGE_STATES  # money is kept with its count
    return codes[:-1] if code.count(".") == 3 and not kept else codes


def month_codes(code: str) -> list[str]:
    """The regions whose MonthStat rows a fact of `code` moves: every level above, down to the
    district. A village's own months are read from its cooperative's facts (one village is small)."""
    codes = codes_up(code)
    return codes[:-1] if code.count(".") == 3 else codes
