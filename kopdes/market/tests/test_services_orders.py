"""The money core: checkout, stock, the order state machine, payments and settlement."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db.models import Sum
from django.utils import timezone, translation
from lokal import parse_qris

from kopdes.accounts.choices import Role
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.policies import PolicyDenied
from kopdes.market.choices import DeliveryMethod, OrderStatus, PaymentMethod, RefundStatus
from kopdes.market.models import (
    Checkout,
    Listing,
    ListingTotals,
    Order,
    Payment,
    PaymentEvent,
    SettlementEntry,
    StockLevel,
    StockMovement,
)
from kopdes.market.qris import order_qris
from kopdes.market.services_orders import (
    BUYER,
    SELLER,
    CheckoutRequest,
    DeliveryChoice,
    PriceChanged,
    callback_signature,
    cart_get,
    cart_set,
    checkout_place,
    order_transition,
    orders_complete_received,
    orders_expire,
    payment_callback,
    payment_confirm,
    shipping_quote,
)
from kopdes.market.services_stock import listing_update, stock_adjust

from .factories import JAHAB, MASABEWA, make_listing, officer, outlet

pytestmark = pytest.mark.django_db


def request_for(
    *listings, method=DeliveryMethod.PICKUP, payment=PaymentMethod.QRIS, **fields
) -> CheckoutRequest:
    deliveries = {}
    for listing in listings:
        pickup = outlet(listing.cooperative).pk if method == DeliveryMethod.PICKUP else None
        deliveries[listing.cooperative_id] = DeliveryChoice(method=method, pickup_location_id=pickup)
    values = {
        "contact_name": "Maria Goreti",
        "contact_phone": "0812-3456-7890",
        "payment_method": payment,
        "address_village_code": JAHAB,
        "address_line": "Jl. Mangkurawang 12",
        **fields,
    }
    return CheckoutRequest(deliveries=deliveries, **values)


def buy(listing, quantity=1, *, key="key-00000001", **fields) -> list[Order]:
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=quantity)
    return checkout_place(actor=None, cart=cart, request=request_for(listing, **fields), idempotency_key=key)


def test_checkout_takes_the_stock_and_records_the_movement():
    listing = make_listing(stock=5, price=30_000)

    [order] = buy(listing, 2)

    assert order.status == OrderStatus.CREATED
    assert order.total == 60_000 and order.subtotal == 60_000
    assert StockLevel.objects.get(listing=listing).quantity == 3
    listing.refresh_from_db()
    assert listing.stock_online == 3
    movement = StockMovement.objects.get(listing=listing, order=order)
    assert (movement.delta, movement.balance_after, movement.reason) == (-2, 3, "checkout")
    assert order.events.get().to_status == OrderStatus.CREATED


def test_checkout_takes_from_a_warehouse_when_the_pickup_outlet_is_short():
    """The stock row is chosen as stock_take chooses it (on PostgreSQL inside the one statement):
    the pickup outlet first, else the first online location holding enough; the order line and
    the movement name it, and the rollups' outbox holds the order once."""
    from kopdes.market.models import Location
    from kopdes.monitoring.models import RollupDelta

    listing = make_listing(stock=1, price=30_000)
    shop = outlet(listing.cooperative)
    warehouse = Location.objects.create(
        cooperative=listing.cooperative, kind="warehouse", name="Gudang", village_id=shop.village_id
    )
    StockLevel.objects.create(listing=listing, location=warehouse, quantity=4)
    ListingTotals.objects.filter(pk=listing.pk).update(stock_online=5)

    [order] = buy(listing, 2)

    assert dict(StockLevel.objects.filter(listing=listing).values_list("location_id", "quantity")) == {
        shop.pk: 1,
        warehouse.pk: 2,
    }
    line = order.lines.get()
    movement = StockMovement.objects.get(order=order)
    assert (line.location_id, movement.location_id, movement.balance_after) == (warehouse.pk, warehouse.pk, 2)
    listing.refresh_from_db()
    assert (listing.stock_online, listing.sold_count) == (3, 2)
    created = RollupDelta.objects.filter(measure="orders_created").aggregate(n=Sum("delta"))["n"]
    assert created == 1


