"""The dashboards through the API: every figure of the pages, for the nation and any region."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import bearer, person
from kopdes.core import policies
from kopdes.market.tests.factories import JAHAB, officer
from kopdes.monitoring.facts import this_month
from kopdes.monitoring.models import MonthStat
from kopdes.monitoring.selectors_dashboard import add_months

from . import test_dashboard_figures as data
from .test_api import assert_error

pytestmark = pytest.mark.django_db
market = data.market


def test_anyone_gets_the_nations_dashboard_with_every_figure(client, market):
    response = client.get("/api/v1/coverage/dashboard/")

    assert response.status_code == 200
    body = response.json()
    assert body["region"] == {"code": "", "name": "Indonesia", "level": 0}
    assert body["month"] == f"{this_month():%Y-%m}" and body["villages"] == 83762
    figures = {f["key"]: f for f in body["figures"]}
    assert figures["gmv_paid"]["value"] == market["paid"].total and figures["gmv_paid"]["unit"] == "rupiah"
    assert figures["cooperatives"]["previous"] == 0 and figures["cooperatives"]["change"] == 2
    assert figures["featured"]["value"] == 1 and figures["featured"]["target"] == 1028
    assert len(figures["orders_created"]["history"]) == 12
    assert [s["stage"] for s in body["funnel"]][:2] == ["none", "sosialisasi"]
    assert body["funnel"][0]["reached"] == 2
    assert len(body["series"]) == 12 and body["series"][-1]["gmv_paid"] == market["paid"].total
    assert body["board_kind"] == "regions" and len(body["board"]) == 38
    assert len(body["children"]) == 38 and len(body["lagging"]["coverage"]) == 5
    assert body["lagging"]["no_sales_count"] == 37 and "64" not in body["lagging"]["no_sales"]
    assert body["sales_visible"] is True and body["cooperative"] is None


def test_a_regions_dashboard_has_the_same_numbers_as_its_page(client, market):
    page = client.get(reverse("monitoring:dashboard_region", args=["64.02"])).context["dash"]

    body = client.get("/api/v1/coverage/dashboard/64.02").json()

    assert [a["code"] for a in body["ancestors"]] == ["64"]
    assert {f["key"]: f["value"] for f in body["figures"]} == {f.key: f.value for f in page.figures}
    assert [(c["code"], c["gmv_paid"], c["cooperatives"]) for c in body["children"]] == [
        (r.code, r.gmv_paid, r.cooperatives) for r in page.children
    ]
    assert body["board_kind"] == "months" and body["board"][-1]["featured"] == 1


def test_a_past_month_is_asked_with_month(client, market):
    previous = add_months(this_month(), -1)
    MonthStat.objects.create(region_code="64.02", month=previous, measure="orders_created", value=7)

    body = client.get("/api/v1/coverage/dashboard/64.02", {"month": f"{previous:%Y-%m}"}).json()

    figures = {f["key"]: f for f in body["figures"]}
    assert body["month"] == f"{previous:%Y-%m}" and figures["orders_created"]["value"] == 7
    assert figures["cooperatives"]["value"] == 0  # registered this month


def test_bad_months_and_regions_answer_in_the_error_format(client, regions):
    assert_error(client.get("/api/v1/coverage/dashboard/64", {"month": "2026-13"}), 400, "invalid_month")
    assert_error(client.get("/api/v1/coverage/dashboard/99"), 404, "unknown_region")
    assert_error(client.get("/api/v1/coverage/dashboard/x"), 400, "invalid_region_code")


def test_a_villages_cooperative_sales_need_a_caller_who_may_see_its_books(client, market):
    public = client.get(f"/api/v1/coverage/dashboard/{JAHAB}").json()
    assert public["sales_visible"] is False and public["series"] == []
    assert "gmv_paid" not in {f["key"] for f in public["figures"]}
    assert public["cooperative"]["seat_code"] == JAHAB

    treasurer = officer(market["jahab"].cooperative, Role.BENDAHARA)
    body = client.get(f"/api/v1/coverage/dashboard/{JAHAB}", **bearer(treasurer)).json()
    figures = {f["key"]: f["value"] for f in body["figures"]}
    assert body["sales_visible"] is True and figures["gmv_paid"] == market["paid"].total

    stranger = person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")
    assert (
        client.get(f"/api/v1/coverage/dashboard/{JAHAB}", **bearer(stranger)).json()["sales_visible"] is False
    )


def test_a_token_that_is_not_valid_is_refused_not_ignored(client, regions):
    response = client.get("/api/v1/coverage/dashboard/", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401


def test_the_dashboard_api_still_asks_the_policy_layer(client, regions, monkeypatch):
    monkeypatch.setitem(policies._rules, "monitoring.dashboard.view", lambda user, obj: False)

    assert client.get("/api/v1/coverage/dashboard/").status_code == 403
    assert client.get("/api/v1/coverage/dashboard/53").status_code == 403


def test_the_existing_coverage_endpoints_still_answer(client, regions):
    assert client.get("/api/v1/coverage/").status_code == 200
    assert client.get("/api/v1/coverage/53").status_code == 200


@pytest.mark.parametrize("code", ["", "64", "64.02", "64.02.06", JAHAB])
def test_the_api_runs_a_fixed_number_of_queries(client, market, django_assert_max_num_queries, code):
    with django_assert_max_num_queries(4):
        assert client.get(f"/api/v1/coverage/dashboard/{code}").status_code == 200
