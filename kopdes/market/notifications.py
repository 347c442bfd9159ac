"""Telling buyers and sellers what happened to an order: email, and WhatsApp click-to-chat links."""

from __future__ import annotations


def order_notify_later(*, order_id: int, what: str) -> None:
    """Queue the notifications for an order event (called after commit)."""
    from .tasks import order_notify

    order_notify.enqueue(order_id, what)


def order_notify_send(*, order_id: int, what: str) -> int:
    return 0