def test_a_cart_of_two_listings_of_one_cooperative_takes_both_in_one_order():
    first = make_listing(stock=3, price=10_000)
    second = make_listing(stock=3, price=20_000)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=first.pk, quantity=1)
    cart_set(actor=None, cart=cart, listing_id=second.pk, quantity=2)

    [order] = checkout_place(actor=None, cart=cart, request=request_for(first), idempotency_key="two-lines-1")

    assert order.total == 50_000
    assert sorted(order.lines.values_list("listing_id", "quantity")) == sorted(
        [(first.pk, 1), (second.pk, 2)]
    )
    assert dict(
        StockLevel.objects.filter(listing__in=[first, second]).values_list("listing_id", "quantity")
    ) == {
        first.pk: 2,
        second.pk: 1,
    }
    assert sorted(StockMovement.objects.filter(order=order).values_list("delta", "balance_after")) == [
        (-2, 1),
        (-1, 2),
    ]


def test_one_cart_across_cooperatives_makes_one_order_per_cooperative():
    kukar = make_listing(JAHAB, price=10_000)
    sikka = make_listing(MASABEWA, price=20_000)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=kukar.pk, quantity=1)
    cart_set(actor=None, cart=cart, listing_id=sikka.pk, quantity=2)

    orders = checkout_place(
        actor=None, cart=cart, request=request_for(kukar, sikka), idempotency_key="two-sellers-1"
    )

    assert sorted(order.total for order in orders) == [10_000, 40_000]
    assert {order.cooperative_id for order in orders} == {kukar.cooperative_id, sikka.cooperative_id}
    assert not cart.items.exists()


def test_a_retried_checkout_returns_the_same_order():
    listing = make_listing(stock=5)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=1)
    [first] = checkout_place(
        actor=None, cart=cart, request=request_for(listing), idempotency_key="double-click-1"
    )

    # The retry comes from the same cart, now empty: it gets the first attempt's order back.
    again = checkout_place(
        actor=None, cart=cart, request=request_for(listing), idempotency_key="double-click-1"
    )

    assert [order.pk for order in again] == [first.pk]
    assert StockLevel.objects.get(listing=listing).quantity == 4


def test_checkout_refuses_more_than_the_stock_and_changes_nothing():
    listing = make_listing(stock=2)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=2)
    StockLevel.objects.filter(listing=listing).update(quantity=1)  # sold at the outlet meanwhile

    with pytest.raises(Conflict) as caught:
        checkout_place(actor=None, cart=cart, request=request_for(listing), idempotency_key="too-many-1")

    assert caught.value.code == "out_of_stock"
    assert not Order.objects.exists()
    assert StockLevel.objects.get(listing=listing).quantity == 1


def check_out_from_two_tabs(monkeypatch, listing) -> tuple[Order, DomainError]:
    """A cart of two units of `listing` checked out from two tabs with different keys, the second
    ("tab-two-02") having read the items before the first ("tab-one-01") took them: the first
    tab's order and the second tab's error."""
    from kopdes.market import services_orders

    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=2)
    plan = services_orders._plan
    tabs: list = []
    started: list = []

    def other_tab_first(*args, **kwargs):
        planned = plan(*args, **kwargs)
        if not started:  # right after this checkout's reads, the other tab places the cart
            started.append(True)
            first = request_for(listing)
            tabs.append(checkout_place(actor=None, cart=cart, request=first, idempotency_key="tab-one-01"))
        return planned

    monkeypatch.setattr(services_orders, "_plan", other_tab_first)
    with pytest.raises(DomainError) as caught:
        checkout_place(actor=None, cart=cart, request=request_for(listing), idempotency_key="tab-two-02")
    [[order]] = tabs
    return order, caught.value


