"""Reading for the buyer's pages: the cart grouped by cooperative, each cooperative's delivery and
payment options at checkout, the orders of one checkout, reviews of order lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kopdes.core.policies import require

from .choices import LocationKind, PaymentMethod
from .models import Cart, CartItem, DeliveryZone, Location, Order, OrderLine, Review, SellerSettings


@dataclass
class CartLine:
    item: CartItem
    problems: list[str] = field(default_factory=list)

    @property
    def listing(self):
        return self.item.listing

    @property
    def line_total(self) -> int:
        return self.item.listing.price * self.item.quantity


@dataclass
class CartGroup:
    """The part of the cart one cooperative sells: it becomes one order."""

    cooperative: Any
    lines: list[CartLine] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def has_problems(self) -> bool:
        return any(line.problems for line in self.lines)


def _problems(item: CartItem) -> list[str]:
    listing = item.listing
    if not listing.sellable:
        return [_("No longer for sale: remove it to check out.")]
    problems = []
    if item.quantity > listing.stock_online:
        problems.append(
            _("Only %(available)s left: lower the quantity.") % {"available": listing.stock_online}
            if listing.stock_online
            else _("Out of stock: remove it to check out.")
        )
    if item.quantity < listing.min_order:
        problems.append(_("The minimum order is %(min)s.") % {"min": listing.min_order})
    return problems


def cart_groups(*, user, cart: Cart | None) -> list[CartGroup]:
    """The cart's items by cooperative (one query), each with what stands in the way of checkout."""
    if cart is None:
        return []
    require(user, "market.cart.use", cart)
    groups: dict[int, CartGroup] = {}
    items = cart.items.select_related("listing", "listing__cooperative", "listing__totals").order_by(
        "listing__cooperative__name", "listing__cooperative_id", "added_at", "id"
    )
    for item in items:
        cooperative = item.listing.cooperative
        group = groups.setdefault(cooperative.pk, CartGroup(cooperative=cooperative))
        group.lines.append(CartLine(item=item, problems=_problems(item)))
    return list(groups.values())


def cart_count(*, cart: Cart | None) -> int:
    """How many products are in the cart (shown in the header)."""
    return cart.items.count() if cart is not None else 0


@dataclass
class SellerOptions:
    """How one cooperative can deliver and be paid, for the checkout form."""

    cooperative: Any
    outlets: list[Location]
    zones: list[DeliveryZone]
    courier: bool
    cod: bool
    transfer: bool
    qris: bool

    @property
    def payment_methods(self) -> list[str]:
        methods: list[str] = []
        if self.qris:
            methods.append(PaymentMethod.QRIS)
        if self.transfer:
            methods.append(PaymentMethod.TRANSFER)
        if self.cod and (self.outlets or self.zones):
            methods.append(PaymentMethod.COD)
        return methods

    def zone_for(self, village) -> DeliveryZone | None:
        """The most specific of its zones that covers the village (as the checkout service does)."""
        if village is None:
            return None
        codes = {*village.ancestor_codes(), village.code}
        return max(
            (zone for zone in self.zones if zone.region_id in codes),
            key=lambda zone: len(zone.region_id),
            default=None,
        )


def checkout_options(*, cooperatives) -> dict[int, SellerOptions]:
    """Each cooperative's active outlets, delivery zones and payment options (three queries)."""
    ids = [cooperative.pk for cooperative in cooperatives]
    outlets: dict[int, list[Location]] = {}
    for location in Location.objects.filter(
        cooperative_id__in=ids, kind=LocationKind.OUTLET, is_active=True
    ).select_related("village"):
        outlets.setdefault(location.cooperative_id or 0, []).append(location)
    zones: dict[int, list[DeliveryZone]] = {}
    for zone in DeliveryZone.objects.filter(cooperative_id__in=ids, is_active=True).select_related("region"):
        zones.setdefault(zone.cooperative_id, []).append(zone)
    settings = {s.cooperative_id: s for s in SellerSettings.objects.filter(cooperative_id__in=ids)}
    options = {}
    for cooperative in cooperatives:
        seller = settings.get(cooperative.pk) or SellerSettings(cooperative=cooperative)
        options[cooperative.pk] = SellerOptions(
            cooperative=cooperative,
            outlets=outlets.get(cooperative.pk, []),
            zones=zones.get(cooperative.pk, []),
            courier=seller.courier_enabled,
            cod=seller.cod_enabled,
            transfer=bool(seller.transfer_enabled and cooperative.bank_account_number),
            qris=bool(cooperative.qris_payload),
        )
    return options


def checkout_orders(*, user, idempotency_key: str) -> list[Order]:
    """The orders one checkout made. The caller has checked that this session placed it, which
    makes it hold their private links."""
    orders = list(
        Order.objects.filter(checkout__idempotency_key=idempotency_key)
        .select_related("cooperative")
        .order_by("cooperative_id")
    )
    for order in orders:
        order.via_link = True
        require(user, "market.order.view", order)
    return orders


def line_reviews(*, lines: list[OrderLine]) -> dict[int, Review]:
    """The review of each line that has one, by line id (one query)."""
    if not lines:
        return {}
    return {review.order_line_id: review for review in Review.objects.filter(order_line__in=lines)}


def order_line(*, order: Order, line_id) -> OrderLine | None:
    """One line of an order already found (and allowed) by the caller; None if not its line."""
    if not (str(line_id).isascii() and str(line_id).isdigit()):
        return None
    line = OrderLine.objects.filter(order=order, pk=int(line_id)).first()
    if line is not None:
        line.order = order  # keeps `via_link`, which the review policy reads
    return line


def listing_reviews(*, listing, limit: int = 20) -> QuerySet[Review]:
    """A listing's reviews, newest first, for its product page (public)."""
    return Review.objects.filter(listing=listing).order_by("-created_at", "-id")[:limit]
