"""The display points API: the list, a point's shelf, sales with an Idempotency-Key, consignments,
settlements and statements, behind the same policies as the pages."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import bearer
from kopdes.market.models import DisplayPoint, DisplaySale, SettlementEntry

from .factories import LOA_IPUH, make_listing, officer, outlet
from .test_display_factories import KUKAR, SIKKA, admin_of, make_point, on_shelf, operator_of, operator_org
from .test_display_services import sell, shelf_quantity, sold_at

pytestmark = pytest.mark.django_db
BASE = "/api/v1/display-points"
WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def point():
    return make_point(name="Galeri Bandara Api")


@pytest.fixture
def amplang(point):
    return on_shelf(point, quantity=5, price=25_000, name="Amplang Api")


@pytest.fixture
def cashier(point):
    return operator_of(point.operator)


def post(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_anyone_lists_the_open_points(client, point):
    response = client.get(BASE, {"kind": "airport"})
    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["items"]] == [point.slug]
    assert response.json()["items"][0]["region_code"] == point.region_id
    assert client.get(BASE, {"kind": "hotel"}).json()["count"] == 0


def test_the_list_keeps_the_points_inside_a_region(client, point):
    elsewhere = make_point(region="53.07.01.2001", name="Galeri Maumere Api")

    for region, slug in (("64", point.slug), ("53.07", elsewhere.slug), ("53.07.01.2001", elsewhere.slug)):
        response = client.get(BASE, {"region": region})
        assert response.status_code == 200
        assert [item["slug"] for item in response.json()["items"]] == [slug]


def test_the_operator_reads_the_shelf_and_outsiders_do_not(client, point, amplang, cashier):
    response = client.get(f"{BASE}/{point.slug}/stock", **bearer(cashier))
    assert response.status_code == 200
    assert response.json() == [
        {
            "listing_id": amplang.pk,
            "name": "Amplang Api",
            "cooperative_id": amplang.cooperative_id,
            "cooperative_name": amplang.cooperative.name,
            "price": 25_000,
            "quantity": 5,
        }
    ]
    assert client.get(f"{BASE}/{point.slug}/stock", **bearer(operator_of(operator_org()))).status_code == 403
    assert client.get(f"{BASE}/{point.slug}/stock").status_code == 401


def test_a_sale_with_a_key_is_recorded_once(client, point, amplang, cashier):
    body = {"lines": [{"listing_id": amplang.pk, "quantity": 2}], "payment_method": "qris"}
    auth = bearer(cashier)

    first = post(client, f"{BASE}/{point.slug}/sales", body, HTTP_IDEMPOTENCY_KEY="api-sale-0001", **auth)
    again = post(client, f"{BASE}/{point.slug}/sales", body, HTTP_IDEMPOTENCY_KEY="api-sale-0001", **auth)

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    assert first.json()["total"] == 50_000 and first.json()["payment_method"] == "qris"
    assert first.json()["lines"][0]["cooperative_id"] == amplang.cooperative_id
    assert DisplaySale.objects.count() == 1 and shelf_quantity(point, amplang) == 3


def test_a_sale_without_a_key_or_over_the_shelf_is_refused(client, point, amplang, cashier):
    auth = bearer(cashier)
    body = {"lines": [{"listing_id": amplang.pk, "quantity": 6}], "payment_method": "cash"}

    no_key = post(client, f"{BASE}/{point.slug}/sales", body, **auth)
    too_many = post(client, f"{BASE}/{point.slug}/sales", body, HTTP_IDEMPOTENCY_KEY="api-sale-0002", **auth)

    assert no_key.status_code == 400 and no_key.json()["error"]["code"] == "idempotency_key"
    assert too_many.status_code == 409
    error = too_many.json()["error"]
    assert error["code"] == "not_enough_on_shelf" and f"listing:{amplang.pk}" in error["fields"]
    assert shelf_quantity(point, amplang) == 5


@pytest.mark.parametrize("who", ["officer", "other_operator", "other_admin", "own_admin"])
def test_only_the_operator_sells_through_the_api(client, point, amplang, who):
    user = {
        "officer": lambda: officer(amplang.cooperative),
        "other_operator": lambda: operator_of(operator_org()),
        "other_admin": lambda: admin_of(SIKKA),
        "own_admin": lambda: admin_of(KUKAR),
    }[who]()
    body = {"lines": [{"listing_id": amplang.pk, "quantity": 1}]}
    response = post(
        client, f"{BASE}/{point.slug}/sales", body, HTTP_IDEMPOTENCY_KEY="api-sale-0003", **bearer(user)
    )
    assert response.status_code == 403 and shelf_quantity(point, amplang) == 5


def test_an_officer_consigns_and_the_operator_cannot_send_on_its_behalf(client, point, cashier):
    listing = make_listing(stock=8)
    body = {"listing_id": listing.pk, "location_id": outlet(listing.cooperative).pk, "quantity": 3}

    sent = post(client, f"{BASE}/{point.slug}/consignments", body, **bearer(officer(listing.cooperative)))
    refused = post(client, f"{BASE}/{point.slug}/consignments", body, **bearer(cashier))
    back = post(
        client,
        f"{BASE}/{point.slug}/consignments",
        {**body, "direction": "back", "quantity": 1},
        **bearer(cashier),
    )

    assert sent.status_code == 201 and sent.json()["quantity"] == 3
    assert refused.status_code == 403
    assert back.status_code == 201 and back.json()["quantity"] == -1
    assert shelf_quantity(point, listing) == 2


def test_settlements_are_prepared_settled_once_and_stated(client, point, amplang, cashier):
    sold_at(sell(point, cashier, (amplang, 3)), dt.datetime(2026, 5, 31, 23, 0, tzinfo=WITA))
    auth = bearer(cashier)

    prepared = post(client, f"{BASE}/{point.slug}/settlements", {"month": "2026-05"}, **auth)
    [draft] = prepared.json()
    listed = client.get(f"{BASE}/{point.slug}/settlements", {"month": "2026-05"}, **auth)
    settled = post(client, f"{BASE}/settlements/{draft['id']}/settle", {}, **auth)
    again = post(client, f"{BASE}/settlements/{draft['id']}/settle", {}, **auth)
    statement = client.get(
        f"{BASE}/settlements/{draft['id']}/statement",
        **bearer(officer(amplang.cooperative, role=Role.BENDAHARA)),
    )

    assert prepared.status_code == 200 and (draft["gross"], draft["commission"], draft["net"]) == (
        75_000,
        7_500,
        67_500,
    )
    assert listed.json()[0]["id"] == draft["id"]
    assert settled.status_code == again.status_code == 200 and settled.json()["status"] == "settled"
    assert SettlementEntry.objects.filter(cooperative=amplang.cooperative).count() == 2
    body = statement.json()
    assert statement.status_code == 200 and body["time_zone"] == "WITA" and body["commission_percent"] == 10
    assert body["lines"][0]["sold_at"].startswith("2026-05-31T23:00:00+08:00")
    assert body["lines"][0]["payment_method"] == "cash"
    assert body["products"] == [
        {"listing_id": amplang.pk, "name": "Amplang Api", "quantity": 3, "gross": 75_000}
    ]


def test_outsiders_cannot_settle_or_read_statements(client, point, amplang, cashier):
    sold_at(sell(point, cashier, (amplang, 1)), dt.datetime(2026, 5, 2, 9, tzinfo=WITA))
    draft = post(client, f"{BASE}/{point.slug}/settlements", {"month": "2026-05"}, **bearer(cashier)).json()[
        0
    ]
    ketua = bearer(officer(amplang.cooperative))
    stranger = bearer(officer(make_listing(LOA_IPUH).cooperative))

    assert post(client, f"{BASE}/{point.slug}/settlements", {"month": "2026-05"}, **ketua).status_code == 403
    assert post(client, f"{BASE}/settlements/{draft['id']}/settle", {}, **ketua).status_code == 403
    assert client.get(f"{BASE}/settlements/{draft['id']}/statement", **ketua).status_code == 200
    assert client.get(f"{BASE}/settlements/{draft['id']}/statement", **stranger).status_code == 403
    assert client.get(f"{BASE}/{point.slug}/settlements", **bearer(admin_of(SIKKA))).status_code == 403


def test_an_admin_opens_a_point_through_the_api(client, regions):
    org = operator_org()
    body = {
        "operator_organization_id": org.pk,
        "name": "Galeri Hotel Api",
        "kind": "hotel",
        "region_code": "64.02.06",
    }

    created = post(client, BASE, body, **bearer(admin_of(KUKAR)))
    refused = post(client, BASE, {**body, "name": "Galeri Lain"}, **bearer(admin_of(SIKKA)))
    unknown = post(client, BASE, {**body, "region_code": "99.99"}, **bearer(admin_of(KUKAR)))

    assert created.status_code == 201 and created.json()["slug"] == "galeri-hotel-api"
    assert refused.status_code == 403 and not DisplayPoint.objects.filter(name="Galeri Lain").exists()
    assert unknown.status_code == 400 and "region_code" in unknown.json()["error"]["fields"]
