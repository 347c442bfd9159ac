"""Reads for the seller's listing and stock pages, the feeds and the storefront sections.

Seller pages find the cooperative by its slug and ask the policy layer before returning anything;
storefront reads are public (what is for sale) and ask `market.catalog.view`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from kopdes.core.errors import NotFound
from kopdes.core.policies import require

from .choices import ONLINE_KINDS
from .models import DeliveryZone, Listing, Location, Review, SellerSettings, StockLevel, StockMovement

STOREFRONT_SIZE = 24  # products shown on a microsite: one light page on a weak connection
REVIEWS_SHOWN = 5


def cooperative_for_seller(*, user, slug: str, action: str = "market.listing.view_own"):
    """The cooperative behind a seller page, if `user` may do `action` there."""
    from kopdes.cooperatives.selectors import cooperative_public

    try:
        cooperative = cooperative_public(slug=slug)
    except NotFound:
        raise NotFound(_("No cooperative has this address."), code="unknown_cooperative") from None
    require(user, action, cooperative)
    return cooperative


def seller_cooperatives(*, user) -> QuerySet:
    """The cooperatives where `user` is an officer (the shortcut to their shop pages)."""
    from kopdes.accounts.choices import OFFICER_ROLES
    from kopdes.accounts.scopes import org_ids
    from kopdes.cooperatives.models import Cooperative

    if not user.is_authenticated:
        return Cooperative.objects.none()
    return Cooperative.objects.filter(organization_id__in=org_ids(user, *OFFICER_ROLES)).order_by("name")


def listings_for(*, user, cooperative) -> QuerySet[Listing]:
    require(user, "market.listing.view_own", cooperative)
    return Listing.objects.filter(cooperative=cooperative).select_related("totals").order_by("name", "id")


def listing_get(*, user, cooperative, pk, action: str = "market.listing.view_own") -> Listing:
    require(user, action, cooperative)
    try:
        return Listing.objects.select_related("product", "totals").get(pk=int(pk), cooperative=cooperative)
    except (Listing.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such listing."), code="unknown_listing") from None


def products_to_list(*, user, cooperative) -> QuerySet:
    """The cooperative's products (its own and its producers') not listed yet, drafts and rejected
    ones left out: they cannot be listed."""
    from kopdes.products.models import Product
    from kopdes.products.policies_catalog import HIDDEN_STATUSES

    require(user, "market.listing.manage", cooperative)
    return (
        Product.objects.filter(cooperative=cooperative)
        .exclude(status__in=HIDDEN_STATUSES)
        .exclude(listings__cooperative=cooperative)
        .select_related("current_version", "producer")
        .order_by("name", "id")
    )


@dataclass
class StockRow:
    location: Location
    quantity: int


def stock_rows(*, listing: Listing) -> list[StockRow]:
    """Stock of a listing at each place: every active outlet and warehouse of the cooperative
    (zero where none), and any other place that holds some (an inactive one, a display point)."""
    levels = {
        level.location_id: level
        for level in StockLevel.objects.filter(listing=listing).select_related("location")
    }
    own = list(
        Location.objects.filter(cooperative_id=listing.cooperative_id, is_active=True, kind__in=ONLINE_KINDS)
    )
    rows = [
        StockRow(location, levels[location.pk].quantity if location.pk in levels else 0) for location in own
    ]
    seen = {location.pk for location in own}
    rows += [
        StockRow(level.location, level.quantity)
        for level in levels.values()
        if level.location_id not in seen and level.quantity
    ]
    return rows


def movements_for(*, listing: Listing) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(listing=listing).select_related("location", "actor", "order")


def adjustable_locations(*, cooperative) -> QuerySet[Location]:
    return Location.objects.filter(cooperative=cooperative, is_active=True, kind__in=ONLINE_KINDS)


def locations_for(*, user, cooperative) -> QuerySet[Location]:
    require(user, "market.listing.view_own", cooperative)
    return (
        Location.objects.filter(cooperative=cooperative)
        .select_related("village")
        .order_by("-is_active", "id")
    )


def location_get(*, user, cooperative, pk) -> Location:
    require(user, "market.listing.manage", cooperative)
    try:
        return Location.objects.select_related("cooperative").get(pk=int(pk), cooperative=cooperative)
    except (Location.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such place."), code="unknown_location") from None


def zones_for(*, user, cooperative) -> QuerySet[DeliveryZone]:
    require(user, "market.listing.view_own", cooperative)
    return (
        DeliveryZone.objects.filter(cooperative=cooperative, is_active=True)
        .select_related("region")
        .order_by("region_id")
    )


def zone_get(*, user, cooperative, pk) -> DeliveryZone:
    require(user, "market.listing.manage", cooperative)
    try:
        return DeliveryZone.objects.select_related("cooperative").get(pk=int(pk), cooperative=cooperative)
    except (DeliveryZone.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such delivery zone."), code="unknown_zone") from None


def seller_settings_for(*, user, cooperative) -> SellerSettings:
    """The cooperative's settings, or the defaults (unsaved) before the first save."""
    require(user, "market.listing.view_own", cooperative)
    return SellerSettings.objects.filter(cooperative=cooperative).first() or SellerSettings(
        cooperative=cooperative
    )


# --- Feeds ------------------------------------------------------------------------------------


def feed_listings(*, user, cooperative) -> QuerySet[Listing]:
    """What the cooperative sells, for the feeds out: listings on sale of products ready for
    market, with the product's current text and photos (three queries)."""
    from kopdes.products.models import ProductPhoto

    require(user, "market.feed.download", cooperative)
    return (
        Listing.objects.filter(cooperative=cooperative, sellable=True)
        .select_related("product__current_version", "totals")
        .prefetch_related(
            Prefetch("product__photos", queryset=ProductPhoto.objects.order_by("uploaded_at", "id"))
        )
        .order_by("name", "id")
    )


# --- Storefront -------------------------------------------------------------------------------


def storefront_listings(*, cooperative) -> list[Listing]:
    """The products a cooperative has for sale, for its microsite (one query)."""
    require(None, "market.catalog.view", cooperative)
    return list(
        Listing.objects.filter(cooperative=cooperative, sellable=True)
        .select_related("totals")
        .order_by("-featured_month", "-stars", "name", "id")[:STOREFRONT_SIZE]
    )


def product_offer(*, product) -> tuple[Listing | None, list[Review]]:
    """A product's listing and its latest reviews, for the product page (at most two queries)."""
    require(None, "market.catalog.view", product)
    listing = (
        Listing.objects.filter(product_id=product.pk, cooperative_id=product.cooperative_id)
        .select_related("totals")
        .first()
    )
    if listing is None:
        return None, []
    reviews = list(
        Review.objects.filter(product_id=product.pk).order_by("-created_at", "-id")[:REVIEWS_SHOWN]
    )
    return listing, reviews
