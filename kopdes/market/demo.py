"""Demo data of the market: the demo cooperative sells. Its static QRIS and bank account, an outlet
and a warehouse, delivery in its district, seller settings, and listings with stock for its
products ready for market (three more products are added ready for market, through the ORM as the
products demo's curation would take too long to script: they skip curation for the demo).

Built through the services where one exists. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kopdes.accounts.models import User
from kopdes.cooperatives.models import Cooperative
from kopdes.regions.models import Region

DEMO_SLUG = "6402162001"
KETUA_PHONE = "+6281400000001"
# A static QRIS to the EMVCo layout with a valid checksum (the same as the tests' STATIC_QRIS).
DEMO_QRIS = (
    "00020101021126660014ID.CO.QRIS.WWW01189360001400000000010215ID12345678901230303UMI"
    "51440014ID.CO.QRIS.WWW0215ID12345678901230303UMI5204541153033605802ID"
    "5918KOPDES MERAH PUTIH6010TENGGARONG6105755116304A0A5"
)
OUTLET = "Gerai Sembako Manunggal Jaya"
WAREHOUSE = "Gudang Desa Manunggal Jaya"
DISTRICT_FEE = 10_000

# name, category, price, net content, weight (g), minimum order, stars, description
EXTRA_PRODUCTS = [
    (
        "Kopi Liberika Tenggarong",
        "beverage",
        45_000,
        "200 g",
        230,
        1,
        4,
        "Kopi liberika sangrai dari kebun warga, digiling kasar, aroma nangka yang khas.",
    ),
    (
        "Keripik Pisang Kepok Manunggal",
        "processed_food",
        15_000,
        "150 g",
        170,
        2,
        3,
        "Keripik pisang kepok tipis, digoreng dengan minyak kelapa, tanpa pengawet.",
    ),
    (
        "Gula Aren Cair Jaya",
        "processed_food",
        30_000,
        "350 ml",
        420,
        1,
        3,
        "Gula aren cair dari nira pohon aren di tepi hutan desa, dimasak perlahan.",
    ),
]
WEIGHTS = {"Madu Kelulut Hutan Tenggarong": 330, "Amplang Ikan Pipih Manunggal": 270}
STOCK = (24, 36)  # at the outlet, in the warehouse


def demo_market_load() -> tuple[str, list[tuple[str, str, str]]]:
    coop = Cooperative.objects.select_related("village").filter(slug=DEMO_SLUG).first()
    ketua = User.objects.filter(phone=KETUA_PHONE).first()
    if coop is None or ketua is None:
        return "skipped (load the people and cooperatives demo first)", []
    with transaction.atomic():
        _identity(coop, ketua)
        outlet, warehouse = _places(coop, ketua)
        _delivery(coop, ketua)
        added = _extra_products(coop, ketua)
        created = _listings(coop, ketua, outlet, warehouse)
    return f"{created} listings, {added} products ready for market created", []


def _identity(coop: Cooperative, ketua) -> None:
    from kopdes.cooperatives.services import cooperative_update

    wanted = {
        "qris_payload": DEMO_QRIS,
        "bank_name": "Bank Kaltimtara",
        "bank_account_number": "0012620010",
        "bank_account_name": coop.name,
    }
    missing = {field: value for field, value in wanted.items() if not getattr(coop, field)}
    if missing:
        cooperative_update(actor=ketua, cooperative=coop, **missing)


def _places(coop: Cooperative, ketua):
    from .choices import LocationKind
    from .models import Location
    from .services_stock import location_create

    places = []
    for kind, name, address in (
        (LocationKind.OUTLET, OUTLET, "Jl. Poros Tenggarong Seberang, depan balai desa"),
        (LocationKind.WAREHOUSE, WAREHOUSE, "Belakang kantor koperasi"),
    ):
        place = Location.objects.filter(cooperative=coop, name=name).first()
        if place is None:
            place = location_create(
                actor=ketua, cooperative=coop, kind=kind, name=name, village=coop.village, address=address
            )
        places.append(place)
    return places


def _delivery(coop: Cooperative, ketua) -> None:
    from .models import DeliveryZone, SellerSettings
    from .services_seller import delivery_zone_set, seller_settings_update

    district = Region.objects.get(code=coop.village_id.rsplit(".", 1)[0])
    if not DeliveryZone.objects.filter(cooperative=coop, region=district).exists():
        delivery_zone_set(actor=ketua, cooperative=coop, region=district, fee=DISTRICT_FEE)
    if not SellerSettings.objects.filter(cooperative=coop).exists():
        seller_settings_update(
            actor=ketua,
            cooperative=coop,
            courier_enabled=True,
            cod_enabled=True,
            transfer_enabled=True,
            payment_hours=24,
        )


def _extra_products(coop: Cooperative, ketua) -> int:
    from kopdes.products import services_catalog
    from kopdes.products.choices import ProducerKind, ProductStatus
    from kopdes.products.models import Producer, Product

    producer = Producer.objects.filter(cooperative=coop, kind=ProducerKind.COOPERATIVE).first()
    if producer is None:
        return 0  # the products demo registers the cooperative as a producer
    added = 0
    for name, category, price, net, _weight, _minimum, stars, description in EXTRA_PRODUCTS:
        if Product.objects.filter(cooperative=coop, name=name).exists():
            continue
        product = services_catalog.product_create(
            actor=ketua,
            producer=producer,
            name=name,
            category=category,
            price=price,
            net_content=net,
            description=description,
            local_material_percent=95,
            shelf_life_days=180,
        )
        # Ready for market without a scripted curation round (see the module's docstring).
        Product.objects.filter(pk=product.pk).update(status=ProductStatus.READY, stars=stars)
        added += 1
    return added


def _listings(coop: Cooperative, ketua, outlet, warehouse) -> int:
    from kopdes.products.choices import ProductStatus
    from kopdes.products.models import Product

    from .models import Listing, StockMovement
    from .services_stock import listing_create, stock_adjust

    shape = {name: (weight, minimum) for name, _c, _p, _n, weight, minimum, _s, _d in EXTRA_PRODUCTS}
    created = 0
    products = (
        Product.objects.filter(cooperative=coop, status=ProductStatus.READY)
        .select_related("current_version", "producer", "village")
        .order_by("id")
    )
    for index, product in enumerate(products):
        listing = Listing.objects.filter(cooperative=coop, product=product).first()
        if listing is None:
            weight, minimum = shape.get(product.name, (WEIGHTS.get(product.name, 250), 1))
            listing = listing_create(
                actor=ketua,
                product=product,
                price=product.current_version.price if product.current_version else 10_000,
                weight_grams=weight,
                min_order=minimum,
            )
            created += 1
        if not StockMovement.objects.filter(listing=listing).exists():
            at_outlet, in_warehouse = STOCK
            note = f"Stok awal {timezone.localdate():%d-%m-%Y}"
            stock_adjust(actor=ketua, listing=listing, location=outlet, delta=at_outlet + index, note=note)
            stock_adjust(actor=ketua, listing=listing, location=warehouse, delta=in_warehouse, note=note)
    return created
