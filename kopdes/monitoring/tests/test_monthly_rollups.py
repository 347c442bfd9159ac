"""The monthly rollups (MonthStat, and the folded states in RegionStat) equal what the facts say
after any sequence of changes: products, curation, licences, orders and their payments."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kopdes.accounts.choices import Role
from kopdes.core.errors import DomainError
from kopdes.market.choices import OrderStatus
from kopdes.market.models import Order
from kopdes.market.services_orders import (
    SELLER,
    cart_get,
    cart_set,
    checkout_place,
    order_transition,
    payment_confirm,
)
from kopdes.market.tests.factories import JAHAB, MASABEWA, make_listing, officer
from kopdes.market.tests.test_services_orders import request_for
from kopdes.monitoring.facts import this_month
from kopdes.monitoring.measures import is_coverage, is_state, read
from kopdes.monitoring.models import MonthStat, RegionStat, RollupDelta
from kopdes.monitoring.services import rollups_fold, rollups_rebuild
from kopdes.monitoring.tests.oracle import monthly_tables
from kopdes.products.choices import ProductStatus
from kopdes.products.models import Product

pytestmark = pytest.mark.django_db


def month_table() -> dict:
    """Every figure the months table holds (a money measure read from its count's row), but 0."""
    return {
        (r.region_code, r.month, measure): value
        for r in MonthStat.objects.all()
        for measure, value in read(r.measure, r.value, r.amount)
        if value
    }


def folded_states() -> dict:
    return {
        (r.region_code, measure): value
        for r in RegionStat.objects.all()
        if is_state(r.measure) and not is_coverage(r.measure)
        for measure, value in read(r.measure, r.value, r.amount)
        if value
    }


def expected() -> tuple[dict, dict]:
    monthly, states = monthly_tables()
    return ({k: v for k, v in monthly.items() if v}, {k: v for k, v in states.items() if v})


def test_an_order_placed_and_paid_folds_into_every_level_of_its_month():
    listing = make_listing(price=40_000, stock=5)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=2)
    [order] = checkout_place(actor=None, cart=cart, request=request_for(listing), idempotency_key="fold-0001")
    payment_confirm(actor=officer(listing.cooperative, Role.BENDAHARA), order=order)

    result = rollups_fold()

    month = this_month()
    assert result.deltas > 0 and not RollupDelta.objects.exists()
    for code in ("", "64", "64.02", "64.02.06"):
        row = dict(
            figure
            for m in MonthStat.objects.filter(region_code=code, month=month)
            for figure in read(m.measure, m.value, m.amount)
        )
        assert row["orders_created"] == 1 and row["gmv_created"] == 80_000
        assert row["gmv_paid"] == 80_000 and row["units_paid"] == 2
        assert row["orders:paid"] == 1 and row.get("orders:created", 0) == 0
    assert not MonthStat.objects.filter(region_code=JAHAB).exists()  # villages read their own facts
    assert RegionStat.objects.get(region_code="64.02.06", measure="orders:paid").value == 1
    # The village keeps its orders sold with their money (its district's page) in one row.
    sold = RegionStat.objects.get(region_code=JAHAB, measure="orders:paid")
    assert (sold.value, sold.amount) == (1, 80_000)
    assert not RegionStat.objects.filter(region_code=JAHAB, measure__startswith="gmv").exists()


