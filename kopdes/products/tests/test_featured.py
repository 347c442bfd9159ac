from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.products import selectors_licences as sel
from kopdes.products import services_licences as services
from kopdes.products.choices import ProductStatus
from kopdes.products.models import FeaturedProduct, ProvinceTarget
from kopdes.products.tests.factories import make_product
from kopdes.regions.models import Region

UTC = dt.UTC
# 2026-01-31 23:30 WIB = 16:30 UTC: still January in Jakarta, already February in WITA and WIT.
LATE_JANUARY_WIB = dt.datetime(2026, 1, 31, 23, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
SIKKA_VILLAGE = "53.07.01.2001"


@pytest.fixture
def sikka(regions):
    return Region.objects.get(code="53.07")


@pytest.fixture
def sikka_product(regions):
    village = Region.objects.filter(code__startswith="53.07.", level=4).order_by("code").first()
    return make_product(village.code, status=ProductStatus.CURATED)


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


@pytest.mark.parametrize(
    ("province", "zone"),
    [
        *[(code, "Asia/Jakarta") for code in ("11", "21", "31", "36", "61", "62")],
        *[(code, "Asia/Makassar") for code in ("51", "52", "53", "63", "64", "65", "71", "76")],
        *[(code, "Asia/Jayapura") for code in ("81", "82", "91", "96", "97")],
    ],
)
def test_each_province_keeps_its_own_local_time(province, zone):
    assert sel.region_zone(province + ".01").key == zone


def test_every_province_in_the_register_has_a_time_zone(regions):
    zones = {
        sel.region_zone(code).key for code in Region.objects.filter(level=1).values_list("code", flat=True)
    }
    assert zones == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}


def test_the_last_half_hour_of_january_in_jakarta_is_already_february_in_wita_and_wit():
    assert sel.local_month("31.71", LATE_JANUARY_WIB) == dt.date(2026, 1, 1)
    assert sel.local_month("61.01", LATE_JANUARY_WIB) == dt.date(2026, 1, 1)
    assert sel.local_month("53.07", LATE_JANUARY_WIB) == dt.date(2026, 2, 1)
    assert sel.local_month("64.02", LATE_JANUARY_WIB) == dt.date(2026, 2, 1)
    assert sel.local_month("91.01", LATE_JANUARY_WIB) == dt.date(2026, 2, 1)
    before = LATE_JANUARY_WIB - dt.timedelta(hours=1)  # 22:30 WIB = 23:30 WITA
    assert sel.local_month("53.07", before) == dt.date(2026, 1, 1)
    assert sel.local_month("91.01", before) == dt.date(2026, 2, 1)


def test_a_regency_admin_features_a_curated_product_for_the_local_month(sikka, sikka_product, sikka_admin):
    featured = services.featured_designate(
        actor=sikka_admin, product=sikka_product, regency=sikka, at=LATE_JANUARY_WIB
    )
    assert featured.month == dt.date(2026, 2, 1)
    assert AuditEvent.objects.filter(action="products.featured.designate").exists()


def test_a_jakarta_product_designated_at_the_same_moment_counts_for_january(regions):
    jakarta = Region.objects.get(code="31.71")
    village = Region.objects.filter(code__startswith="31.71.", level=4).order_by("code").first()
    product = make_product(village.code, status=ProductStatus.READY)
    admin = person(Role.ADMIN_PROVINCE, region="31", scope="31")
    featured = services.featured_designate(actor=admin, product=product, regency=jakarta, at=LATE_JANUARY_WIB)
    assert featured.month == dt.date(2026, 1, 1)


def test_a_product_is_featured_once_a_month(sikka, sikka_product, sikka_admin):
    services.featured_designate(actor=sikka_admin, product=sikka_product, regency=sikka, at=LATE_JANUARY_WIB)
    with pytest.raises(Conflict):
        services.featured_designate(
            actor=sikka_admin, product=sikka_product, regency=sikka, at=LATE_JANUARY_WIB
        )
    later = LATE_JANUARY_WIB + dt.timedelta(days=30)
    assert services.featured_designate(actor=sikka_admin, product=sikka_product, regency=sikka, at=later)


