"""The task queue round trip on the configured backend: database (SQLite default) or RQ on Redis."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django_tasks import TaskResultStatus, task_backends

from kopdes.core.tasks import queue_probe


def run_worker() -> None:
    if settings.REDIS_URL:
        import django_rq
        from rq import SimpleWorker

        # SimpleWorker runs the job in this process, inside the test's database transaction.
        worker = django_rq.get_worker("default", worker_class=SimpleWorker, job_class="django_tasks_rq.Job")
        worker.work(burst=True)
    else:
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.mark.django_db
def test_a_task_is_queued_and_run_by_a_worker():
    if settings.REDIS_URL:
        import django_rq

        django_rq.get_queue("default").empty()
    result = queue_probe.enqueue("kopdes-42")
    assert result.status == TaskResultStatus.READY

    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "kopdes-42"
    expected = "RQBackend" if settings.REDIS_URL else "DatabaseBackend"
    assert type(task_backends["default"]).__name__ == expected
