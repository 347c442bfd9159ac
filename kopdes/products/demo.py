"""Demo products: three products of the demo cooperative in Tenggarong Seberang, two of them
curated by the Kalimantan Timur curators, licensed, one ready for market and featured.

Built through the services. Idempotent.
"""

from __future__ import annotations

import datetime as dt

from kopdes.accounts.models import User
from kopdes.cooperatives.models import Cooperative
from kopdes.regions.models import Region

from . import services_catalog, services_curation, services_licences
from .choices import Category, Decision, LicenceStatus, ProducerKind
from .models import Product, RubricCriterion

PRODUCTS = [
    ("Amplang Ikan Pipih Manunggal", Category.FISH, 25_000, "250 g", True),
    ("Madu Kelulut Hutan Tenggarong", Category.HONEY, 85_000, "250 ml", True),
    ("Anyaman Rotan Dayak", Category.CRAFTS, 150_000, "1 buah", False),
]


def demo_products_load() -> tuple[str, list[tuple[str, str, str]]]:
    admin = User.objects.filter(phone="+6281264020001").first()
    curators = list(User.objects.filter(phone__in=["+6281500000007", "+6281500000008"]).order_by("phone"))
    ketua = User.objects.filter(phone="+6281400000001").first()
    coop = Cooperative.objects.filter(officers__user=ketua).first() if ketua else None
    if admin is None or coop is None or len(curators) < 2:
        return "skipped (load the people and cooperatives demo first)", []
    if Product.objects.filter(cooperative=coop).exists():
        return "0 products created", []
    producer = services_catalog.producer_create(actor=ketua, cooperative=coop, kind=ProducerKind.COOPERATIVE)
    today = dt.date.today()
    for index, (name, category, price, net, curated) in enumerate(PRODUCTS):
        product = services_catalog.product_create(
            actor=ketua,
            producer=producer,
            name=name,
            category=category,
            price=price,
            net_content=net,
            description=f"{name}, dibuat oleh warga desa dari bahan setempat.",
            local_material_percent=90,
            shelf_life_days=180 if category != Category.CRAFTS else None,
        )
        if not curated:
            continue
        round_ = services_curation.curation_submit(actor=ketua, product=product)
        criteria = RubricCriterion.objects.filter(part__rubric=round_.rubric)
        for offset, curator in enumerate(curators):
            points = {
                c.pk: max(c.max_points - (1 if (c.pk + offset + index) % 3 == 0 else 0), 0) for c in criteria
            }
            services_curation.curation_score(curator=curator, round=round_, points=points)
        services_curation.curation_decide(actor=admin, round=round_, decision=Decision.PASS)
        product.refresh_from_db()
        licences = ["nib", "spp_irt", "halal"] + (["skp"] if category == Category.FISH else [])
        for number, licence_type in enumerate(licences, start=1):
            services_licences.licence_set(
                actor=ketua,
                product=product,
                licence_type=licence_type,
                number=f"DEMO-{index}{number}-2026",
                issuer="Demo",
                issued_on=today - dt.timedelta(days=200),
                expires_on=today + dt.timedelta(days=30 if number == 2 else 1500),
                status=LicenceStatus.ISSUED,
            )
        if index == 1:
            services_licences.product_mark_ready(actor=ketua, product=product)
            regency = Region.objects.get(code=product.regency_code)
            services_licences.featured_designate(actor=admin, product=product, regency=regency)
    return f"{len(PRODUCTS)} products created", []