def test_a_cart_checked_out_in_another_tab_meanwhile_is_placed_once(monkeypatch):
    """Two checkouts of one cart with different keys (two tabs): the second read the items before
    the first took them. Its transaction finds them gone, rolls back, reads again and answers
    that the cart is empty: one order, the stock taken once."""
    listing = make_listing(stock=5)

    order, error = check_out_from_two_tabs(monkeypatch, listing)

    assert error.code == "cart_empty"
    assert list(Order.objects.values_list("pk", flat=True)) == [order.pk]
    assert StockLevel.objects.get(listing=listing).quantity == 3
    assert not Checkout.objects.filter(idempotency_key="tab-two-02").exists()


def test_a_cart_that_keeps_changing_under_the_checkout_answers_409_and_writes_nothing(monkeypatch):
    from kopdes.market import services_orders

    listing = make_listing(stock=5)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=1)
    tries = []

    def always_stale(*args, **kwargs):
        tries.append(1)
        raise services_orders._Stale

    monkeypatch.setattr(services_orders, "_place_at_once", always_stale)
    monkeypatch.setattr(services_orders, "_place", always_stale)
    with pytest.raises(Conflict) as caught, translation.override("id"):
        checkout_place(actor=None, cart=cart, request=request_for(listing), idempotency_key="busy-00001")

    assert caught.value.code == "cart_changed" and "coba lagi" in str(caught.value)
    assert len(tries) == 3
    assert not Order.objects.exists() and StockLevel.objects.get(listing=listing).quantity == 5


def test_a_listing_removed_before_the_checkout_leaves_nothing_to_buy_and_nothing_is_saved(monkeypatch):
    # The cart's items and their listings are read together inside the checkout's transaction,
    # after its key is claimed: a listing removed before (its cart item with it) is not bought,
    # and the claim is rolled back.
    from kopdes.market import services_orders
    from kopdes.market.models import Checkout

    listing = make_listing(stock=5)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=1)
    owner = services_orders._owner  # called before the transaction

    def removed_meanwhile(cart):
        # Another request removes the listing (and the cart's item with it) right then.
        Listing.objects.filter(pk=listing.pk).delete()
        return owner(cart)

    monkeypatch.setattr(services_orders, "_owner", removed_meanwhile)
    with pytest.raises(DomainError) as caught:
        checkout_place(actor=None, cart=cart, request=request_for(listing), idempotency_key="gone-0001")

    assert caught.value.code == "cart_empty"
    assert not Listing.objects.filter(pk=listing.pk).exists()
    assert not Order.objects.exists() and not Checkout.objects.exists()  # the key is free again


def test_a_sold_out_listing_is_refused_before_anything_is_written(django_assert_num_queries):
    listing = make_listing(stock=1)
    late = cart_get()
    cart_set(actor=None, cart=late, listing_id=listing.pk, quantity=1)
    buy(listing, key="first-0001")  # the last unit goes to another buyer

    request = request_for(listing)
    # One statement (the cart's items with their listings and sellers), then the answer: no
    # transaction is begun, the key is not claimed, no stock row is touched.
    with (
        translation.override("id"),
        django_assert_num_queries(1),
        pytest.raises(Conflict) as caught,
    ):
        checkout_place(actor=None, cart=late, request=request, idempotency_key="late-0001")

    assert caught.value.code == "out_of_stock"
    assert str(caught.value) == f"Stok {listing.name} tinggal 0."
    assert Order.objects.count() == 1
    assert late.items.count() == 1  # the buyer's cart is kept as it was
    assert not Checkout.objects.filter(idempotency_key="late-0001").exists()


