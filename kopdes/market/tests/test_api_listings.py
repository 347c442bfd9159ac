"""The market API for sellers: listings, stock per location with its movements, outlets and warehouses."""

from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import bearer, person
from kopdes.market.models import Listing, Location, StockLevel, StockMovement
from kopdes.products.choices import ProductStatus
from kopdes.products.tests.factories import make_product

from .factories import JAHAB, MASABEWA, make_listing, officer, outlet, seller
from .test_api_orders import API, JSON, assert_error

pytestmark = pytest.mark.django_db


def listings_url(cooperative) -> str:
    return f"{API}/cooperatives/{cooperative.slug}/listings"


# --- Listings ---------------------------------------------------------------------------------


def test_officers_list_everything_their_cooperative_sells(client, django_assert_max_num_queries):
    listing = make_listing(stock=4)
    for _ in range(3):
        make_listing(stock=1)
    hidden = make_listing(stock=0)
    Listing.objects.filter(pk=hidden.pk).update(is_active=False, sellable=False)
    make_listing(MASABEWA)
    headers = bearer(officer(listing.cooperative, Role.PENGAWAS))

    with django_assert_max_num_queries(8):
        response = client.get(listings_url(listing.cooperative), **headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert {row["id"]: row["stock_online"] for row in body["items"]}[listing.pk] == 4
    assert not {row["id"]: row for row in body["items"]}[hidden.pk]["is_active"]


def test_the_listings_of_a_cooperative_are_refused_to_outsiders(client):
    listing = make_listing()
    url = listings_url(listing.cooperative)
    kukar_admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    sikka_admin = person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")

    assert client.get(url, **bearer(kukar_admin)).status_code == 200
    assert_error(client.get(url, **bearer(sikka_admin)), 403, "forbidden")
    assert_error(client.get(url, **bearer(person(Role.BUYER))), 403, "forbidden")
    assert_error(client.get(url, **bearer(officer(seller(MASABEWA)))), 403, "forbidden")
    assert_error(client.get(url), 401, "not_authenticated")


def test_the_chair_lists_a_ready_product(client):
    cooperative = seller(JAHAB)
    product = make_product(JAHAB, status=ProductStatus.READY, name="Kerupuk Ikan Pipih")
    chair = officer(cooperative)

    response = client.post(
        listings_url(cooperative),
        {"product_id": product.pk, "price": 18_000, "weight_grams": 200, "min_order": 2},
        content_type=JSON,
        **bearer(chair),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["price"], body["min_order"], body["sellable"], body["stock_online"]) == (18_000, 2, True, 0)
    assert body["name"] == "Kerupuk Ikan Pipih"
    again = client.post(
        listings_url(cooperative), {"product_id": product.pk, "price": 1}, content_type=JSON, **bearer(chair)
    )
    assert_error(again, 409, "already_listed")


def test_listing_refuses_bad_input_and_other_peoples_products(client):
    cooperative = seller(JAHAB)
    chair = officer(cooperative)
    url = listings_url(cooperative)
    ready = make_product(JAHAB, status=ProductStatus.READY)
    draft = make_product(JAHAB, status=ProductStatus.DRAFT)
    theirs = make_product(MASABEWA, status=ProductStatus.READY)

    def post(body, user=chair):
        return client.post(url, body, content_type=JSON, **bearer(user))

    assert "price" in assert_error(post({"product_id": ready.pk}), 400, "invalid")["fields"]
    assert_error(post({"product_id": ready.pk, "price": 0}), 400, "invalid")
    assert_error(post({"product_id": ready.pk, "price": "mahal"}), 400, "invalid")
    assert_error(post({"product_id": draft.pk, "price": 1000}), 400, "product_not_listable")
    assert_error(post({"product_id": theirs.pk, "price": 1000}), 400, "unknown_product")
    assert_error(post({"product_id": "x", "price": 1000}), 400, "invalid")
    assert_error(
        post({"product_id": ready.pk, "price": 1000}, officer(cooperative, Role.PENGAWAS)), 403, "forbidden"
    )
    assert_error(post({"product_id": ready.pk, "price": 1000}, officer(seller(MASABEWA))), 403, "forbidden")
    assert not Listing.objects.exists()


@pytest.mark.parametrize("min_order", [0, 10_001, 2**63 + 1])
def test_a_minimum_order_no_cart_can_hold_is_refused(client, min_order):
    # 2**63 + 1 overflowed SQLite's integers: a 500, found by schemathesis.
    listing = make_listing(price=20_000)
    url = f"{API}/listings/{listing.pk}"
    chair = officer(listing.cooperative)

    error = assert_error(
        client.patch(url, {"min_order": min_order}, content_type=JSON, **bearer(chair)), 400, "invalid"
    )

    assert "min_order" in error["fields"]
    assert (
        client.patch(url, {"min_order": 10_000}, content_type=JSON, **bearer(chair)).json()["min_order"]
        == 10_000
    )


def test_the_chair_changes_a_listing_and_an_outsider_cannot(client):
    listing = make_listing(price=20_000)
    url = f"{API}/listings/{listing.pk}"
    chair = officer(listing.cooperative)

    changed = client.patch(url, {"price": 21_000, "is_active": False}, content_type=JSON, **bearer(chair))

    assert changed.status_code == 200, changed.content
    assert (changed.json()["price"], changed.json()["is_active"], changed.json()["sellable"]) == (
        21_000,
        False,
        False,
    )
    assert_error(client.patch(url, {"min_order": 0}, content_type=JSON, **bearer(chair)), 400, "invalid")
    stranger = officer(seller(MASABEWA))
    assert_error(client.patch(url, {"price": 1}, content_type=JSON, **bearer(stranger)), 403, "forbidden")
    assert_error(
        client.patch(f"{API}/listings/999999", {}, content_type=JSON, **bearer(chair)), 404, "unknown_listing"
    )
    listing.refresh_from_db()
    assert listing.price == 21_000


# --- Stock ------------------------------------------------------------------------------------


def test_stock_shows_levels_and_recent_movements(client):
    listing = make_listing(stock=6)
    secretary = officer(listing.cooperative, Role.SEKRETARIS)

    response = client.get(f"{API}/listings/{listing.pk}/stock", **bearer(secretary))

    assert response.status_code == 200
    body = response.json()
    assert body["stock_online"] == 6
    assert [(level["location_id"], level["quantity"]) for level in body["levels"]] == [
        (outlet(listing.cooperative).pk, 6)
    ]
    assert_error(
        client.get(f"{API}/listings/{listing.pk}/stock", **bearer(person(Role.BUYER))), 403, "forbidden"
    )


def test_an_officer_adjusts_stock_with_a_reason_and_it_is_recorded(client):
    listing = make_listing(stock=6)
    chair = officer(listing.cooperative)
    url = f"{API}/listings/{listing.pk}/stock-adjustments"
    place = outlet(listing.cooperative)

    added = client.post(
        url,
        {"location_id": place.pk, "delta": 4, "note": "Produksi baru"},
        content_type=JSON,
        **bearer(chair),
    )

    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["movement"]["delta"], body["movement"]["balance_after"]) == (4, 10)
    assert body["stock"]["stock_online"] == 10
    assert body["stock"]["movements"][0]["note"] == "Produksi baru"
    assert StockMovement.objects.get(listing=listing).reason == "adjust"