steps = st.lists(
    st.one_of(
        st.tuples(st.just("list"), st.sampled_from([JAHAB, MASABEWA])),
        st.tuples(st.just("buy"), st.integers(min_value=1, max_value=3)),
        st.tuples(st.just("pay"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("unready"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("fold"), st.just(0)),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_rollups_equal_the_facts_after_any_sequence_of_changes(steps):
    with transaction.atomic():
        listings = [make_listing(JAHAB, stock=20)]
        orders: list[Order] = []
        for n, (kind, value) in enumerate(steps):
            try:
                if kind == "list":
                    listings.append(make_listing(value, stock=20))
                elif kind == "buy":
                    listing = listings[n % len(listings)]
                    cart = cart_get()
                    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=value)
                    orders += checkout_place(
                        actor=None, cart=cart, request=request_for(listing), idempotency_key=uuid.uuid4().hex
                    )
                elif kind == "pay" and orders:
                    order = orders[value % len(orders)]
                    payment_confirm(actor=officer(order.cooperative, Role.BENDAHARA), order=order)
                elif kind == "cancel" and orders:
                    order = orders[value % len(orders)]
                    order.refresh_from_db()
                    order_transition(
                        actor=officer(order.cooperative),
                        order=order,
                        to_status=OrderStatus.CANCELLED,
                        party=SELLER,
                        note="stok habis",
                    )
                elif kind == "unready":
                    product = Product.objects.get(pk=listings[value % len(listings)].product_id)
                    product.status = ProductStatus.CURATED
                    product.stars = 4
                    product.save()
                elif kind == "fold":
                    rollups_fold()
            except DomainError:
                pass
        rollups_fold()

        monthly, states = expected()
        assert month_table() == monthly
        assert folded_states() == states
        # And a rebuild from scratch writes the same tables.
        rollups_rebuild()
        assert month_table() == monthly
        assert folded_states() == states
        transaction.set_rollback(True)


def test_the_fold_command_folds_what_is_pending():
    from io import StringIO

    from django.core.management import call_command

    listing = make_listing(price=10_000)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=1)
    checkout_place(actor=None, cart=cart, request=request_for(listing), idempotency_key="fold-cmd-1")
    out = StringIO()

    call_command("fold_rollups", stdout=out)

    assert out.getvalue().startswith("folded=") and not out.getvalue().startswith("folded=0")
    assert not RollupDelta.objects.exists()


def test_many_facts_recorded_at_once_write_what_each_would_and_fold_the_same(regions):
    """record_many (a bulk change) appends exactly what `record` would for each fact, in batches
    of rows, and the fold adds them up."""
    import datetime as dt

    from kopdes.monitoring.facts import ROWS_PER_INSERT, record, record_many

    month, earlier = this_month(), dt.date(2026, 1, 1)
    changes = [
        (JAHAB, {(earlier, "orders:created"): 1}, JAHAB, {(month, "orders:paid"): 1, (month, "gmv_paid"): i})
        for i in range(1, ROWS_PER_INSERT + 50)
    ]
    with transaction.atomic():
        one_by_one = transaction.savepoint()
        for change in changes:
            record(*change)
        expected = sorted(RollupDelta.objects.values_list("region_code", "month", "measure", "delta"))
        transaction.savepoint_rollback(one_by_one)
    assert not RollupDelta.objects.exists()

    written = record_many(changes)

    assert written == len(expected) == 3 * len(changes)
    assert sorted(RollupDelta.objects.values_list("region_code", "month", "measure", "delta")) == expected
    rollups_fold()
    assert not RollupDelta.objects.exists()
    gmv = MonthStat.objects.get(region_code="64", month=month, measure="orders_paid").amount
    assert gmv == sum(range(1, ROWS_PER_INSERT + 50))


class RawEditor:
    """What the data migrations use of a schema editor (SQLite's refuses a test's transaction)."""

    quote_name = staticmethod(connection.ops.quote_name)

    @staticmethod
    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_migration_to_village_states_removes_only_the_states_a_village_no_longer_keeps():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("kopdes.monitoring.migrations.0005_village_states")
    rows = {
        (JAHAB, "products:ready"): 2,  # kept: the village's page
        (JAHAB, "gmv:paid"): 80_000,  # kept: its district's page
        (JAHAB, "members_active"): 40,  # coverage: the cooperative's own, not folded
        (JAHAB, "products_line:ovop"): 1,  # gone
        (JAHAB, "orders:paid"): 1,  # gone
        (JAHAB, "gmv:created"): 5_000,  # gone: not sold
        (JAHAB, "potential:pertanian"): 3,  # gone
        ("64.02.06", "orders:paid"): 1,  # a district keeps every state
        ("64.02.06", "products_line:ovop"): 1,
    }
    RegionStat.objects.bulk_create(
        RegionStat(region_code=code, measure=measure, value=value) for (code, measure), value in rows.items()
    )

    migration.forwards(apps, RawEditor())

    left = {(r.region_code, r.measure) for r in RegionStat.objects.all()}
    assert left == {
        (JAHAB, "products:ready"),
        (JAHAB, "gmv:paid"),
        (JAHAB, "members_active"),
        ("64.02.06", "orders:paid"),
        ("64.02.06", "products_line:ovop"),
    }
    # The migration's frozen list is the one the code keeps today, once 0006 put money in its
    # count's row.
    from kopdes.monitoring.measures import COUNT_OF, VILLAGE_STATES

    assert {COUNT_OF.get(m, m) for m in migration.KEPT} == VILLAGE_STATES


def test_the_migration_to_money_with_its_count_merges_the_rows_and_splits_them_back():
    from importlib import import_module

    from django.apps import apps

    from kopdes.monitoring.measures import MONEY_OF

    migration = import_module("kopdes.monitoring.migrations.0006_money_with_its_count")
    assert migration.MONEY_OF == MONEY_OF  # the frozen pairs are the code's
    month = this_month()
    states = {
        ("64.02.06", "orders:paid"): 2,
        ("64.02.06", "gmv:paid"): 90_000,
        (JAHAB, "gmv:paid"): 90_000,  # a village kept the money of its orders sold, not their count
        ("64.02.06", "products:ready"): 3,
    }
    months = {("64", "orders_created"): 4, ("64", "gmv_created"): 120_000, ("64", "units_paid"): 5}
    RegionStat.objects.bulk_create(
        RegionStat(region_code=c, measure=m, value=v) for (c, m), v in states.items()
    )
    MonthStat.objects.bulk_create(
        MonthStat(region_code=c, month=month, measure=m, value=v) for (c, m), v in months.items()
    )
    RollupDelta.objects.create(region_code=JAHAB, month=month, measure="gmv_paid", delta=7_000)

    migration.forwards(apps, RawEditor())

    assert {(r.region_code, r.measure): (r.value, r.amount) for r in RegionStat.objects.all()} == {
        ("64.02.06", "orders:paid"): (2, 90_000),
        (JAHAB, "orders:paid"): (0, 90_000),  # its count comes with the next rebuild
        ("64.02.06", "products:ready"): (3, 0),
    }
    assert {r.measure: (r.value, r.amount) for r in MonthStat.objects.all()} == {
        "orders_created": (4, 120_000),
        "units_paid": (5, 0),
    }
    assert list(RollupDelta.objects.values_list("measure", "delta", "amount")) == [("orders_paid", 0, 7_000)]

    migration.backwards(apps, RawEditor())

    assert {(r.region_code, r.measure): r.value for r in RegionStat.objects.all()} == states
    assert {r.measure: r.value for r in MonthStat.objects.all()} == dict(
        (m, v) for (_c, m), v in months.items()
    )
    assert list(RollupDelta.objects.values_list("measure", "delta")) == [("gmv_paid", 7_000)]