def test_a_price_changed_since_the_cart_is_shown_not_charged():
    listing = make_listing(price=25_000)
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=1)
    ketua = officer(listing.cooperative)
    listing_update(actor=ketua, listing=listing, price=27_500)

    with pytest.raises(PriceChanged) as caught:
        checkout_place(actor=None, cart=cart, request=request_for(listing), idempotency_key="price-moved-1")

    assert caught.value.changes[0]["new"] == 27_500
    assert not Order.objects.exists()
    # The cart now holds the new price: placing again charges what the buyer has now seen.
    [order] = checkout_place(
        actor=None, cart=cart, request=request_for(listing), idempotency_key="price-moved-2"
    )
    assert order.total == 27_500


def test_quantity_below_the_minimum_is_refused():
    listing = make_listing(min_order=3)
    with pytest.raises(DomainError) as caught:
        cart_set(actor=None, cart=cart_get(), listing_id=listing.pk, quantity=2)
    assert caught.value.code == "below_minimum"


def test_bank_transfer_adds_a_unique_code_and_local_delivery_its_zone_fee():
    listing = make_listing(price=50_000)

    [order] = buy(listing, 1, method=DeliveryMethod.LOCAL, payment=PaymentMethod.TRANSFER)

    assert order.shipping_fee == 10_000
    assert 1 <= order.unique_code <= 999
    assert order.total == 60_000 + order.unique_code


def test_courier_orders_wait_for_the_fee_before_they_can_be_paid():
    listing = make_listing(price=50_000)
    [order] = buy(listing, 1, method=DeliveryMethod.COURIER)
    treasurer = officer(listing.cooperative, Role.BENDAHARA)

    with pytest.raises(Conflict):
        payment_confirm(actor=treasurer, order=order)
    order = shipping_quote(actor=officer(listing.cooperative), order=order, fee=18_000)

    assert order.total == 68_000 and order.shipping_confirmed


def test_the_qris_for_an_order_carries_its_amount_and_a_valid_crc():
    listing = make_listing(price=42_000)
    [order] = buy(listing, 1)

    payload = order_qris(order)
    info = parse_qris(payload)

    assert info.valid, info.errors
    assert info.type == "dynamic"
    assert info.amount == "42000"


@pytest.mark.parametrize("amount", [1, 9, 10, 99, 42_000, 1_234_567, 10**12, 10**13 - 1])
def test_an_amount_goes_into_the_qris_as_the_library_puts_it(amount):
    """Each amount goes into the seller's code made dynamic once (`_around_amount`): the very
    payload that lokal's set_qris_amount makes, with fields after the amount's place and a tip
    field too."""
    from lokal import set_qris_amount

    from kopdes.market.qris import _dynamic
    from kopdes.market.tests.factories import STATIC_QRIS

    tipped = set_qris_amount(STATIC_QRIS, 5, tip_fixed=1000)  # a code that has tags 55 and 56
    for payload in (STATIC_QRIS, tipped):
        assert _dynamic(payload, amount) == set_qris_amount(payload, amount)
        assert parse_qris(_dynamic(payload, amount)).amount == str(amount)


def test_a_broken_qris_or_amount_raises_as_the_library_does():
    from kopdes.market.qris import _dynamic
    from kopdes.market.tests.factories import STATIC_QRIS

    wrong_crc = STATIC_QRIS[:-4] + ("0000" if STATIC_QRIS[-4:] != "0000" else "FFFF")
    for payload, amount in ((wrong_crc, 1000), (STATIC_QRIS, 0), (STATIC_QRIS, 10**13)):
        with pytest.raises(ValueError):
            _dynamic(payload, amount)


def test_the_treasurer_confirms_payment_and_it_goes_to_the_settlement_record():
    listing = make_listing(price=30_000)
    [order] = buy(listing, 1)
    treasurer = officer(listing.cooperative, Role.BENDAHARA)

    payment, outcome = payment_confirm(actor=treasurer, order=order, reference="mutasi 22/11")

    order.refresh_from_db()
    assert outcome == "paid" and order.status == OrderStatus.PAID and order.paid_amount == 30_000
    entry = SettlementEntry.objects.get(payment=payment)
    assert (entry.cooperative_id, entry.amount) == (listing.cooperative_id, 30_000)


