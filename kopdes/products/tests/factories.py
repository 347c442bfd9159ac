"""Test data for products: a producer and a product with a first version, straight through the ORM
(the catalog services have their own tests; other areas' tests need products to exist)."""

from __future__ import annotations

import itertools

from kopdes.accounts.choices import OrgKind
from kopdes.accounts.models import Organization
from kopdes.cooperatives.models import Cooperative
from kopdes.cooperatives.services import cooperative_create
from kopdes.products.choices import LINE_OF_PRODUCER, Category, ProducerKind
from kopdes.products.models import Producer, Product, ProductVersion
from kopdes.regions.models import Region

_counter = itertools.count(1)


def cooperative_for(village_code: str) -> Cooperative:
    found = Cooperative.objects.filter(villages__village_id=village_code).first()
    return found or cooperative_create(actor=None, village=Region.objects.get(code=village_code))


def make_producer(
    village_code: str = "64.02.06.1001", kind: str = ProducerKind.UMKM, name: str = ""
) -> Producer:
    cooperative = cooperative_for(village_code)
    village = Region.objects.get(code=village_code)
    n = next(_counter)
    org = Organization.objects.create(kind=OrgKind.PRODUCER, name=name or f"Produsen Uji {n}", region=village)
    return Producer.objects.create(
        organization=org, cooperative=cooperative, village=village, kind=kind, name=org.name
    )


def make_product(
    village_code: str = "64.02.06.1001",
    *,
    producer: Producer | None = None,
    category: str = Category.PROCESSED_FOOD,
    name: str = "",
    price: int = 25_000,
    **fields,
) -> Product:
    producer = producer or make_producer(village_code)
    n = next(_counter)
    name = name or f"Produk Uji {n}"
    product = Product.objects.create(
        producer=producer,
        cooperative=producer.cooperative,
        village=producer.village,
        regency_code=producer.village_id[:5],
        line=LINE_OF_PRODUCER[producer.kind],
        name=name,
        slug=f"produk-uji-{n}",
        category=category,
        **fields,
    )
    version = ProductVersion.objects.create(
        product=product, number=1, name=name, price=price, description="Uji"
    )
    product.current_version = version
    product.save(update_fields=["current_version"])
    return product
