"""Background work of the market. Tasks receive ids, never model instances."""

from __future__ import annotations

from django_tasks import task


@task()
def order_notices_send_task() -> int:
    """Send the notifications the outbox holds (queued after a commit that wrote some)."""
    from .notifications import order_notices_send

    return order_notices_send()


@task()
def orders_expire_task() -> int:
    from .services_orders import orders_expire

    return orders_expire()
