"""Background work of monitoring. Tasks receive ids or nothing, never model instances."""

from __future__ import annotations

from django_tasks import task


@task()
def rollups_fold_task() -> int:
    """Fold the pending rollup changes into the monthly tables (scheduled after each commit)."""
    from .services import rollups_fold

    return rollups_fold().deltas
