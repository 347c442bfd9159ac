"""A display point changes and closes: an admin of its region edits its name, address and
commission (a settled month keeps its rate) and closes it once its shelf is empty; a closed point
sells and takes nothing until it is opened again. Refused for operators and other regions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kopdes.core.errors import Conflict, DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.market.models import DisplayPoint, Location
from kopdes.market.selectors_display import statement
from kopdes.market.services_display import (
    consign,
    consign_back,
    display_point_close,
    display_point_reopen,
    display_point_update,
    display_settlement_prepare,
    display_settlement_settle,
)

from .factories import make_listing, officer, outlet
from .test_display_factories import KUKAR, SIKKA, admin_of, make_point, on_shelf, operator_of
from .test_display_services import may_2026, sell, sold_at

pytestmark = pytest.mark.django_db


def change(point, actor, **fields):
    values = {
        "name": point.name,
        "address": point.address,
        "latitude": point.latitude,
        "longitude": point.longitude,
        "commission_percent": point.commission_percent,
    } | fields
    return display_point_update(actor=actor, point=point, **values)


def test_an_admin_of_its_region_changes_a_point_and_its_shelf_follows(regions):
    point = make_point(commission=10)
    changed = change(point, admin_of(KUKAR), name="Galeri Baru", address="Terminal 2", commission_percent=12)

    assert (changed.name, changed.address, changed.commission_percent) == ("Galeri Baru", "Terminal 2", 12)
    shelf = Location.objects.get(display_point=point)
    assert (shelf.name, shelf.address) == ("Galeri Baru", "Terminal 2")
    event = AuditEvent.objects.get(action="market.display.update", object_id=str(point.pk))
    assert event.changes["commission_percent"] == [10, 12] and "latitude" not in event.changes


def test_nothing_changed_records_nothing(regions):
    point = make_point()
    change(point, admin_of(KUKAR))
    assert not AuditEvent.objects.filter(action="market.display.update").exists()


@pytest.mark.parametrize("who", ["operator", "other region"])
def test_the_operator_and_an_admin_elsewhere_may_not_change_or_close_it(regions, who):
    point = make_point()
    actor = operator_of(point.operator) if who == "operator" else admin_of(SIKKA)
    with pytest.raises(PolicyDenied):
        change(point, actor, commission_percent=40)
    with pytest.raises(PolicyDenied):
        display_point_close(actor=actor, point=point)
    point.refresh_from_db()
    assert point.commission_percent == 10 and point.is_active


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"commission_percent": 51}, "commission_percent"),
        ({"latitude": "91"}, "latitude"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(regions, fields, field):
    point = make_point()
    before = point.address
    with pytest.raises(DomainError) as refused:
        change(point, admin_of(KUKAR), **({"address": "Jalan Baru"} | fields))
    assert field in refused.value.fields
    point.refresh_from_db()
    assert point.address == before != "Jalan Baru" and point.commission_percent == 10


def test_a_point_with_goods_on_its_shelf_closes_only_once_they_are_taken_back(regions):
    point = make_point()
    listing = on_shelf(point, quantity=3)
    admin = admin_of(KUKAR)

    with pytest.raises(Conflict) as refused:
        display_point_close(actor=admin, point=point)
    assert refused.value.code == "display_point_not_empty"
    assert DisplayPoint.objects.get(pk=point.pk).is_active

    ketua = officer(listing.cooperative)
    consign_back(
        actor=ketua, display_point=point, listing=listing, to_location=outlet(listing.cooperative), quantity=3
    )
    closed = display_point_close(actor=admin, point=point)

    assert not closed.is_active and not Location.objects.get(display_point=point).is_active
    assert AuditEvent.objects.filter(action="market.display.close", object_id=str(point.pk)).exists()
    with pytest.raises(Conflict):
        consign(
            actor=ketua,
            display_point=point,
            listing=listing,
            from_location=outlet(listing.cooperative),
            quantity=1,
        )

    reopened = display_point_reopen(actor=admin, point=point)
    assert reopened.is_active and Location.objects.get(display_point=point).is_active


def test_a_settled_month_keeps_the_rate_it_was_settled_at(regions):
    point = make_point(commission=10)
    listing = on_shelf(point, quantity=10, price=10_000)
    cashier = operator_of(point.operator)
    sold_at(sell(point, cashier, (listing, 2)), may_2026(15, 12))
    [draft] = display_settlement_prepare(actor=cashier, display_point=point, month=dt.date(2026, 5, 1))
    settled = display_settlement_settle(actor=cashier, settlement=draft)
    assert settled.commission_percent == 10 and settled.commission == 2_000

    change(point, admin_of(KUKAR), commission_percent=20)

    shown = statement(user=cashier, settlement=settled)
    assert shown.percent == 10 and shown.commission == 2_000


def test_the_admin_changes_and_closes_it_from_its_page(client, regions):
    point = make_point()
    admin = admin_of(KUKAR)
    client.force_login(admin)
    page = client.get(reverse("market:display_manage", args=[point.slug]))
    assert b'id="link-edit"' in page.content and b'id="open-close"' in page.content

    answer = client.post(
        reverse("market:display_edit", args=[point.slug]),
        {
            "name": "Galeri Pelabuhan",
            "address": "Dermaga 1",
            "latitude": "",
            "longitude": "",
            "commission_percent": "8",
        },
    )
    assert answer.status_code == 302
    point.refresh_from_db()
    assert (point.name, point.commission_percent) == ("Galeri Pelabuhan", 8)

    bad = client.post(
        reverse("market:display_edit", args=[point.slug]),
        {"name": "Galeri", "address": "", "latitude": "", "longitude": "", "commission_percent": "80"},
    )
    assert bad.status_code == 200 and b"commission_percent" in bad.content

    client.post(reverse("market:display_open_close", args=[point.slug]), {"close": "1"})
    point.refresh_from_db()
    assert not point.is_active


def test_the_operator_sees_no_edit_and_is_refused(client, regions):
    point = make_point()
    operator = operator_of(point.operator)
    client.force_login(operator)
    page = client.get(reverse("market:display_manage", args=[point.slug]))
    assert page.status_code == 200 and b'id="link-edit"' not in page.content
    assert client.get(reverse("market:display_edit", args=[point.slug])).status_code == 403
    assert (
        client.post(reverse("market:display_open_close", args=[point.slug]), {"close": "1"}).status_code
        == 403
    )
    point.refresh_from_db()
    assert point.is_active


def test_the_api_changes_closes_and_reopens_a_point(client, regions):
    point = make_point()
    client.force_login(admin_of(KUKAR))
    url = f"/api/v1/display-points/{point.slug}"
    body = {"name": "Galeri API", "address": "", "commission_percent": 5}
    changed = client.put(url, body, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["commission_percent"] == 5

    wrong = client.put(url, body | {"commission_percent": 70}, content_type="application/json")
    assert wrong.status_code == 400 and "commission_percent" in wrong.json()["error"]["fields"]

    listing = make_listing(stock=5)
    on_shelf(point, quantity=1, listing=listing)
    full = client.post(f"{url}/close", content_type="application/json")
    assert full.status_code == 409 and full.json()["error"]["code"] == "display_point_not_empty"


def test_the_api_refuses_an_operator(client, regions):
    point = make_point()
    client.force_login(operator_of(point.operator))
    url = f"/api/v1/display-points/{point.slug}"
    assert (
        client.put(url, {"name": "X", "commission_percent": 5}, content_type="application/json").status_code
        == 403
    )
    assert client.post(f"{url}/close", content_type="application/json").status_code == 403
