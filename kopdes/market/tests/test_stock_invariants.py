"""Stock invariants: exactly the stock is sold when buyers race (PostgreSQL, real threads), and
after any sequence of stock operations the levels equal the movements and never go below zero."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kopdes.core.errors import Conflict, DomainError
from kopdes.core.events import subscribe, unsubscribe
from kopdes.market.choices import OrderStatus
from kopdes.market.models import Checkout, Listing, ListingTotals, Order, StockLevel, StockMovement
from kopdes.market.services_orders import (
    SELLER,
    cart_get,
    cart_set,
    checkout_place,
    order_transition,
)
from kopdes.market.services_stock import stock_adjust

from .factories import MASABEWA, make_listing, officer, outlet
from .test_services_orders import check_out_from_two_tabs, request_for

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL"
)


def _race(listings, buyers: int, quantity: int = 1) -> tuple[list[str], list[str]]:
    """`buyers` threads each put `quantity` of one listing (round robin) in a cart and check out."""
    results: list[str] = []
    errors: list[str] = []
    start = threading.Barrier(buyers)

    def buyer(n: int) -> None:
        listing = listings[n % len(listings)]
        try:
            cart = cart_get()
            try:
                cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=quantity)
            except Conflict:
                results.append("sold_out_at_cart")
                start.wait()
                return
            start.wait()
            try:
                checkout_place(
                    actor=None, cart=cart, request=request_for(listing), idempotency_key=uuid.uuid4().hex
                )
                results.append("bought")
            except Conflict as exc:
                results.append(exc.code)
        except Exception as exc:  # any other failure is the test's finding
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_many_buyers_racing_for_the_last_units_buy_exactly_the_stock(regions):
    listing = make_listing(stock=10)

    results, errors = _race([listing], buyers=32)

    assert errors == []
    assert results.count("bought") == 10
    assert set(results) <= {"bought", "out_of_stock", "sold_out_at_cart"}
    assert StockLevel.objects.get(listing=listing).quantity == 0
    assert Listing.objects.get(pk=listing.pk).stock_online == 0
    assert Order.objects.count() == 10 and Checkout.objects.count() == 10  # the losers wrote nothing
    assert (
        StockMovement.objects.filter(listing=listing, reason="checkout").aggregate(s=Sum("delta"))["s"] == -10
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_over_several_products_never_oversells_any(regions):
    listings = [make_listing(stock=5), make_listing(stock=3), make_listing(MASABEWA, stock=4)]

    results, errors = _race(listings, buyers=36, quantity=1)

    assert errors == []
    assert results.count("bought") == 12
    for listing in listings:
        assert StockLevel.objects.get(listing=listing).quantity == 0
        assert Listing.objects.get(pk=listing.pk).stock_online == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_checkout_makes_one_order(regions):
    listing = make_listing(stock=5)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=2)
    seen: list[list[int]] = []
    errors: list[str] = []
    start = threading.Barrier(4)

    def press() -> None:
        try:
            start.wait()
            orders = checkout_place(
                actor=None, cart=cart, request=request_for(listing), idempotency_key="same-key-123"
            )
            seen.append([order.pk for order in orders])
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Order.objects.count() == 1
    assert all(pks == seen[0] for pks in seen)
    assert StockLevel.objects.get(listing=listing).quantity == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_cart_of_one_listing_is_one_statement_committed_as_it_ends_and_its_hooks_follow(
    regions, monkeypatch
):
    """Outside any transaction a cart of one listing opens none (no BEGIN, no COMMIT: PostgreSQL
    commits the statement as it ends); what waits for the commit runs after it and sees the
    order committed. A cart of several listings is a transaction (its stock rows locked first)."""
    listing, other_listing = make_listing(stock=5), make_listing(MASABEWA, stock=5)
    carts = []
    for listings in ([listing], [listing, other_listing]):
        cart = cart_get()
        for each in listings:
            cart_set(actor=None, cart=cart, listing_id=each.pk, quantity=1)
        carts.append((cart, listings))
    opened: list[bool] = []
    set_autocommit = connection.set_autocommit

    def spy(autocommit, **kwargs):
        opened.append(autocommit)
        return set_autocommit(autocommit, **kwargs)

    elsewhere = connection.copy()
    seen: list[int] = []

    def changed(order_id, **kwargs):
        with elsewhere.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM market_order WHERE id = %s", [order_id])
            seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(connection, "set_autocommit", spy)
    subscribe("market.order.changed")(changed)
    try:
        cart, listings = carts[0]
        checkout_place(actor=None, cart=cart, request=request_for(*listings), idempotency_key="alone-0001")
        assert opened == [] and seen == [1]
        cart, listings = carts[1]
        checkout_place(actor=None, cart=cart, request=request_for(*listings), idempotency_key="two-00001")
        assert opened == [False, True] and seen == [1, 1, 1]
    finally:
        unsubscribe("market.order.changed", changed)
        elsewhere.close()
    assert StockLevel.objects.get(listing=listing).quantity == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_cart_placed_in_another_tab_meanwhile_leaves_the_second_statement_nothing_written(
    regions, monkeypatch
):
    """The two-tabs case of test_services_orders outside a transaction, where the statement is
    its own: the second tab's statement finds the item gone and fails whole (no checkout, order
    or event of its own committed), reads again and answers that the cart is empty."""
    from kopdes.market.models import OrderEvent

    listing = make_listing(stock=5)

    order, error = check_out_from_two_tabs(monkeypatch, listing)

    assert error.code == "cart_empty"
    assert list(Order.objects.values_list("pk", flat=True)) == [order.pk]
    assert list(Checkout.objects.values_list("idempotency_key", flat=True)) == ["tab-one-01"]
    assert OrderEvent.objects.count() == 1
    assert StockLevel.objects.get(listing=listing).quantity == 3


operations = st.lists(
    st.one_of(
        st.tuples(st.just("adjust"), st.integers(min_value=-6, max_value=8)),
        st.tuples(st.just("buy"), st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=5)),
    ),
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_stock_always_equals_its_movements_and_never_goes_negative(steps):
    with transaction.atomic():
        listing = make_listing(stock=0)
        ketua = officer(listing.cooperative)
        location = outlet(listing.cooperative)
        orders: list[Order] = []
        for n, (kind, value) in enumerate(steps):
            try:
                if kind == "adjust" and value:
                    stock_adjust(
                        actor=ketua, listing=listing, location=location, delta=value, note="hitung ulang"
                    )
                elif kind == "buy":
                    cart = cart_get()
                    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=value)
                    orders += checkout_place(
                        actor=None,
                        cart=cart,
                        request=request_for(listing),
                        idempotency_key=f"hyp-{n}-{uuid.uuid4().hex}",
                    )
                elif kind == "cancel" and orders:
                    order = orders[value % len(orders)]
                    order.refresh_from_db()
                    if order.status == OrderStatus.CREATED:
                        order_transition(
                            actor=ketua,
                            order=order,
                            to_status=OrderStatus.CANCELLED,
                            party=SELLER,
                            note="habis",
                        )
            except (Conflict, DomainError):
                pass  # refused: and nothing may have changed, which the invariant below checks
            level = StockLevel.objects.filter(listing=listing).values_list("quantity", flat=True).first() or 0
            moved = StockMovement.objects.filter(listing=listing).aggregate(s=Sum("delta"))["s"] or 0
            assert level >= 0
            assert level == moved
            assert Listing.objects.get(pk=listing.pk).stock_online == level
            sold = sum(
                line.quantity
                for order in Order.objects.filter(lines__listing=listing, stock_released=False).distinct()
                for line in order.lines.all()
            )
            assert moved == (
                (
                    StockMovement.objects.filter(listing=listing, reason="adjust").aggregate(s=Sum("delta"))[
                        "s"
                    ]
                    or 0
                )
                - sold
            )
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_every_listing_has_its_totals_from_its_first_save(regions):
    listing = make_listing(stock=7)

    totals = ListingTotals.objects.get(listing=listing)
    assert (totals.stock_online, totals.sold_count) == (7, 0)
    listing.save()  # saved again: still one row of totals
    assert ListingTotals.objects.filter(listing=listing).count() == 1


@postgres_only
@pytest.mark.django_db
def test_a_sale_moves_the_totals_in_place_and_leaves_the_listing_row_alone(regions):
    """The totals' and the stock rows' pages keep room (fillfactor): PostgreSQL updates each row
    on its page (HOT: no index entry), and the wide listing row is not written at all (ADR 14)."""
    listing = make_listing(stock=10)

    def updates(table: str) -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), "
                "pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
                [table, table],
            )
            return cursor.fetchone()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class "
            "WHERE relname IN ('market_listingtotals', 'market_stocklevel') ORDER BY relname"
        )
        assert cursor.fetchall() == [
            ("market_listingtotals", ["fillfactor=50"]),
            ("market_stocklevel", ["fillfactor=50"]),
        ]
    totals_before, listing_before = updates("market_listingtotals"), updates("market_listing")
    stock_before = updates("market_stocklevel")
    for n in range(3):
        cart = cart_get()
        cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=1)
        checkout_place(
            actor=None, cart=cart, request=request_for(listing), idempotency_key=f"hot-{n}-{uuid.uuid4().hex}"
        )

    updated, hot = (
        after - before for after, before in zip(updates("market_listingtotals"), totals_before, strict=True)
    )
    assert updated == hot == 3
    updated, hot = (
        after - before for after, before in zip(updates("market_stocklevel"), stock_before, strict=True)
    )
    assert updated == hot == 3
    assert updates("market_listing") == listing_before
    totals = ListingTotals.objects.get(listing=listing)
    assert (totals.stock_online, totals.sold_count) == (7, 3)
