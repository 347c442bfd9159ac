"""The catalog API: public listings with filters, sort, search and pages; one listing's details;
suggestions; a bad filter answered 400 with the structured error, in English and Indonesian."""

from __future__ import annotations

import pytest

from kopdes.accounts.services import token_create
from kopdes.market.models import Listing
from kopdes.market.search import stem_text
from kopdes.market.tests.factories import MASABEWA, make_listing, officer
from kopdes.products.selectors_licences import local_month

pytestmark = pytest.mark.django_db

API = "/api/v1/market"


def named(name: str, *args, **fields) -> Listing:
    listing = make_listing(*args, name=name, **fields)
    listing.search_name = stem_text(name)
    listing.save(update_fields=["search_name"])
    return listing


@pytest.fixture
def listings(regions):
    kopi = named("Kopi Arabika Gayo", price=25_000)
    madu = named("Madu Hutan", price=60_000, stock=0)
    tenun = named("Tenun Ikat Sikka", MASABEWA, price=300_000)
    Listing.objects.filter(pk=kopi.pk).update(
        stars=4, has_halal=True, rating_sum=9, rating_count=2, featured_month=local_month("64")
    )
    return {"kopi": kopi, "madu": madu, "tenun": tenun}


def test_visitors_list_listings_newest_first_with_featured_first(client, listings):
    response = client.get(f"{API}/listings")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and not body["count_capped"]
    assert [item["id"] for item in body["items"]] == [
        listings["kopi"].pk,  # featured this month
        listings["tenun"].pk,
        listings["madu"].pk,
    ]
    kopi = body["items"][0]
    assert kopi["price"] == 25_000 and kopi["stars"] == 4 and kopi["rating"] == 4.5
    assert kopi["halal"] is True and kopi["bpom"] is False and kopi["featured"] is True
    assert kopi["url"] == f"/produk/{listings['kopi'].slug}/"
    assert kopi["region"] == "Kabupaten Kutai Kartanegara"
    assert body["items"][2]["sold_out"] is True and body["items"][2]["stock"] == 0


def test_search_filters_sort_and_pages(client, listings):
    body = client.get(f"{API}/listings", {"q": "kopi gayo"}).json()
    assert [item["id"] for item in body["items"]] == [listings["kopi"].pk]
    body = client.get(f"{API}/listings", {"province": "53"}).json()
    assert [item["id"] for item in body["items"]] == [listings["tenun"].pk]
    body = client.get(f"{API}/listings", {"in_stock": "true", "sort": "price_high"}).json()
    assert [item["id"] for item in body["items"]] == [listings["tenun"].pk, listings["kopi"].pk]
    body = client.get(f"{API}/listings", {"sort": "price_low", "per_page": "2", "page": "2"}).json()
    assert [item["id"] for item in body["items"]] == [listings["tenun"].pk]
    assert body["pages"] == 2 and body["page"] == 2


def test_a_search_that_finds_nothing_carries_a_suggestion(client, listings):
    body = client.get(f"{API}/listings", {"q": "kopi arabica"}).json()
    assert body["count"] == 0 and body["suggestion"] == "kopi arabika"
    body = client.get(f"{API}/suggest", {"q": "madu hutn"}).json()
    assert body == {"q": "madu hutn", "suggestions": ["madu hutan"]}
    assert client.get(f"{API}/suggest", {"q": ""}).json()["suggestions"] == []


def test_a_listings_details(client, listings):
    kopi = listings["kopi"]
    response = client.get(f"{API}/listings/{kopi.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["cooperative"] == {
        "id": kopi.cooperative_id,
        "name": kopi.cooperative.name,
        "slug": kopi.cooperative.slug,
    }
    assert body["stock"] == 10 and body["price"] == 25_000 and body["min_order"] == 1
    assert body["halal"] is True and body["rating"] == 4.5 and body["rating_count"] == 2
    assert body["province"] == "Kalimantan Timur"


def test_a_listing_off_sale_is_not_found(client, listings):
    Listing.objects.filter(pk=listings["madu"].pk).update(sellable=False)
    response = client.get(f"{API}/listings/{listings['madu'].pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "listing_not_found"
    assert listings["madu"].pk not in [i["id"] for i in client.get(f"{API}/listings").json()["items"]]


def test_a_token_holder_reads_the_same_catalog(client, listings):
    user = officer(listings["kopi"].cooperative)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, name='t')[1]}"}
    assert client.get(f"{API}/listings", **headers).json()["count"] == 3
    assert client.get(f"{API}/listings/{listings['kopi'].pk}", **headers).status_code == 200


def test_the_sellers_listing_api_still_answers_on_the_same_path(client, listings):
    # The public GET shares /listings/{id} with the seller's PATCH: a visitor is asked to log in
    # (not told the method is not allowed), an officer may change the price.
    kopi = listings["kopi"]
    response = client.patch(f"{API}/listings/{kopi.pk}", {"price": 26_000}, content_type="application/json")
    assert response.status_code == 401
    user = officer(kopi.cooperative)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, name='t')[1]}"}
    response = client.patch(
        f"{API}/listings/{kopi.pk}", {"price": 26_000}, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    assert client.get(f"{API}/listings/{kopi.pk}").json()["price"] == 26_000


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stars": "9"}, "stars"),
        ({"stars": "banyak"}, "stars"),
        ({"sort": "cheapest"}, "sort"),
        ({"category": "gadgets"}, "category"),
        ({"line": "oxop"}, "line"),
        ({"province": "99"}, "province"),
        ({"regency": "64.99"}, "regency"),
        ({"province": "64", "regency": "53.07"}, "regency"),
        ({"price_min": "5000", "price_max": "100"}, "price_max"),
        ({"halal": "maybe"}, "halal"),
        ({"per_page": "500"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"q": "kopi " * 50}, "q"),
    ],
)
def test_a_bad_filter_is_a_structured_400(client, listings, params, field):
    response = client.get(f"{API}/listings", params)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_filter"
    assert error["message"] == "Some fields are not valid."
    assert list(error["fields"]) == [field] and error["fields"][field][0]


def test_a_bad_filter_is_explained_in_indonesian_too(client, listings):
    response = client.get(f"{API}/listings", {"province": "99"}, HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_filter"
    assert error["message"] == "Beberapa isian tidak valid."
    assert error["fields"]["province"] == ["Kode wilayah tidak dikenal: 99"]


def test_the_list_takes_a_fixed_number_of_queries(client, listings, django_assert_max_num_queries):
    for n in range(20):
        named(f"Kopi Sangrai {n}")
    client.get(f"{API}/listings")  # region names in the cache
    # The count with the page's featured, then (they do not fill it) all the featured and the rest.
    with django_assert_max_num_queries(3):
        assert client.get(f"{API}/listings", {"per_page": "24"}).status_code == 200
    with django_assert_max_num_queries(3):  # the matches (ranked in Python), the page's listings
        assert client.get(f"{API}/listings", {"q": "kopi"}).status_code == 200
    # With filters, one more on SQLite (a regency's listings counted) and two on PostgreSQL (the
    # search's planner settings, and back).
    with django_assert_max_num_queries(4):
        assert client.get(f"{API}/listings", {"q": "kopi", "regency": "64.02"}).status_code == 200
