"""The dashboard pages: drill-down from the nation to a village and its cooperative, the month
filter, the Excel download, who sees what, where admins land, and queries that do not grow."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.db.models import Q
from django.urls import reverse
from openpyxl import load_workbook

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core import policies
from kopdes.core.visitor_cache import kept_objects
from kopdes.market.tests.factories import JAHAB, LOA_IPUH, MASABEWA, generation_queries, make_listing, officer
from kopdes.monitoring.facts import this_month
from kopdes.monitoring.models import MonthStat
from kopdes.monitoring.selectors_dashboard import CACHED_CODE_LENGTH, add_months
from kopdes.monitoring.services import rollups_fold
from kopdes.regions.models import Region

from . import test_dashboard_figures as data

pytestmark = pytest.mark.django_db
market = data.market  # the fixture: two cooperatives selling, one order paid, one featured product


def dashboard(code: str = "") -> str:
    return reverse("monitoring:dashboard_region", args=[code]) if code else reverse("monitoring:dashboard")


def test_the_nation_page_shows_key_figures_charts_and_a_row_per_province(client, market):
    response = client.get(dashboard())

    assert response.status_code == 200
    body = response.content.decode()
    dash = response.context["dash"]
    assert len(dash.children) == 38 and dash.figure("gmv_paid").value == market["paid"].total
    assert body.count('class="chart"') == 2  # the sales chart and the funnel, inline SVG
    assert 'data-key="gmv_paid"' in body and "<script" not in body.split("<main")[1]
    assert f'href="{dashboard("64")}"' in body
    assert reverse("monitoring:dashboard_excel_nation") in body


def test_every_level_links_down_to_the_next_until_the_village_and_its_cooperative(client, market):
    path = ["64", "64.02", "64.02.06", JAHAB]
    response = client.get(dashboard())
    for code in path:
        assert f'href="{dashboard(code)}"' in response.content.decode()
        response = client.get(dashboard(code))
        assert response.status_code == 200

    body = response.content.decode()
    for code in path[:-1]:
        assert f'href="{dashboard(code)}"' in body  # the breadcrumb
    cooperative = market["jahab"].cooperative
    assert cooperative.name in body
    assert f'href="{reverse("cooperatives:microsite", args=[cooperative.slug])}"' in body


def test_a_past_month_is_chosen_with_bulan_and_kept_while_drilling_down(client, market):
    previous = add_months(this_month(), -1)
    MonthStat.objects.create(region_code="64", month=previous, measure="orders_paid", value=1, amount=12_345)

    response = client.get(dashboard("64"), {"bulan": f"{previous:%Y-%m}"})

    dash = response.context["dash"]
    assert dash.month == previous and dash.figure("gmv_paid").value == 12_345
    body = response.content.decode()
    assert f'href="{dashboard("64.02")}?bulan={previous:%Y-%m}"' in body
    assert f'value="{previous:%Y-%m}"' in body
    assert response.context["later_url"] == dashboard("64")  # back to this month
    client.cookies["django_language"] = "en"
    past = client.get(dashboard("64"), {"bulan": f"{previous:%Y-%m}"}).content.decode()
    assert "shows their coverage as it is today" in past
    assert "shows their coverage as it is today" not in client.get(dashboard("64")).content.decode()


def test_a_bad_month_or_region_is_a_clear_error(client, regions):
    assert client.get(dashboard("64"), {"bulan": "maret"}).status_code == 400
    assert client.get(dashboard("64"), {"bulan": f"{add_months(this_month(), 1):%Y-%m}"}).status_code == 400
    assert client.get(dashboard("99")).status_code == 404
    assert client.get(dashboard("abc")).status_code == 400


def test_the_excel_download_has_the_pages_tables(client, market):
    response = client.get(reverse("monitoring:dashboard_excel", args=["64"]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="dasbor-64-')
    book = load_workbook(BytesIO(response.content))
    assert len(book.sheetnames) == 5
    figures = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True) if row[0]}
    assert market["paid"].total in figures.values()
    regions = list(book.worksheets[4].iter_rows(min_row=2, values_only=True))
    assert len(regions) == 10 and any(row[0] == "64.02" and row[9] == market["paid"].total for row in regions)


def test_anyone_may_see_a_regions_dashboard(client, market):
    assert client.get(dashboard("53")).status_code == 200
    client.force_login(person(Role.BUYER))
    assert client.get(dashboard("64.02.06")).status_code == 200


def test_a_village_cooperatives_sales_show_to_its_officers_and_admins_only(client, market):
    anonymous = client.get(dashboard(JAHAB))
    assert anonymous.status_code == 200 and not anonymous.context["dash"].sales_visible
    assert 'data-key="gmv_paid"' not in anonymous.content.decode()

    client.force_login(person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"))
    assert not client.get(dashboard(JAHAB)).context["dash"].sales_visible

    client.force_login(officer(market["jahab"].cooperative, Role.KETUA))
    body = client.get(dashboard(JAHAB)).content.decode()
    assert 'data-key="gmv_paid"' in body and 'class="chart"' in body
    assert f'href="/koperasi/{market["jahab"].cooperative_id}/"' in body  # its registry page


def test_the_dashboard_pages_still_ask_the_policy_layer(client, regions, monkeypatch):
    monkeypatch.setitem(policies._rules, "monitoring.dashboard.view", lambda user, obj: False)

    assert client.get(dashboard()).status_code == 403
    assert client.get(dashboard("53")).status_code == 403
    assert client.get(reverse("monitoring:dashboard_excel", args=["53"])).status_code == 403


@pytest.mark.parametrize(
    ("role", "scope", "lands_on"),
    [
        (Role.ADMIN_REGENCY, "64.02", "/dasbor/64.02/"),
        (Role.ADMIN_PROVINCE, "53", "/dasbor/53/"),
        (Role.ADMIN_NATIONAL, None, "/dasbor/"),
        (Role.BUYER, None, "/dasbor/"),
    ],
)
def test_each_admin_lands_on_their_own_regions_dashboard(client, regions, role, scope, lands_on):
    user = person(role, region=scope, scope=scope) if scope else person(role)
    client.force_login(user)

    response = client.get(reverse("monitoring:dashboard_mine"))

    assert response.status_code == 302 and response["Location"] == lands_on
    home = client.get("/").content.decode()
    assert (f'href="{lands_on}"' in home) == (role != Role.BUYER)  # the home page's panel


def more_data() -> None:
    """Cooperatives, listings and orders elsewhere: a dashboard's queries must not grow with them."""
    others = Region.objects.filter(level=4).filter(
        Q(code__startswith="64.02.06.") | Q(code__startswith="53.07.01.")
    )
    codes = {
        LOA_IPUH,
        MASABEWA,
        *others.exclude(code__in=[JAHAB, LOA_IPUH, MASABEWA]).values_list("code", flat=True)[:3],
    }
    for code in sorted(codes):
        listing = make_listing(code, stock=5)
        data.buy(listing, 1, f"more-{code}")
    rollups_fold()


