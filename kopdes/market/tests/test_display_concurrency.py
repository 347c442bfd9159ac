"""Display point stock under real concurrency (PostgreSQL, threads): cashiers racing for the last
units sell exactly the shelf, a double tap makes one sale, and a take-back racing the sales
never takes the shelf below zero."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from django.db.models import Sum

from kopdes.core.errors import Conflict
from kopdes.market.models import DisplaySale, StockLevel, StockMovement
from kopdes.market.services_display import consign_back, display_sale_record, shelf_of

from .factories import LOA_IPUH, make_listing, officer, outlet
from .test_display_factories import make_point, on_shelf, operator_of

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL"
)


def _together(jobs) -> tuple[list[str], list[str]]:
    results: list[str] = []
    errors: list[str] = []
    start = threading.Barrier(len(jobs))

    def run(job) -> None:
        try:
            start.wait()
            try:
                job()
                results.append("ok")
            except Conflict as exc:
                results.append(exc.code)
        except Exception as exc:  # any other failure is the test's finding
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def _shelf(point, listing) -> int:
    return StockLevel.objects.get(location=shelf_of(point), listing=listing).quantity


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_cashiers_racing_for_the_last_units_sell_exactly_the_shelf(regions):
    point = make_point()
    amplang = on_shelf(point, quantity=6)
    madu = on_shelf(point, quantity=4, listing=make_listing(LOA_IPUH, stock=4))
    cashier = operator_of(point.operator)

    def sale(n: int):
        # Lines in both orders: the service takes the rows in listing-id order whatever is sent.
        lines = [(amplang.pk, 1), (madu.pk, 1)] if n % 2 else [(madu.pk, 1), (amplang.pk, 1)]
        return lambda: display_sale_record(
            actor=cashier,
            display_point=point,
            lines=lines,
            payment_method="cash",
            idempotency_key=uuid.uuid4().hex,
        )

    results, errors = _together([sale(n) for n in range(16)])

    assert errors == []
    assert results.count("ok") == 4 and set(results) <= {"ok", "not_enough_on_shelf"}
    assert _shelf(point, madu) == 0 and _shelf(point, amplang) == 2
    assert DisplaySale.objects.count() == 4


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_tap_makes_one_sale(regions):
    point = make_point()
    amplang = on_shelf(point, quantity=5)
    cashier = operator_of(point.operator)

    def tap():
        return display_sale_record(
            actor=cashier,
            display_point=point,
            lines=[(amplang.pk, 2)],
            payment_method="qris",
            idempotency_key="double-tap-0001",
        )

    results, errors = _together([tap] * 4)

    assert errors == [] and results == ["ok"] * 4
    assert DisplaySale.objects.count() == 1 and _shelf(point, amplang) == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_take_back_racing_the_sales_never_takes_the_shelf_below_zero(regions):
    point = make_point()
    amplang = on_shelf(point, quantity=5)
    cashier = operator_of(point.operator)
    ketua = officer(amplang.cooperative)

    def sell():
        display_sale_record(
            actor=cashier,
            display_point=point,
            lines=[(amplang.pk, 1)],
            payment_method="cash",
            idempotency_key=uuid.uuid4().hex,
        )

    def take_back():
        consign_back(
            actor=ketua,
            display_point=point,
            listing=amplang,
            to_location=outlet(amplang.cooperative),
            quantity=3,
        )

    results, errors = _together([sell] * 6 + [take_back])

    assert errors == []
    level = _shelf(point, amplang)
    moved = StockMovement.objects.filter(listing=amplang, location=shelf_of(point)).aggregate(s=Sum("delta"))[
        "s"
    ]
    assert level == moved >= 0
    sold = DisplaySale.objects.count()
    taken = 3 if results.count("ok") == sold + 1 else 0
    assert sold + taken + level == 5
