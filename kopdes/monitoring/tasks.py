"""Background work of monitoring. Tasks receive ids or nothing, never model instances."""

from __future__ import annotations

from django_tasks import task


@task()
def rollups_fold_task() -> int:
    """Fold the pending rollup changes into the monthly tables (scheduled after each commit)."""
    from .services import rollups_fold

    return rollups_fold().deltas


@task()
def report_build_task(job_id: int) -> dict:
    """Make a region's monthly report (PDF and Excel), queued by `report_request`; returns its end state."""
    from .services_reports import report_build

    job = report_build(job_id=job_id)
    if job is None:
        return {"job": job_id, "status": "missing"}
    return {"job": job.pk, "status": job.status, "progress": job.progress}