def test_an_uncurated_product_cannot_be_featured(sikka, sikka_admin, sikka_product):
    sikka_product.status = ProductStatus.IN_CURATION
    sikka_product.save()
    with pytest.raises(DomainError) as caught:
        services.featured_designate(actor=sikka_admin, product=sikka_product, regency=sikka)
    assert caught.value.code == "not_curated"
    assert not FeaturedProduct.objects.exists()


def test_a_product_of_another_regency_cannot_be_featured_there(sikka, sikka_admin, regions):
    product = make_product(status=ProductStatus.CURATED)  # Kutai Kartanegara
    with pytest.raises(DomainError):
        services.featured_designate(actor=sikka_admin, product=product, regency=sikka)


@pytest.mark.parametrize(
    "who",
    [
        lambda: person(Role.ADMIN_REGENCY, region="53.01", scope="53.01"),
        lambda: person(Role.ADMIN_PROVINCE, region="64", scope="64"),
        lambda: person(Role.CURATOR, region="53.07", scope="53.07"),
        lambda: None,
    ],
)
def test_only_admins_covering_the_regency_may_feature(sikka, sikka_product, who):
    with pytest.raises(PolicyDenied):
        services.featured_designate(actor=who(), product=sikka_product, regency=sikka)


def test_a_province_admin_of_ntt_may_feature_in_sikka(sikka, sikka_product, regions):
    admin = person(Role.ADMIN_PROVINCE, region="53", scope="53")
    assert services.featured_designate(actor=admin, product=sikka_product, regency=sikka)


def test_the_target_defaults_to_two_and_a_province_admin_sets_it(regions):
    ntt = Region.objects.get(code="53")
    assert sel.target_for("53") == 2
    admin = person(Role.ADMIN_PROVINCE, region="53", scope="53")
    services.target_set(actor=admin, province=ntt, per_regency_per_month=3)
    assert sel.target_for("53") == 3
    assert ProvinceTarget.objects.get().per_regency_per_month == 3
    assert AuditEvent.objects.filter(action="products.target.set").exists()


def test_a_regency_admin_or_another_province_cannot_set_the_target(regions):
    ntt = Region.objects.get(code="53")
    for who in (
        person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"),
        person(Role.ADMIN_PROVINCE, region="64", scope="64"),
    ):
        with pytest.raises(PolicyDenied):
            services.target_set(actor=who, province=ntt, per_regency_per_month=3)


def test_a_negative_target_is_refused(regions):
    admin = person(Role.ADMIN_NATIONAL)
    with pytest.raises(DomainError):
        services.target_set(actor=admin, province=Region.objects.get(code="53"), per_regency_per_month=-1)


def test_the_province_board_counts_per_regency_and_month_and_marks_overdue(
    sikka, sikka_product, sikka_admin, django_assert_max_num_queries
):
    services.featured_designate(actor=sikka_admin, product=sikka_product, regency=sikka, at=LATE_JANUARY_WIB)
    other = make_product(sikka_product.village_id, status=ProductStatus.CURATED)
    services.featured_designate(actor=sikka_admin, product=other, regency=sikka, at=LATE_JANUARY_WIB)
    ntt = Region.objects.get(code="53")
    at = dt.datetime(2026, 3, 15, tzinfo=UTC)
    with django_assert_max_num_queries(4):
        data = sel.board(user=None, region=ntt, year=2026, at=at)
    assert len(data["rows"]) == 22
    row = next(r for r in data["rows"] if r.regency.code == "53.07")
    january, february, march = row.cells[:3]
    assert (january.achieved, january.overdue) == (0, True)
    assert (february.achieved, february.target, february.overdue) == (2, 2, False)
    assert (march.achieved, march.overdue) == (0, False)  # not over yet
    assert data["achieved"] == 2


def test_the_regency_board_lists_the_products_behind_each_month(sikka, sikka_product, sikka_admin):
    services.featured_designate(actor=sikka_admin, product=sikka_product, regency=sikka, at=LATE_JANUARY_WIB)
    data = sel.board(user=None, region=sikka, year=2026, with_products=True)
    assert [p["product__name"] for p in data["rows"][0].cells[1].products] == [sikka_product.name]