LEVELS = ["", "64", "64.02", "64.02.06", JAHAB]


@pytest.mark.parametrize("code", LEVELS)
def test_a_visitors_dashboard_runs_a_fixed_number_of_queries_whatever_the_data(
    client, market, django_assert_num_queries, code
):
    # The region(s) with their provinces' targets, RegionStat and MonthStat; a district adds its
    # villages' cooperatives; a village its cooperative (its sales are not read for a visitor).
    # The nation, a province and a regency are kept in memory under the rollups' generation,
    # which costs its row without a shared cache.
    kept = len(code) <= CACHED_CODE_LENGTH
    expected = {"": 3, "64": 3, "64.02": 3, "64.02.06": 4, JAHAB: 3}[code] + (
        generation_queries() if kept else 0
    )
    with django_assert_num_queries(expected):
        assert client.get(dashboard(code)).status_code == 200
    more_data()
    kept_objects().clear()  # read again from the rollups, as after a change
    with django_assert_num_queries(expected):
        assert client.get(dashboard(code)).status_code == 200


@pytest.mark.parametrize("code", ["", "64", "64.02"])
def test_a_kept_dashboard_costs_only_its_generation(client, market, django_assert_num_queries, code):
    client.get(dashboard(code))
    with django_assert_num_queries(generation_queries()):
        assert client.get(dashboard(code)).status_code == 200


@pytest.mark.parametrize("code", LEVELS)
def test_an_officers_dashboard_runs_at_most_ten_queries(client, market, django_assert_max_num_queries, code):
    client.force_login(officer(market["jahab"].cooperative, Role.BENDAHARA))
    client.get(dashboard(code))  # the session is loaded once
    more_data()
    # A village adds its one cooperative's sales: four aggregates over that cooperative's rows.
    with django_assert_max_num_queries(10):
        response = client.get(dashboard(code))
    assert response.status_code == 200
