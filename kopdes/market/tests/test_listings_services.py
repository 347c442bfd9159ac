"""The seller's services beyond stock: places going out of use, delivery zones, seller settings."""

from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.market.models import DeliveryZone, SellerSettings
from kopdes.market.services_seller import (
    delivery_zone_remove,
    delivery_zone_set,
    location_set_active,
    seller_settings_update,
)
from kopdes.regions.models import Region

from .factories import JAHAB, MASABEWA, make_listing, officer, outlet, seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def coop(regions):
    return seller(JAHAB)


@pytest.fixture
def ketua(coop):
    return officer(coop)


def test_a_place_with_stock_stays_in_use(coop, ketua):
    make_listing(JAHAB, stock=3)
    with pytest.raises(Conflict) as caught:
        location_set_active(actor=ketua, location=outlet(coop), active=False)
    assert caught.value.code == "location_has_stock"


def test_an_empty_place_goes_out_of_use_and_is_audited(coop, ketua):
    place = outlet(coop)
    location_set_active(actor=ketua, location=place, active=False)
    place.refresh_from_db()
    assert not place.is_active
    assert AuditEvent.objects.filter(action="market.location.deactivate", actor=ketua).exists()


def test_a_pengawas_or_another_cooperatives_officer_cannot_close_a_place(coop):
    for user in (officer(coop, Role.PENGAWAS), officer(seller(MASABEWA))):
        with pytest.raises(PolicyDenied):
            location_set_active(actor=user, location=outlet(coop), active=False)


def test_the_most_precise_zone_is_kept_per_area_and_removing_keeps_the_row(coop, ketua):
    village = Region.objects.get(code=JAHAB)
    zone = delivery_zone_set(actor=ketua, cooperative=coop, region=village, fee=3_000)
    again = delivery_zone_set(actor=ketua, cooperative=coop, region=village, fee=4_000, name="Jahab")
    assert again.pk == zone.pk and again.fee == 4_000 and again.name == "Jahab"

    delivery_zone_remove(actor=ketua, zone=again)
    again.refresh_from_db()
    assert not again.is_active
    back = delivery_zone_set(actor=ketua, cooperative=coop, region=village, fee=4_000)
    assert back.pk == zone.pk and back.is_active


@pytest.mark.parametrize(
    ("code", "fee", "field"),
    [("64", 1_000, "region"), ("53.07", 1_000, "region"), ("64.02", -1, "fee"), ("64.02", 20_000_000, "fee")],
)
def test_a_zone_must_be_a_local_area_at_a_sane_fee(coop, ketua, code, fee, field):
    with pytest.raises(DomainError) as caught:
        delivery_zone_set(actor=ketua, cooperative=coop, region=Region.objects.get(code=code), fee=fee)
    assert field in caught.value.fields
    assert not DeliveryZone.objects.filter(region_id=code).exists()


def test_another_regions_admin_cannot_set_a_zone(coop):
    admin = person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")
    with pytest.raises(PolicyDenied):
        delivery_zone_set(actor=admin, cooperative=coop, region=Region.objects.get(code="64.02"), fee=1)


def test_seller_settings_are_created_once_and_changed_after(coop, ketua):
    first = seller_settings_update(actor=ketua, cooperative=coop, courier_enabled=False, payment_hours=6)
    second = seller_settings_update(actor=ketua, cooperative=coop, payment_hours=48)
    assert first.pk == second.pk and SellerSettings.objects.count() == 1
    assert (second.courier_enabled, second.cod_enabled, second.payment_hours) == (False, True, 48)


@pytest.mark.parametrize("values", [{"payment_hours": 0}, {"payment_hours": 169}, {"colour": "red"}])
def test_bad_seller_settings_are_refused(coop, ketua, values):
    with pytest.raises(DomainError):
        seller_settings_update(actor=ketua, cooperative=coop, **values)
    assert not SellerSettings.objects.exists()


def test_a_buyer_cannot_change_seller_settings(coop):
    with pytest.raises(PolicyDenied):
        seller_settings_update(actor=person(Role.BUYER), cooperative=coop, payment_hours=2)
