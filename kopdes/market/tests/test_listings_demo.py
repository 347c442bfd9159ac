"""The market demo: the demo cooperative sells at least three products with stock, and a second run
changes nothing."""

from __future__ import annotations

import pytest
from lokal import parse_qris

from kopdes.accounts.choices import Role
from kopdes.market.demo import DEMO_SLUG, KETUA_PHONE, demo_market_load
from kopdes.market.models import DeliveryZone, Listing, Location, SellerSettings, StockMovement
from kopdes.products.choices import ProducerKind, ProductStatus
from kopdes.products.tests.factories import cooperative_for, make_producer, make_product

from .factories import officer

pytestmark = pytest.mark.django_db

VILLAGE = "64.02.16.2001"


@pytest.fixture
def demo_coop(regions):
    coop = cooperative_for(VILLAGE)
    assert coop.slug == DEMO_SLUG
    officer(coop, Role.KETUA, phone=KETUA_PHONE)
    producer = make_producer(VILLAGE, kind=ProducerKind.COOPERATIVE)
    make_product(
        producer=producer, status=ProductStatus.READY, name="Madu Kelulut Hutan Tenggarong", price=85_000
    )
    make_product(producer=producer, status=ProductStatus.CURATED, name="Amplang Ikan Pipih Manunggal")
    return coop


def test_the_demo_cooperative_sells_with_stock_and_a_second_run_changes_nothing(demo_coop):
    summary, logins = demo_market_load()

    demo_coop.refresh_from_db()
    assert summary.startswith("4 listings") and logins == []
    assert parse_qris(demo_coop.qris_payload) is not None and demo_coop.bank_account_number
    assert set(Location.objects.filter(cooperative=demo_coop).values_list("kind", flat=True)) == {
        "outlet",
        "warehouse",
    }
    assert DeliveryZone.objects.filter(cooperative=demo_coop, region_id="64.02.16", is_active=True).exists()
    assert SellerSettings.objects.filter(cooperative=demo_coop).exists()
    sellable = Listing.objects.filter(cooperative=demo_coop, sellable=True, totals__stock_online__gt=0)
    assert sellable.count() >= 3
    assert not Listing.objects.filter(product__name="Amplang Ikan Pipih Manunggal").exists()

    counts = (Listing.objects.count(), StockMovement.objects.count(), Location.objects.count())
    prices = list(Listing.objects.order_by("id").values_list("price", "totals__stock_online"))
    again, _ = demo_market_load()

    assert again.startswith("0 listings, 0 products")
    assert (Listing.objects.count(), StockMovement.objects.count(), Location.objects.count()) == counts
    assert list(Listing.objects.order_by("id").values_list("price", "totals__stock_online")) == prices


def test_the_demo_is_skipped_without_the_demo_cooperative(regions):
    summary, _ = demo_market_load()
    assert summary.startswith("skipped")
