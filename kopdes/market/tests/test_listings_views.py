"""The seller's shop pages: listings, stock with reasons and movements, places, delivery zones and
settings; who may see and who may change them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.models import AuditEvent
from kopdes.market.choices import LocationKind, MovementReason
from kopdes.market.models import DeliveryZone, Listing, Location, SellerSettings, StockLevel, StockMovement
from kopdes.products.choices import ProductStatus
from kopdes.products.tests.factories import make_product

from .factories import JAHAB, MASABEWA, make_listing, officer, outlet, seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def coop(regions):
    return seller(JAHAB)


@pytest.fixture
def ketua(coop):
    return officer(coop)


@pytest.fixture
def listing(coop):
    return make_listing(JAHAB, name="Amplang Jahab", price=25_000, stock=8)


def url(name, coop, *args):
    return reverse(f"market:{name}", args=[coop.slug, *args])


def picker(name: str, code: str) -> dict:
    """The region picker's selects down to `code`."""
    parts = code.split(".")
    return {f"{name}__{n}": ".".join(parts[:n]) for n in range(1, len(parts) + 1)}


# --- Who may see ------------------------------------------------------------------------------


def test_an_officer_sees_the_listings_with_price_stock_and_state_in_few_queries(
    client, coop, ketua, listing, django_assert_max_num_queries
):
    for n in range(4):
        make_listing(JAHAB, name=f"Keripik {n}", stock=n)
    client.force_login(ketua)
    client.get(url("listings", coop))

    with django_assert_max_num_queries(10):
        response = client.get(url("listings", coop))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Amplang Jahab" in body and "Rp25.000" in body and "stock 8" in body and "For sale" in body
    assert url("listing_stock", coop, listing.pk) in body and 'id="add"' in body


@pytest.mark.parametrize("who", ["buyer", "other_officer", "other_admin", "member"])
def test_others_cannot_open_a_cooperatives_shop(client, coop, listing, who):
    other = seller(MASABEWA)
    user = {
        "buyer": lambda: person(Role.BUYER),
        "other_officer": lambda: officer(other),
        "other_admin": lambda: person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"),
        "member": lambda: person(Role.MEMBER, org=coop.organization),
    }[who]()
    client.force_login(user)

    for name, args in [
        ("listings", []),
        ("listing_stock", [listing.pk]),
        ("locations", []),
        ("zones", []),
        ("seller_settings", []),
    ]:
        assert client.get(url(name, coop, *args)).status_code == 403, name


def test_a_visitor_is_sent_to_log_in(client, coop):
    response = client.get(url("listings", coop))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_an_unknown_cooperative_or_another_cooperatives_listing_is_not_found(client, coop, ketua, regions):
    foreign = make_listing(MASABEWA, name="Tenun Sikka")
    client.force_login(ketua)

    assert client.get(reverse("market:listings", args=["9999999999"])).status_code == 404
    assert client.get(url("listing_stock", coop, foreign.pk)).status_code == 404
    assert client.get(url("listing_edit", coop, foreign.pk)).status_code == 404


def test_the_supervisor_sees_the_shop_but_cannot_change_it(client, coop, listing):
    pengawas = officer(coop, Role.PENGAWAS)
    client.force_login(pengawas)

    page = client.get(url("listings", coop)).content.decode()
    assert "Amplang Jahab" in page and 'id="add"' not in page
    product = make_product(JAHAB, status=ProductStatus.READY, name="Madu Kelulut")
    refused = client.post(url("listings", coop), {"product": product.pk, "price": "10.000", "min_order": 1})
    assert refused.status_code == 403
    assert client.post(url("listing_edit", coop, listing.pk), {"price": "1"}).status_code == 403
    assert client.post(url("seller_settings", coop), {"payment_hours": 5}).status_code == 403
    assert not Listing.objects.filter(product=product).exists()


def test_the_menu_leads_an_officer_to_the_shop(client, coop, ketua):
    client.force_login(ketua)
    response = client.get(reverse("market:seller_home"))
    assert response.status_code == 302 and response["Location"] == url("listings", coop)


# --- Listing a product ------------------------------------------------------------------------


def test_an_officer_lists_a_ready_product_with_an_indonesian_price(client, coop, ketua):
    product = make_product(JAHAB, status=ProductStatus.READY, name="Madu Kelulut")
    client.force_login(ketua)

    response = client.post(
        url("listings", coop),
        {"product": product.pk, "price": "85.000", "weight_grams": 400, "min_order": 2, "is_active": "on"},
    )

    listing = Listing.objects.get(product=product)
    assert (
        response.status_code == 302
        and response["Location"] == url("listing_stock", coop, listing.pk) + "#adjust"
    )
    assert (listing.price, listing.weight_grams, listing.min_order) == (85_000, 400, 2)
    assert listing.sellable and listing.cooperative == coop
    assert AuditEvent.objects.filter(action="market.listing.create", actor=ketua).exists()


