"""Reading orders: by private link, a buyer's own, a cooperative's board, its settlement record."""

from __future__ import annotations

import hmac

from django.db.models import Count, QuerySet, Sum

from kopdes.core.errors import NotFound
from kopdes.core.policies import require

from .models import Order, Payment, SettlementEntry

ORDER_RELATED = ("cooperative", "pickup_location", "address_village", "delivery_zone")


def order_by_link(*, user, number: str, token: str) -> Order:
    """The order a private link points to; marked `via_link` so its holder acts as the buyer."""
    order = Order.objects.select_related(*ORDER_RELATED).filter(number=number).first()
    if order is None or not hmac.compare_digest(order.access_token, token or ""):
        raise NotFound()
    order.via_link = True
    require(user, "market.order.view", order)
    return order


def order_get(*, user, number: str) -> Order:
    """An order by number, for its buyer (by account), its cooperative's officers or an admin."""
    order = Order.objects.select_related(*ORDER_RELATED).filter(number=number).first()
    if order is None:
        raise NotFound()
    require(user, "market.order.view", order)
    return order


def orders_of_buyer(*, user) -> QuerySet[Order]:
    require(user, "market.orders.mine", None)
    return Order.objects.filter(buyer=user).select_related("cooperative").order_by("-created_at", "-id")


def order_board(*, user, cooperative, status: str | None = None) -> QuerySet[Order]:
    """A cooperative's orders, newest first, optionally of one status."""
    require(user, "market.orders.board", cooperative)
    orders = Order.objects.filter(cooperative=cooperative).order_by("-created_at", "-id")
    if status:
        orders = orders.filter(status=status)
    return orders


def order_board_counts(*, user, cooperative) -> dict[str, int]:
    require(user, "market.orders.board", cooperative)
    rows = Order.objects.filter(cooperative=cooperative).values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}


def order_detail(order: Order) -> dict:
    """What an order page shows besides the order: its lines, steps and payments (3 queries)."""
    return {
        "lines": list(order.lines.all()),
        "events": list(order.events.all()),
        "payments": list(order.payments.all()),
    }


def settlement_entries(*, user, cooperative) -> QuerySet[SettlementEntry]:
    require(user, "market.settlement.view", cooperative)
    return (
        SettlementEntry.objects.filter(cooperative=cooperative)
        .select_related("order")
        .order_by("-created_at", "-id")
    )


def settlement_balance(*, user, cooperative) -> int:
    require(user, "market.settlement.view", cooperative)
    return (
        SettlementEntry.objects.filter(cooperative=cooperative).aggregate(total=Sum("amount"))["total"] or 0
    )


def refunds_due(*, user, cooperative) -> QuerySet[Payment]:
    require(user, "market.settlement.view", cooperative)
    return Payment.objects.filter(
        order__cooperative=cooperative, kind="refund", refund_status="due"
    ).select_related("order")
