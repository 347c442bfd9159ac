"""Background work of the products app. Tasks receive ids or dates, never model instances."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def licences_daily(on_date: str | None = None) -> dict:
    """The daily licence job: expire what has passed its date, then send the reminders."""
    from .services_licences import licence_reminders_send, licences_expire

    day = dt.date.fromisoformat(on_date) if on_date else None
    return {**licences_expire(on_date=day), **licence_reminders_send(on_date=day)}
