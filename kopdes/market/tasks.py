"""Background work of the market. Tasks receive ids, never model instances."""

from __future__ import annotations

from django_tasks import task


@task()
def order_notify(order_id: int, what: str) -> int:
    """Send the emails for an order event; returns how many were sent."""
    from .notifications import order_notify_send

    return order_notify_send(order_id=order_id, what=what)


@task()
def orders_expire_task() -> int:
    from .services_orders import orders_expire

    return orders_expire()
