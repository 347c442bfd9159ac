"""Test data for the market: a cooperative that sells (QRIS, bank account, an outlet, a delivery
zone) and listings with stock, straight through the ORM."""

from __future__ import annotations

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives.models import Cooperative
from kopdes.market.choices import LocationKind
from kopdes.market.models import DeliveryZone, Listing, ListingTotals, Location, StockLevel
from kopdes.market.services_stock import _apply_product_fields, product_catalog_fields
from kopdes.products.choices import ProductStatus
from kopdes.products.tests.factories import cooperative_for, make_product

JAHAB = "64.02.06.1001"  # a kelurahan in Tenggarong, Kutai Kartanegara
LOA_IPUH = "64.02.06.1002"
MASABEWA = "53.07.01.2001"  # a desa in Paga, Sikka
# A static QRIS built to the EMVCo layout with a valid checksum.
STATIC_QRIS = (
    "00020101021126660014ID.CO.QRIS.WWW01189360001400000000010215ID12345678901230303UMI"
    "51440014ID.CO.QRIS.WWW0215ID12345678901230303UMI5204541153033605802ID"
    "5918KOPDES MERAH PUTIH6010TENGGARONG6105755116304A0A5"
)


def seller(village_code: str = JAHAB) -> Cooperative:
    """The village's cooperative, ready to sell: QRIS, a bank account, an outlet and a zone."""
    cooperative = cooperative_for(village_code)
    if not cooperative.qris_payload:
        cooperative.qris_payload = STATIC_QRIS
        cooperative.bank_name = "Bank Kaltimtara"
        cooperative.bank_account_number = "0012345678"
        cooperative.bank_account_name = cooperative.name
        cooperative.phone = "+6281234567890"
        cooperative.email = "koperasi@example.id"
        cooperative.save()
    if not cooperative.locations.exists():
        Location.objects.create(
            cooperative=cooperative, kind=LocationKind.OUTLET, name="Gerai Utama", village_id=village_code
        )
        DeliveryZone.objects.create(
            cooperative=cooperative, name="Sekecamatan", region_id=village_code[:8], fee=10_000
        )
    return cooperative


def outlet(cooperative: Cooperative) -> Location:
    return cooperative.locations.filter(kind=LocationKind.OUTLET).order_by("id").first()


def make_listing(
    village_code: str = JAHAB,
    *,
    price: int = 25_000,
    stock: int = 10,
    name: str = "",
    min_order: int = 1,
    weight_grams: int = 250,
    product=None,
    **product_fields,
) -> Listing:
    """A product ready for market, listed by its cooperative with `stock` at the main outlet."""
    cooperative = seller(village_code)
    product = product or make_product(
        village_code, name=name, price=price, status=ProductStatus.READY, **product_fields
    )
    listing = Listing(
        cooperative=product.cooperative,
        product=product,
        price=price,
        min_order=min_order,
        weight_grams=weight_grams,
    )
    _apply_product_fields(listing, product_catalog_fields(product))
    listing.save()
    if stock:
        location = outlet(cooperative)
        StockLevel.objects.create(listing=listing, location=location, quantity=stock)
        ListingTotals.objects.filter(pk=listing.pk).update(stock_online=stock)
        listing.refresh_from_db()
    return listing


def officer(cooperative: Cooperative, role: str = Role.KETUA, **fields):
    return person(role, org=cooperative.organization, **fields)


def generation_queries() -> int:
    """What a cached public page costs for its key: the catalog generation's row when each worker
    has a cache of its own (no Redis), nothing with a shared cache (kopdes.core.generations)."""
    from kopdes.core.generations import cache_is_shared

    return 0 if cache_is_shared() else 1
