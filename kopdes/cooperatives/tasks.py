"""Background work of the cooperatives app. Tasks receive ids, never model instances."""

from __future__ import annotations

from django_tasks import task


@task()
def import_run(job_id: int) -> dict:
    """Run a confirmed spreadsheet import (see `imports.import_execute`); returns its counts."""
    from .imports import import_execute

    job = import_execute(job_id=job_id)
    if job is None:
        return {"job": job_id, "status": "missing"}
    return {
        "job": job.pk,
        "status": job.status,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
    }