def test_another_cooperatives_treasurer_cannot_confirm():
    listing = make_listing()
    other = make_listing(MASABEWA)
    [order] = buy(listing, 1)

    with pytest.raises(PolicyDenied):
        payment_confirm(actor=officer(other.cooperative, Role.BENDAHARA), order=order)
    with pytest.raises(PolicyDenied):
        payment_confirm(actor=officer(listing.cooperative, Role.SEKRETARIS), order=order)


def _callback(order, event_id="evt-1", amount=None, secret_body=None):
    body = json.dumps(
        {
            "event_id": event_id,
            "order_number": order.number,
            "amount": amount or order.total,
            "status": "paid",
        }
    ).encode()
    return payment_callback(body=body, signature=callback_signature(secret_body or body))


def test_a_signed_callback_pays_once_and_a_replay_changes_nothing():
    listing = make_listing(price=30_000)
    [order] = buy(listing, 1)

    first = _callback(order)
    again = _callback(order)

    order.refresh_from_db()
    assert first.pk == again.pk and first.outcome == "paid"
    assert order.status == OrderStatus.PAID and order.paid_amount == 30_000
    assert Payment.objects.filter(order=order).count() == 1
    assert PaymentEvent.objects.count() == 1


def test_a_forged_callback_is_refused():
    listing = make_listing()
    [order] = buy(listing, 1)

    with pytest.raises(DomainError) as caught:
        _callback(order, secret_body=b"something else")

    assert caught.value.code == "bad_signature"
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED and not PaymentEvent.objects.exists()


def test_an_unpaid_order_expires_and_releases_its_stock():
    listing = make_listing(stock=3)
    [order] = buy(listing, 2)

    assert orders_expire(now=timezone.now() + dt.timedelta(hours=25)) == 1

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.stock_released
    assert StockLevel.objects.get(listing=listing).quantity == 3
    assert Listing.objects.get(pk=listing.pk).stock_online == 3


def test_an_expired_order_paid_late_stays_cancelled_with_a_refund_due():
    listing = make_listing(price=30_000, stock=3)
    [order] = buy(listing, 1)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    event = _callback(order)

    order.refresh_from_db()
    assert event.outcome == "late"
    assert order.status == OrderStatus.CANCELLED
    refund = Payment.objects.get(order=order, kind="refund")
    assert refund.refund_status == RefundStatus.DUE and refund.amount == 30_000
    assert (
        SettlementEntry.objects.filter(cooperative=listing.cooperative).aggregate(s=Sum("amount"))["s"] == 0
    )
    assert StockLevel.objects.get(listing=listing).quantity == 3


def test_the_order_walks_its_states_and_each_step_is_recorded():
    listing = make_listing(price=30_000)
    [order] = buy(listing, 1)
    ketua = officer(listing.cooperative)
    payment_confirm(actor=officer(listing.cooperative, Role.BENDAHARA), order=order)

    order = order_transition(actor=ketua, order=order, to_status=OrderStatus.PROCESSING, party=SELLER)
    order = order_transition(
        actor=ketua, order=order, to_status=OrderStatus.SHIPPED, party=SELLER, tracking_number="JNE123"
    )
    order.via_link = True
    order = order_transition(actor=None, order=order, to_status=OrderStatus.RECEIVED, party=BUYER)
    order.via_link = True
    order = order_transition(actor=None, order=order, to_status=OrderStatus.COMPLETED, party=BUYER)

    assert [e.to_status for e in order.events.all()] == [
        "created",
        "paid",
        "processing",
        "shipped",
        "received",
        "completed",
    ]