def test_stock_adjustments_refuse_bad_input_and_outsiders(client):
    listing = make_listing(stock=3)
    chair = officer(listing.cooperative)
    url = f"{API}/listings/{listing.pk}/stock-adjustments"
    place = outlet(listing.cooperative)
    elsewhere = outlet(seller(MASABEWA))

    def post(body, user=chair):
        return client.post(url, body, content_type=JSON, **bearer(user))

    assert_error(post({"location_id": place.pk, "delta": -5, "note": "Rusak"}), 409, "not_enough_stock")
    assert_error(post({"location_id": place.pk, "delta": 2, "note": ""}), 400, "reason_required")
    assert_error(post({"location_id": place.pk, "delta": 0, "note": "x"}), 400, "invalid")
    assert_error(post({"location_id": place.pk, "delta": "banyak", "note": "x"}), 400, "invalid")
    assert_error(post({"location_id": elsewhere.pk, "delta": 2, "note": "x"}), 404, "not_found")
    assert_error(post({"delta": 2, "note": "x"}), 400, "invalid")
    kukar_admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    assert_error(post({"location_id": place.pk, "delta": 2, "note": "x"}, kukar_admin), 403, "forbidden")
    assert_error(
        post({"location_id": place.pk, "delta": 2, "note": "x"}, officer(seller(MASABEWA))), 403, "forbidden"
    )
    assert StockLevel.objects.get(listing=listing).quantity == 3
    assert not StockMovement.objects.exists()


# --- Locations --------------------------------------------------------------------------------


def test_the_chair_adds_a_warehouse_and_officers_list_the_locations(client):
    cooperative = seller(JAHAB)
    chair = officer(cooperative)
    url = f"{API}/cooperatives/{cooperative.slug}/locations"

    added = client.post(
        url,
        {
            "kind": "warehouse",
            "name": "Gudang Loa Ipuh",
            "village_code": "64.02.06.1002",
            "latitude": -0.4123456789,
        },
        content_type=JSON,
        **bearer(chair),
    )
    listed = client.get(url, **bearer(officer(cooperative, Role.BENDAHARA)))

    assert added.status_code == 201, added.content
    assert added.json()["latitude"] == pytest.approx(-0.412346)
    assert [(row["kind"], row["name"]) for row in listed.json()] == [
        ("outlet", "Gerai Utama"),
        ("warehouse", "Gudang Loa Ipuh"),
    ]


def test_locations_refuse_bad_input_and_outsiders(client):
    cooperative = seller(JAHAB)
    chair = officer(cooperative)
    url = f"{API}/cooperatives/{cooperative.slug}/locations"

    def post(body, user=chair):
        return client.post(url, body, content_type=JSON, **bearer(user))

    good = {"kind": "outlet", "name": "Gerai Pasar", "village_code": JAHAB}
    assert_error(post({**good, "kind": "display"}), 400, "invalid")
    assert_error(post({**good, "name": " "}), 400, "invalid")
    assert_error(post({**good, "village_code": "64.02"}), 400, "unknown_region")
    assert_error(post({**good, "latitude": 123}), 400, "invalid")
    assert_error(post(good, officer(seller(MASABEWA))), 403, "forbidden")
    assert_error(client.get(url, **bearer(person(Role.BUYER))), 403, "forbidden")
    assert Location.objects.filter(cooperative=cooperative).count() == 1