def test_a_product_not_ready_is_listed_but_not_sold_and_the_page_says_why(client, coop, ketua):
    product = make_product(JAHAB, status=ProductStatus.CURATED, name="Anyaman Rotan")
    make_product(JAHAB, status=ProductStatus.DRAFT, name="Draf Rahasia")
    client.force_login(ketua)

    page = client.get(url("listings", coop)).content.decode()
    assert "Anyaman Rotan (Curated)" in page and "Draf Rahasia" not in page
    assert "Only products ready for market are sold" in page

    client.post(
        url("listings", coop), {"product": product.pk, "price": "150.000", "min_order": 1, "is_active": "on"}
    )
    listing = Listing.objects.get(product=product)
    assert not listing.sellable
    assert "Product not ready for market" in client.get(url("listings", coop)).content.decode()
    assert (
        "Only products ready for market are sold"
        in client.get(url("listing_edit", coop, listing.pk)).content.decode()
    )


def test_a_bad_price_is_shown_on_the_form(client, coop, ketua):
    product = make_product(JAHAB, status=ProductStatus.READY)
    client.force_login(ketua)

    response = client.post(url("listings", coop), {"product": product.pk, "price": "murah", "min_order": 1})

    assert response.status_code == 200
    assert "Write the price in rupiah" in response.content.decode()
    assert not Listing.objects.filter(product=product).exists()


def test_the_regency_admin_may_set_a_price(client, coop, listing):
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    client.force_login(admin)

    response = client.post(
        url("listing_edit", coop, listing.pk),
        {"price": "27.500", "weight_grams": 250, "min_order": 3, "is_active": "on"},
    )

    listing.refresh_from_db()
    assert response.status_code == 302
    assert (listing.price, listing.min_order) == (27_500, 3)


def test_taking_a_listing_off_sale(client, coop, ketua, listing):
    client.force_login(ketua)
    client.post(
        url("listing_edit", coop, listing.pk), {"price": "25.000", "weight_grams": 250, "min_order": 1}
    )
    listing.refresh_from_db()
    assert not listing.is_active and not listing.sellable
    assert "Not on sale" in client.get(url("listings", coop)).content.decode()


# --- Stock ------------------------------------------------------------------------------------


def test_an_officer_adds_stock_with_a_reason_and_the_movement_is_recorded(client, coop, ketua, listing):
    place = outlet(coop)
    client.force_login(ketua)

    response = client.post(
        url("listing_stock", coop, listing.pk), {"location": place.pk, "delta": "12", "note": "Produksi baru"}
    )

    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.stock_online == 20
    movement = StockMovement.objects.get(listing=listing)
    assert (movement.delta, movement.balance_after, movement.reason) == (12, 20, MovementReason.ADJUST)
    assert movement.actor == ketua and movement.channel == "web" and movement.note == "Produksi baru"
    page = client.get(url("listing_stock", coop, listing.pk)).content.decode()
    assert "<strong>+12</strong> → 20" in page and "Produksi baru" in page and ketua.full_name in page
    assert 'id="stock-online">20<' in page


def test_a_stock_change_without_a_reason_is_refused_on_the_form(client, coop, ketua, listing):
    client.force_login(ketua)

    response = client.post(
        url("listing_stock", coop, listing.pk), {"location": outlet(coop).pk, "delta": "-3", "note": " "}
    )

    assert response.status_code == 200
    assert "Say why the stock changes." in response.content.decode()
    assert not StockMovement.objects.filter(listing=listing).exists()
    assert StockLevel.objects.get(listing=listing).quantity == 8


def test_removing_more_than_the_shelf_holds_is_refused(client, coop, ketua, listing):
    client.force_login(ketua)

    response = client.post(
        url("listing_stock", coop, listing.pk), {"location": outlet(coop).pk, "delta": "-9", "note": "Rusak"}
    )

    assert response.status_code == 200
    assert "There is not that much stock here to remove." in response.content.decode()
    listing.refresh_from_db()
    assert listing.stock_online == 8


def test_stock_is_counted_by_officers_only_not_by_the_regency_admin(client, coop, listing):
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    client.force_login(admin)

    page = client.get(url("listing_stock", coop, listing.pk))
    assert page.status_code == 200 and "Only the cooperative's officers change stock" in page.content.decode()
    refused = client.post(
        url("listing_stock", coop, listing.pk), {"location": outlet(coop).pk, "delta": "5", "note": "x"}
    )
    assert refused.status_code == 403
    assert not StockMovement.objects.filter(listing=listing).exists()