def test_steps_out_of_order_or_by_the_wrong_party_are_refused():
    listing = make_listing()
    [order] = buy(listing, 1)
    ketua = officer(listing.cooperative)

    with pytest.raises(Conflict):  # not paid yet
        order_transition(actor=ketua, order=order, to_status=OrderStatus.PROCESSING, party=SELLER)
    with pytest.raises(PolicyDenied):  # a stranger is not the buyer
        order_transition(actor=None, order=order, to_status=OrderStatus.CANCELLED, party=BUYER)
    with pytest.raises(PolicyDenied):  # an officer of another cooperative
        other = make_listing(MASABEWA)
        order_transition(
            actor=officer(other.cooperative),
            order=order,
            to_status=OrderStatus.CANCELLED,
            party=SELLER,
            note="x",
        )


def test_cancelling_a_paid_order_releases_stock_and_makes_a_refund_due():
    listing = make_listing(price=30_000, stock=4)
    [order] = buy(listing, 2)
    payment_confirm(actor=officer(listing.cooperative, Role.BENDAHARA), order=order)

    order_transition(
        actor=officer(listing.cooperative),
        order=order,
        to_status=OrderStatus.CANCELLED,
        party=SELLER,
        note="Stok rusak",
    )

    assert StockLevel.objects.get(listing=listing).quantity == 4
    assert Payment.objects.get(order=order, kind="refund").amount == 60_000


def test_an_officer_adjusts_stock_with_a_reason_and_cannot_go_below_zero():
    listing = make_listing(stock=2)
    ketua = officer(listing.cooperative)

    with pytest.raises(DomainError):
        stock_adjust(actor=ketua, listing=listing, location=outlet(listing.cooperative), delta=5, note="")
    with pytest.raises(Conflict):
        stock_adjust(
            actor=ketua, listing=listing, location=outlet(listing.cooperative), delta=-3, note="rusak"
        )
    movement = stock_adjust(
        actor=ketua, listing=listing, location=outlet(listing.cooperative), delta=8, note="panen"
    )

    assert movement.balance_after == 10 and Listing.objects.get(pk=listing.pk).stock_online == 10


def test_a_received_and_paid_order_completes_by_itself_after_a_week():
    listing = make_listing(price=30_000)
    [order] = buy(listing, 1)
    ketua = officer(listing.cooperative)
    payment_confirm(actor=officer(listing.cooperative, Role.BENDAHARA), order=order)
    for step in (OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.RECEIVED):
        order = order_transition(actor=ketua, order=order, to_status=step, party=SELLER)

    assert orders_complete_received(now=timezone.now() + dt.timedelta(days=6)) == 0
    assert orders_complete_received(now=timezone.now() + dt.timedelta(days=8)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.events.last().actor_label == "system"


def test_someone_elses_idempotency_key_does_not_give_their_orders():
    listing = make_listing(stock=5)
    buy(listing, 1, key="private-key-1")

    stranger = cart_get()
    cart_set(actor=None, cart=stranger, listing_id=listing.pk, quantity=1)
    with pytest.raises(Conflict) as caught:
        checkout_place(
            actor=None, cart=stranger, request=request_for(listing), idempotency_key="private-key-1"
        )

    assert caught.value.code == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_the_complete_orders_command_reports_what_it_completed():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("complete_orders", stdout=out)

    assert out.getvalue().strip() == "completed=0"


def test_a_listing_shows_the_halal_and_bpom_licences_its_product_holds():
    import datetime as dt_

    from kopdes.products.choices import LicenceStatus, LicenceType
    from kopdes.products.models import Licence

    listing = make_listing()
    for kind in (LicenceType.HALAL, LicenceType.BPOM_MD):
        Licence.objects.create(
            product=listing.product,
            licence_type=kind,
            status=LicenceStatus.ISSUED,
            issued_on=dt_.date(2026, 1, 5),
            expires_on=dt_.date(2030, 1, 5),
        )

    listing.refresh_from_db()
    assert listing.has_halal and listing.has_bpom
