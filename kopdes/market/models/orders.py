"""Carts, checkouts, orders, payments, refunds, settlement and reviews."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    DeliveryMethod,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentSource,
    RefundStatus,
    SettlementKind,
)


class Cart(models.Model):
    """One cart across cooperatives: a guest's is found by its token (kept in the session), a
    buyer's by their account."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="cart"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.token)


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    listing = models.ForeignKey("market.Listing", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    # The price the buyer saw when adding; checkout refuses if the listing's price differs.
    price_seen = models.PositiveBigIntegerField()
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "listing"], name="cart_item_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.listing_id}"


class Checkout(models.Model):
    """One press of "place order": the orders it made, under the client's idempotency key, so a
    retried or double-clicked request gets the same orders back."""

    idempotency_key = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)  # hash of the cart that placed it (see _owner)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.idempotency_key


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=20, unique=True)
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="orders")
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative", on_delete=models.PROTECT, related_name="orders"
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    # The private link's secret: a guest follows the order without an account.
    access_token = models.CharField(max_length=43, unique=True)
    contact_name = models.CharField(_("name"), max_length=120)
    contact_phone = models.CharField(_("phone / WhatsApp"), max_length=16)
    contact_email = models.EmailField(_("email"), blank=True)
    delivery_method = models.CharField(_("delivery"), max_length=8, choices=DeliveryMethod.choices)
    pickup_location = models.ForeignKey(
        "market.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivery_zone = models.ForeignKey(
        "market.DeliveryZone", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address_village = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address_postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    address_line = models.CharField(_("street address"), max_length=255, blank=True)
    payment_method = models.CharField(_("payment"), max_length=8, choices=PaymentMethod.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.CREATED, db_index=True
    )
    subtotal = models.PositiveBigIntegerField(_("subtotal"))
    shipping_fee = models.PositiveBigIntegerField(_("delivery fee"), default=0)
    # A courier's fee is quoted by the cooperative before the order can be paid.
    shipping_confirmed = models.BooleanField(default=True)
    # Bank transfer: 1..999 rupiah added so the treasurer can tell transfers of the same amount apart.
    unique_code = models.PositiveIntegerField(_("unique code"), default=0)
    total = models.PositiveBigIntegerField(_("total"))
    paid_amount = models.PositiveBigIntegerField(_("paid"), default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # unpaid orders release their stock then
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    note = models.CharField(_("note for the seller"), max_length=500, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=255, blank=True)
    stock_released = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)

    # Set (not stored) by the selector that found the order through its private link.
    via_link: bool = False

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("shipping_fee") + F("unique_code")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(unique_code__lte=999), name="order_unique_code_3_digits"),
        ]
        indexes = [
            models.Index(fields=["cooperative", "status", "-created_at"], name="order_board_idx"),
            models.Index(fields=["status", "expires_at"], name="order_expiry_idx"),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("market:order_private", args=[self.number, self.access_token])

    @property
    def audit_region_code(self) -> str:
        return str(self.cooperative.village_id)

    @property
    def balance_due(self) -> int:
        return max(self.total - self.paid_amount, 0)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey("market.Listing", on_delete=models.PROTECT, related_name="order_lines")
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150)
    unit_price = models.PositiveBigIntegerField()
    quantity = models.PositiveIntegerField()
    line_total = models.PositiveBigIntegerField()
    weight_grams = models.PositiveIntegerField(default=0)
    location = models.ForeignKey("market.Location", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")), name="order_line_total_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


class OrderEvent(models.Model):
    """One step of an order: from which status to which, by whom, when and from where."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)  # "buyer (private link)", "system"
    note = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"


class OrderNotice(models.Model):
    """The notifications owed for an order event (the outbox): written in the event's own
    transaction, sent and removed by `order_notices_send` in a task. Nothing is sent for a change
    that was rolled back, and nothing is lost when the queue is down as the change commits."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.what}"


class Payment(models.Model):
    """Money in (a payment) or out (a refund) for an order; every one also makes a settlement entry."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    method = models.CharField(max_length=8, choices=PaymentMethod.choices)
    source = models.CharField(max_length=10, choices=PaymentSource.choices)
    amount = models.PositiveBigIntegerField()
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    # Set for a payment provider's event; unique, so a replayed callback cannot pay twice.
    event_id = models.CharField(max_length=80, null=True, blank=True, unique=True)
    refund_status = models.CharField(max_length=6, choices=RefundStatus.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=1), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"

    @property
    def audit_region_code(self) -> str:
        return self.order.audit_region_code


class PaymentEvent(models.Model):
    """A payment provider's callback as received, once per event id (replays are answered from here)."""

    event_id = models.CharField(max_length=80, unique=True)
    order_number = models.CharField(max_length=20)
    amount = models.BigIntegerField()
    outcome = models.CharField(max_length=20)  # applied, late, mismatch, unknown_order
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.event_id


class SettlementEntry(models.Model):
    """The cooperative's settlement record: what it is owed (+) or owes back (-), line by line."""

    cooperative = models.ForeignKey(
        "cooperatives.Cooperative", on_delete=models.PROTECT, related_name="settlement_entries"
    )
    kind = models.CharField(max_length=20, choices=SettlementKind.choices)
    amount = models.BigIntegerField()  # rupiah, signed
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="settlement_entry"
    )
    display_settlement = models.ForeignKey(
        "market.DisplaySettlement", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    note = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cooperative", "-created_at"], name="settlement_coop_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d}"


class Review(models.Model):
    """Stars and words from the buyer after receipt, one per order line, shown on the product."""

    order_line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="review")
    listing = models.ForeignKey("market.Listing", on_delete=models.CASCADE, related_name="reviews")
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="reviews")
    stars = models.PositiveSmallIntegerField(_("stars"))
    text = models.TextField(_("review"), blank=True, max_length=2000)
    author_name = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="review_stars_1_5")
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ {self.author_name}"
