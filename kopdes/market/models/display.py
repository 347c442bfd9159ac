"""Display points: showcases at airports, harbours, hotels and exhibitions, run by a regional
operator, selling stock that cooperatives consign to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import DisplayKind, DisplaySettlementStatus, PaymentMethod


class DisplayPoint(models.Model):
    operator = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="display_points"
    )
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=DisplayKind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    commission_percent = models.PositiveSmallIntegerField(_("operator's commission (%)"), default=10)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_percent__lte=50), name="display_commission_at_most_50"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return str(self.region_id)


class Consignment(models.Model):
    """Stock handed by a cooperative to a display point (positive) or taken back (negative)."""

    display_point = models.ForeignKey(DisplayPoint, on_delete=models.PROTECT, related_name="consignments")
    listing = models.ForeignKey("market.Listing", on_delete=models.PROTECT, related_name="consignments")
    from_location = models.ForeignKey("market.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField()
    note = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="consignment_not_zero")]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.quantity:+d} @ {self.display_point_id}"


class DisplaySale(models.Model):
    display_point = models.ForeignKey(DisplayPoint, on_delete=models.PROTECT, related_name="sales")
    number = models.CharField(max_length=24, unique=True)
    payment_method = models.CharField(max_length=8, choices=PaymentMethod.choices, default=PaymentMethod.COD)
    total = models.PositiveBigIntegerField()
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sold_at = models.DateTimeField(default=timezone.now)
    # A cashier's retried submission carries the same key and returns the same sale.
    idempotency_key = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-sold_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_region_code(self) -> str:
        return str(self.display_point.region_id)


class DisplaySaleLine(models.Model):
    sale = models.ForeignKey(DisplaySale, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey("market.Listing", on_delete=models.PROTECT, related_name="+")
    cooperative = models.ForeignKey("cooperatives.Cooperative", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.PositiveBigIntegerField()
    line_total = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="display_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")), name="display_line_total_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.listing_id}"


class DisplaySettlement(models.Model):
    """A month's sales of one cooperative's goods at one display point, less the commission."""

    display_point = models.ForeignKey(DisplayPoint, on_delete=models.PROTECT, related_name="settlements")
    cooperative = models.ForeignKey("cooperatives.Cooperative", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # first day of the month, in the display point's local time
    gross = models.PositiveBigIntegerField()
    commission = models.PositiveBigIntegerField()
    # The rate the commission was computed at (the point's rate may change later); empty on
    # settlements made before it was kept.
    commission_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    net = models.PositiveBigIntegerField()
    status = models.CharField(
        max_length=8, choices=DisplaySettlementStatus.choices, default=DisplaySettlementStatus.DRAFT
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "cooperative_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["display_point", "cooperative", "month"], name="display_settlement_once_a_month"
            ),
            models.CheckConstraint(
                condition=Q(net=F("gross") - F("commission")), name="display_settlement_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_point_id}/{self.cooperative_id} {self.month:%Y-%m}"
