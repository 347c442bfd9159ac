"""The dashboard's figures equal what the services produced, folded into the rollups: key figures
with the month before, the funnel, sales by month, the featured board and the regions that lag."""

from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.errors import DomainError, NotFound
from kopdes.market.services_orders import cart_get, cart_set, checkout_place, payment_confirm
from kopdes.market.tests.factories import JAHAB, MASABEWA, make_listing, officer
from kopdes.market.tests.test_services_orders import request_for
from kopdes.monitoring.facts import this_month
from kopdes.monitoring.models import MonthStat
from kopdes.monitoring.selectors_dashboard import add_months, dashboard_get
from kopdes.monitoring.services import rollups_fold
from kopdes.products.models import Product
from kopdes.products.services_licences import featured_designate
from kopdes.regions.models import Region

pytestmark = pytest.mark.django_db


def buy(listing, quantity: int, key: str):
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=quantity)
    [order] = checkout_place(actor=None, cart=cart, request=request_for(listing), idempotency_key=key)
    return order


@pytest.fixture
def market(regions):
    """Jahab (Kutai Kartanegara) sells twice, one order paid and featured; Masabewa (Sikka) once, unpaid."""
    jahab = make_listing(JAHAB, price=40_000, stock=10)
    paid = buy(jahab, 2, "dash-0001")
    payment_confirm(actor=officer(jahab.cooperative, Role.BENDAHARA), order=paid)
    buy(jahab, 1, "dash-0002")
    masabewa = make_listing(MASABEWA, price=15_000, stock=5)
    buy(masabewa, 1, "dash-0003")
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    featured_designate(
        actor=admin,
        product=Product.objects.get(pk=jahab.product_id),
        regency=Region.objects.get(code="64.02"),
    )
    rollups_fold()
    paid.refresh_from_db()
    return {"jahab": jahab, "paid": paid, "masabewa": masabewa}


def figures(dashboard) -> dict:
    return {f.key: f for f in dashboard.figures}


def test_the_nations_key_figures_are_what_the_services_did_this_month(market):
    dash = dashboard_get(user=None, code="")

    f = figures(dash)
    assert dash.month == this_month() and dash.villages == 83762
    assert f["cooperatives"].value == 2 and f["cooperatives"].previous == 0
    assert f["cooperatives"].change == 2 and f["cooperatives"].change_text == "+2"
    assert f["products_ready"].value == 2 and f["products_curated"].value == 2
    assert f["orders_created"].value == 3 and f["orders_created"].previous == 0
    assert f["gmv_paid"].value == market["paid"].total and f["gmv_paid"].unit == "rupiah"
    assert f["units_paid"].value == 2
    assert f["featured"].value == 1
    # No ProvinceTarget rows: every regency owes the default two a month; 514 regencies and cities.
    assert f["featured"].target == 514 * 2
    assert f["villages_covered_percent"].value == pytest.approx(100 * 2 / 83762, abs=0.01)
    assert f["display_sales"].value == 0
    # Twelve months of history, oldest first, ending with this month.
    assert len(f["gmv_paid"].history) == 12 and f["gmv_paid"].history[-1] == market["paid"].total


def test_each_level_counts_only_what_lies_below_it(market):
    kukar = figures(dashboard_get(user=None, code="64.02"))
    sikka = figures(dashboard_get(user=None, code="53.07"))
    province = figures(dashboard_get(user=None, code="64"))

    assert (kukar["orders_created"].value, kukar["units_paid"].value) == (2, 2)
    assert kukar["featured"].value == 1 and kukar["featured"].target == 2
    assert province["featured"].target == Region.objects.get(code="64").child_count * 2
    assert (sikka["orders_created"].value, sikka["gmv_paid"].value, sikka["featured"].value) == (1, 0, 0)
    district = figures(dashboard_get(user=None, code="64.02.06"))
    assert district["gmv_paid"].value == market["paid"].total
    assert "featured" not in district  # targets are per regency


def test_key_figures_compare_with_the_month_before(market):
    previous = add_months(this_month(), -1)
    MonthStat.objects.bulk_create(
        [
            # Paid orders' money is held by their count's row.
            MonthStat(region_code="64", month=previous, measure="orders_paid", value=1, amount=50_000),
            MonthStat(region_code="64", month=previous, measure="orders_created", value=5),
            MonthStat(region_code="64", month=previous, measure="featured", value=4),
            # A cooperative existed before this month: this month's change then is +1, not +2.
            MonthStat(region_code="64", month=previous, measure="cooperatives", value=1),
        ]
    )
    MonthStat.objects.filter(region_code="64", month=this_month(), measure="cooperatives").update(value=0)

    f = figures(dashboard_get(user=None, code="64"))

    assert f["gmv_paid"].previous == 50_000
    assert f["gmv_paid"].change == market["paid"].total - 50_000
    assert f["orders_created"].previous == 5 and f["orders_created"].trend == "down"
    assert f["orders_created"].change_text == "\u22123"
    assert f["featured"].previous == 4
    # The state at the end of last month is today's value less this month's change (0).
    assert f["cooperatives"].previous == 1 and f["cooperatives"].value == 1
    assert f["gmv_paid"].history[-2:] == [50_000, market["paid"].total]