def test_stock_cannot_be_put_in_another_cooperatives_warehouse(client, coop, ketua, listing):
    foreign = outlet(seller(MASABEWA))
    client.force_login(ketua)

    response = client.post(
        url("listing_stock", coop, listing.pk), {"location": foreign.pk, "delta": "5", "note": "x"}
    )

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not StockMovement.objects.filter(listing=listing).exists()


# --- Places -----------------------------------------------------------------------------------


def test_an_officer_adds_a_warehouse_with_the_region_picker(client, coop, ketua):
    client.force_login(ketua)

    response = client.post(
        url("locations", coop),
        {
            "action": "create",
            "kind": LocationKind.WAREHOUSE,
            "name": "Gudang Desa",
            **picker("village", JAHAB),
        },
    )

    assert response.status_code == 302
    warehouse = Location.objects.get(cooperative=coop, name="Gudang Desa")
    assert warehouse.kind == LocationKind.WAREHOUSE and warehouse.village_id == JAHAB
    assert "Gudang Desa" in client.get(url("locations", coop)).content.decode()


def test_a_place_without_a_village_is_refused(client, coop, ketua):
    client.force_login(ketua)
    response = client.post(
        url("locations", coop),
        {"action": "create", "kind": LocationKind.OUTLET, "name": "Gerai 2", **picker("village", "64.02")},
    )
    assert response.status_code == 200 and not Location.objects.filter(name="Gerai 2").exists()


def test_a_place_holding_stock_cannot_be_taken_out_of_use_until_it_is_empty(client, coop, ketua, listing):
    place = outlet(coop)
    client.force_login(ketua)

    client.post(url("locations", coop), {"action": "deactivate", "location": place.pk})
    place.refresh_from_db()
    assert place.is_active

    StockLevel.objects.filter(location=place).update(quantity=0)
    client.post(url("locations", coop), {"action": "deactivate", "location": place.pk})
    place.refresh_from_db()
    assert not place.is_active
    client.post(url("locations", coop), {"action": "activate", "location": place.pk})
    place.refresh_from_db()
    assert place.is_active


def test_another_cooperatives_officer_cannot_close_a_place(client, coop):
    intruder = officer(seller(MASABEWA))
    client.force_login(intruder)
    response = client.post(url("locations", coop), {"action": "deactivate", "location": outlet(coop).pk})
    assert response.status_code == 403 and outlet(coop).is_active


# --- Delivery zones and settings --------------------------------------------------------------


def test_an_officer_sets_and_removes_a_delivery_zone(client, coop, ketua):
    client.force_login(ketua)

    response = client.post(
        url("zones", coop), {"action": "set", "fee": "7.500", **picker("region", "64.02.06")}
    )

    assert response.status_code == 302
    zone = DeliveryZone.objects.get(cooperative=coop, region_id="64.02.06")
    assert zone.fee == 7_500 and zone.is_active
    assert "Rp7.500" in client.get(url("zones", coop)).content.decode()

    client.post(url("zones", coop), {"action": "set", "fee": "5.000", **picker("region", "64.02.06")})
    zone.refresh_from_db()
    assert zone.fee == 5_000

    client.post(url("zones", coop), {"action": "remove", "zone": zone.pk})
    zone.refresh_from_db()
    assert not zone.is_active


def test_a_zone_outside_the_province_is_refused(client, coop, ketua):
    client.force_login(ketua)
    response = client.post(url("zones", coop), {"action": "set", "fee": "5.000", **picker("region", "53.07")})
    assert response.status_code == 200
    assert "only inside its own province" in response.content.decode()
    assert not DeliveryZone.objects.filter(region_id="53.07").exists()


def test_the_seller_settings_row_is_created_on_the_first_save(client, coop, ketua):
    client.force_login(ketua)
    assert not SellerSettings.objects.filter(cooperative=coop).exists()
    assert "These are the defaults" in client.get(url("seller_settings", coop)).content.decode()

    response = client.post(url("seller_settings", coop), {"cod_enabled": "on", "payment_hours": "12"})

    assert response.status_code == 302
    settings = SellerSettings.objects.get(cooperative=coop)
    assert (settings.courier_enabled, settings.cod_enabled, settings.transfer_enabled) == (False, True, False)
    assert settings.payment_hours == 12


def test_payment_hours_beyond_a_week_are_refused(client, coop, ketua):
    client.force_login(ketua)
    response = client.post(url("seller_settings", coop), {"payment_hours": "500"})
    assert response.status_code == 200 and not SellerSettings.objects.filter(cooperative=coop).exists()
