"""What a cooperative sells and where its stock is."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import LocationKind, MovementReason


class SellerSettings(models.Model):
    """How a cooperative sells: delivery and payment options, and how long an order may stay unpaid."""

    cooperative = models.OneToOneField(
        "cooperatives.Cooperative", on_delete=models.CASCADE, related_name="seller_settings"
    )
    courier_enabled = models.BooleanField(_("ships by courier"), default=True)
    cod_enabled = models.BooleanField(_("accepts cash on delivery or at pickup"), default=True)
    transfer_enabled = models.BooleanField(_("accepts bank transfer"), default=True)
    payment_hours = models.PositiveSmallIntegerField(_("hours an order may stay unpaid"), default=24)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.cooperative)


class Location(models.Model):
    """A place that holds stock: a cooperative's outlet or warehouse, or a display point's shelf."""

    cooperative = models.ForeignKey(
        "cooperatives.Cooperative", null=True, blank=True, on_delete=models.PROTECT, related_name="locations"
    )
    display_point = models.OneToOneField(
        "market.DisplayPoint", null=True, blank=True, on_delete=models.PROTECT, related_name="location"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=LocationKind.choices)
    name = models.CharField(_("name"), max_length=120)
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=LocationKind.DISPLAY)
                    & Q(display_point__isnull=False)
                    & Q(cooperative__isnull=True)
                )
                | (
                    ~Q(kind=LocationKind.DISPLAY)
                    & Q(display_point__isnull=True)
                    & Q(cooperative__isnull=False)
                ),
                name="location_owner_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return str(self.village_id)


class DeliveryZone(models.Model):
    """A cooperative's own delivery area: every address inside `region` (a village, district or
    regency) pays `fee`. The most specific zone wins."""

    cooperative = models.ForeignKey(
        "cooperatives.Cooperative", on_delete=models.CASCADE, related_name="delivery_zones"
    )
    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    fee = models.PositiveIntegerField(_("delivery fee (rupiah)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["cooperative_id", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "region"], name="delivery_zone_once_per_area")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return str(self.region_id)


class Listing(models.Model):
    """A product a cooperative sells, at its price. Catalog fields are copied from the product
    (and refreshed on `products.changed`) so that catalog and search read one table."""

    cooperative = models.ForeignKey(
        "cooperatives.Cooperative", on_delete=models.PROTECT, related_name="listings"
    )
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="listings")
    price = models.PositiveBigIntegerField(_("price (rupiah)"))
    weight_grams = models.PositiveIntegerField(_("weight (grams)"), default=0)
    min_order = models.PositiveIntegerField(_("minimum order"), default=1)
    is_active = models.BooleanField(_("on sale"), default=True)
    # Denormalised from the product, for the catalog.
    sellable = models.BooleanField(default=False, db_index=True)  # on sale and ready for market
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(max_length=180)
    category = models.CharField(max_length=16)
    line = models.CharField(max_length=8)
    stars = models.PositiveSmallIntegerField(default=0)
    province_code = models.CharField(max_length=2)
    regency_code = models.CharField(max_length=5)
    village_code = models.CharField(max_length=13)
    has_halal = models.BooleanField(default=False)
    has_bpom = models.BooleanField(default=False)
    featured_month = models.DateField(null=True, blank=True)  # the last month it was featured
    photo = models.CharField(max_length=255, blank=True)  # the first photo's file name
    # Stemmed (Sastrawi) text for full-text search: the name, and everything else.
    search_name = models.TextField(blank=True)
    search_text = models.TextField(blank=True)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "product"], name="listing_once_per_product"),
            models.CheckConstraint(condition=Q(min_order__gte=1), name="listing_min_order_positive"),
        ]
        indexes = [
            models.Index(fields=["sellable", "-created_at"], name="listing_newest_idx"),
            models.Index(fields=["sellable", "price"], name="listing_price_idx"),
            models.Index(fields=["sellable", "regency_code"], name="listing_regency_idx"),
            models.Index(fields=["sellable", "province_code"], name="listing_province_idx"),
            # A category by price (cheapest or dearest first): its prices are not the catalog's
            # (honey's are above most), and walking the price index for them read most listings.
            models.Index(fields=["sellable", "category", "price"], name="listing_category_price_idx"),
            # Halal or BPOM listings by price: the dearest are cloth and crafts, seldom licensed,
            # and walking the price index for them read 38,000 listings to find 24 (130 ms).
            models.Index(
                fields=["sellable", "price"], condition=Q(has_halal=True), name="listing_halal_price_idx"
            ),
            models.Index(
                fields=["sellable", "price"], condition=Q(has_bpom=True), name="listing_bpom_price_idx"
            ),
            models.Index(fields=["sellable", "-stars"], name="listing_stars_idx"),
        ]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:  # every listing has its totals, from its first save
            self.totals = ListingTotals.objects.create(listing=self)

    @property
    def audit_region_code(self) -> str:
        return self.village_code

    @property
    def rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else None

    # The running totals live in their own narrow row (`ListingTotals`); read them through
    # `select_related("totals")` wherever listings are listed, or each costs a query.
    @property
    def stock_online(self) -> int:
        return self.totals.stock_online

    @property
    def sold_count(self) -> int:
        return self.totals.sold_count


class ListingTotals(models.Model):
    """A listing's running totals: the stock at its cooperative's outlets and warehouses (sold
    online) and the units sold, moved with every stock movement (`services_stock`).

    They are kept apart from the listing's row because that row is wide (1.5 KB: its search
    text and vectors) and has twenty indexes. Every sale moved the totals, and an update of the
    wide row rarely fits on its page, so it wrote a new entry in every index and several full
    pages to the WAL, reading most of those index pages in first (ADR 14). This row is narrow,
    its only index is its key, and its table leaves room on each page (fillfactor, migration
    0008): a sale's update stays on the page.
    """

    listing = models.OneToOneField(Listing, on_delete=models.CASCADE, primary_key=True, related_name="totals")
    stock_online = models.IntegerField(_("stock"), default=0)
    sold_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_online__gte=0), name="listing_totals_stock_not_negative"
            ),
        ]
        verbose_name = _("listing totals")
        verbose_name_plural = _("listing totals")

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.stock_online} online, {self.sold_count} sold"


# What a hand-written read of listings selects of their totals (`kopdes.core.rows`).
TOTALS_FIELDS = ("listing", "stock_online", "sold_count")


def attach_totals(listing: Listing, totals: ListingTotals) -> None:
    """Give a listing read by hand the totals read with it, as `select_related("totals")` does."""
    Listing.totals.related.set_cached_value(listing, totals)


def refresh_totals(listing: Listing) -> None:
    """Read a listing's totals again (after a stock movement), if they were read before."""
    if Listing.totals.related.is_cached(listing):
        listing.totals.refresh_from_db()


class StockLevel(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    quantity = models.IntegerField(_("quantity"), default=0)

    class Meta:
        ordering = ["location_id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "location"], name="stock_once_per_location"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id}@{self.location_id}: {self.quantity}"


class StockMovement(models.Model):
    """Every change of stock, with who, when, from where and why. Append-only."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    delta = models.IntegerField()
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=14, choices=MovementReason.choices)
    note = models.CharField(max_length=255, blank=True)
    order = models.ForeignKey(
        "market.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    display_sale = models.ForeignKey(
        "market.DisplaySale", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(delta=0), name="movement_not_zero")]
        indexes = [models.Index(fields=["listing", "-created_at"], name="movement_listing_idx")]

    def __str__(self) -> str:
        return f"{self.reason} {self.delta:+d}"


__all__ = ["DeliveryZone", "Listing", "Location", "SellerSettings", "StockLevel", "StockMovement"]