def test_a_past_month_shows_the_states_at_its_end_and_its_own_flows(market):
    previous = add_months(this_month(), -1)
    MonthStat.objects.create(region_code="", month=previous, measure="orders_paid", value=1, amount=70_000)

    dash = dashboard_get(user=None, code="", month=previous)

    f = figures(dash)
    assert dash.month == previous and not dash.is_current
    assert f["gmv_paid"].value == 70_000 and f["orders_created"].value == 0
    # Both cooperatives were registered this month: at the end of last month there were none.
    assert f["cooperatives"].value == 0 and f["products_ready"].value == 0
    assert dash.series[-1].month == previous and dash.series[-1].gmv_paid == 70_000
    assert sum(step.at_stage for step in dash.funnel) == 0
    # Children's flows are that month's: the board shows last month's featured (none).
    kaltim = next(r for r in dash.children if r.code == "64")
    assert kaltim.featured == 0 and kaltim.gmv_paid == 0
    assert kaltim.cooperatives == 1  # children's coverage columns are today's


def test_a_month_not_begun_or_badly_written_is_refused(regions):
    with pytest.raises(DomainError) as error:
        dashboard_get(user=None, code="64", month=add_months(this_month(), 1))
    assert error.value.code == "invalid_month"
    with pytest.raises(NotFound):
        dashboard_get(user=None, code="99")
    with pytest.raises(DomainError) as error:
        dashboard_get(user=None, code="not-a-code")
    assert error.value.code == "invalid_region_code"


def test_the_funnel_counts_cooperatives_that_reached_each_stage(market):
    dash = dashboard_get(user=None, code="")

    steps = {step.stage: step for step in dash.funnel}
    assert dash.funnel[0].stage == "none"
    assert steps["none"].at_stage == 2 and steps["none"].reached == 2
    assert steps["operasional"].reached == 0


def test_the_board_sets_each_childs_featured_products_against_its_target(market):
    nation = dashboard_get(user=None, code="")
    province = dashboard_get(user=None, code="64")
    regency = dashboard_get(user=None, code="64.02")

    kaltim = next(b for b in nation.board if b.code == "64")
    assert nation.board_kind == "regions" and len(nation.board) == 38
    assert (kaltim.featured, kaltim.target) == (1, Region.objects.get(code="64").child_count * 2)
    kukar = next(b for b in province.board if b.code == "64.02")
    assert (kukar.featured, kukar.target, kukar.achieved) == (1, 2, False)
    assert regency.board_kind == "months" and len(regency.board) == 12
    assert (regency.board[-1].featured, regency.board[-1].target) == (1, 2)
    assert dashboard_get(user=None, code="64.02.06").board == []


def test_the_regions_that_lag_are_the_lowest_covered_behind_target_and_without_sales(market):
    dash = dashboard_get(user=None, code="64")

    lag = dash.lagging
    assert len(lag.coverage) == 5 and "64.02" not in [r.code for r in lag.coverage]
    assert [r.percent for r in lag.coverage] == sorted(r.percent for r in lag.coverage)
    # Every regency is behind its target of 2; Kukar, with one, is the least behind.
    assert "64.02" not in [r.code for r in lag.featured] and len(lag.featured) == 5
    assert lag.no_sales_count == len(dash.children) - 1
    assert "64.02" not in [r.code for r in lag.no_sales]
    district = dashboard_get(user=None, code="64.02.06")
    # A district's villages keep no months: it lists cooperatives that never sold (Jahab sold).
    assert district.lagging.no_sales_basis == "ever" and district.lagging.no_sales_count == 0


def test_children_link_down_to_their_own_dashboards(market):
    dash = dashboard_get(user=None, code="64.02.06")

    jahab = next(r for r in dash.children if r.code == JAHAB)
    assert jahab.url == f"/dasbor/{JAHAB}/"
    assert jahab.cooperative is not None and jahab.cooperative.stage == "none"
    assert jahab.gmv_paid is None and jahab.gmv_sold == market["paid"].total
    assert [a.code for a in dash.ancestors] == ["64", "64.02"]


def test_a_villages_sales_come_from_its_cooperatives_own_orders_for_its_officers(market):
    treasurer = officer(market["jahab"].cooperative, Role.BENDAHARA)

    dash = dashboard_get(user=treasurer, code=JAHAB)

    f = figures(dash)
    assert dash.level == 4 and dash.sales_visible and dash.cooperative.name
    assert dash.cooperative_url == f"/koperasi/{market['jahab'].cooperative_id}/"
    assert f["cooperatives"].value == 1 and f["products_ready"].value == 1
    assert f["orders_created"].value == 2 and f["gmv_paid"].value == market["paid"].total
    assert f["units_paid"].value == 2 and f["orders_created"].previous == 0
    assert dash.series[-1].gmv_paid == market["paid"].total and len(dash.series) == 12
    assert dash.children == [] and dash.board == []


def test_a_villages_cooperative_sales_stay_hidden_from_the_public(market):
    dash = dashboard_get(user=None, code=JAHAB)

    keys = {f.key for f in dash.figures}
    assert not dash.sales_visible and dash.series == [] and dash.cooperative_url == ""
    assert "gmv_paid" not in keys and "orders_created" not in keys
    assert "members_active" in keys and dash.cooperative.public_url
    # An admin of another regency may not see them either; the regency's admin may.
    assert not dashboard_get(
        user=person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"), code=JAHAB
    ).sales_visible
    assert dashboard_get(
        user=person(Role.ADMIN_REGENCY, region="64.02", scope="64.02"), code=JAHAB
    ).sales_visible


def test_a_village_without_a_cooperative_shows_its_empty_figures(regions):
    dash = dashboard_get(user=None, code="64.02.06.1003")

    assert dash.cooperative is None and not dash.sales_visible
    assert {f.key: f.value for f in dash.figures}["cooperatives"] == 0
