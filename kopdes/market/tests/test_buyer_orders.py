"""The order page behind its private link: payment instructions, the timeline, the buyer's steps,
reviews, and the buyer's own list; refusals for wrong links, other buyers and early reviews."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
from django.utils import timezone
from lokal import parse_qris

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.policies import PolicyDenied
from kopdes.market.choices import DeliveryMethod, OrderStatus, PaymentMethod
from kopdes.market.models import Listing, Order, Review, StockLevel
from kopdes.market.selectors_orders import order_by_link
from kopdes.market.services_orders import (
    SELLER,
    CheckoutRequest,
    DeliveryChoice,
    cart_get,
    cart_set,
    checkout_place,
    order_transition,
    payment_confirm,
)
from kopdes.market.services_reviews import review_add
from kopdes.market.whatsapp import order_message, whatsapp_link

from .factories import JAHAB, make_listing, officer, outlet

pytestmark = pytest.mark.django_db

_keys = iter(range(10_000_000, 99_999_999))


def place(*listings, quantity=1, payment=PaymentMethod.QRIS, method=DeliveryMethod.PICKUP, buyer=None):
    cart = cart_get(user=buyer)
    for listing in listings:
        cart_set(actor=buyer, cart=cart, listing_id=listing.pk, quantity=quantity)
    deliveries = {
        listing.cooperative_id: DeliveryChoice(
            method=method, pickup_location_id=outlet(listing.cooperative).pk if method == "pickup" else None
        )
        for listing in listings
    }
    request = CheckoutRequest(
        contact_name="Maria Goreti Lado",
        contact_phone="0812-3456-7890",
        payment_method=payment,
        deliveries=deliveries,
        address_village_code=JAHAB,
        address_line="Jl. Mangkurawang 12",
    )
    return checkout_place(actor=buyer, cart=cart, request=request, idempotency_key=f"key-{next(_keys)}")


def delivered(order, *, received=True) -> Order:
    """Pay, prepare and ship the order as its cooperative does; the buyer then receives it."""
    treasurer = officer(order.cooperative, Role.BENDAHARA)
    payment_confirm(actor=treasurer, order=order)
    order.refresh_from_db()
    order_transition(actor=treasurer, order=order, to_status=OrderStatus.PROCESSING, party=SELLER)
    order_transition(actor=treasurer, order=order, to_status=OrderStatus.SHIPPED, party=SELLER)
    order.refresh_from_db()
    if received:
        order.via_link = True
        order_transition(actor=None, order=order, to_status=OrderStatus.RECEIVED, party="buyer")
        order.refresh_from_db()
    return order


# --- The page and its payment instructions --------------------------------------------------------


def test_the_qris_page_shows_the_code_for_the_exact_amount(client):
    [order] = place(make_listing(price=30_000), quantity=2)

    response = client.get(order.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="qris"' in html and "<svg" in html
    payload = response.context["payment"]["qris_payload"]
    assert f'value="{payload}"' in html and 'data-copy="qris-payload"' in html
    assert parse_qris(payload).amount == "60000" and parse_qris(payload).valid
    assert 'data-amount="60000"' in html and "Rp60.000" in html


def test_a_transfer_order_shows_the_bank_and_the_unique_code(client):
    [order] = place(make_listing(price=30_000), payment=PaymentMethod.TRANSFER)

    html = client.get(order.get_absolute_url()).content.decode()

    assert 1 <= order.unique_code <= 999
    assert f'<mark id="unique-code">{order.unique_code}</mark>' in html
    assert order.cooperative.bank_account_number in html and order.cooperative.bank_name in html
    assert f'data-amount="{30_000 + order.unique_code}"' in html
    assert 'id="qris"' not in html


def test_a_cash_order_says_pay_at_pickup(client):
    [order] = place(make_listing(), payment=PaymentMethod.COD)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Pay in cash when you pick up the order." in html


def test_an_unpaid_order_past_its_time_is_cancelled_when_shown(client):
    listing = make_listing(stock=5)
    [order] = place(listing, quantity=2)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    html = client.get(order.get_absolute_url()).content.decode()

    assert 'id="order-cancelled"' in html and "Not paid in time" in html
    assert 'id="qris"' not in html and 'id="act-cancel"' not in html
    assert StockLevel.objects.get(listing=listing).quantity == 5


def test_the_order_page_has_the_timeline_totals_and_a_whatsapp_link(client):
    [order] = place(make_listing(price=12_500, name="Amplang Ikan"), quantity=2)

    response = client.get(order.get_absolute_url())

    html = response.content.decode()
    assert 'id="timeline"' in html and "buyer (guest)" in html
    assert "2 \u00d7 Amplang Ikan" in html and "Rp25.000" in html
    chat = response.context["chat"]
    assert chat.startswith("https://wa.me/6281234567890?text=")
    text = unquote(chat.split("text=", 1)[1])
    assert order.number in text and "2 x Amplang Ikan" in text and "Rp25.000" in text
    assert f"http://testserver{order.get_absolute_url()}" in text


def test_the_order_page_queries_are_pinned(client, django_assert_max_num_queries):
    [order] = place(*[make_listing(name=f"Produk {n}") for n in range(4)])
    client.get(order.get_absolute_url())  # warm the session and template caches
    with django_assert_max_num_queries(7):
        response = client.get(order.get_absolute_url())
    assert len(response.context["rows"]) == 4


# --- Refusals -------------------------------------------------------------------------------------


def test_a_wrong_token_is_not_found(client):
    [order] = place(make_listing())
    assert client.get(f"/pesanan/{order.number}/{'x' * 43}/").status_code == 404
    assert client.get(f"/pesanan/KD000000NOPE/{order.access_token}/").status_code == 404
    wrong = client.post(f"/pesanan/{order.number}/{'x' * 43}/aksi/", {"to": "cancelled"})
    assert wrong.status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED


def test_another_buyers_order_is_neither_listed_nor_reachable(client):
    mine, theirs = person(), person()
    [their_order] = place(make_listing(), buyer=theirs)
    client.force_login(mine)

    assert their_order.number not in client.get("/pesanan/saya/").content.decode()
    assert client.get(f"/pesanan/{their_order.number}/not-the-token/").status_code == 404
    with pytest.raises(PolicyDenied):
        review_add(actor=mine, line=their_order.lines.get(), stars=5)


def test_my_orders_needs_a_login(client):
    response = client.get("/pesanan/saya/")
    assert response.status_code == 302 and "/masuk/" in response["Location"]


def test_my_orders_lists_mine_with_their_links_in_few_queries(client, django_assert_max_num_queries):
    buyer = person()
    placed = [place(make_listing(name=f"Produk {n}"), buyer=buyer)[0] for n in range(3)]
    client.force_login(buyer)
    with django_assert_max_num_queries(5):
        response = client.get("/pesanan/saya/")
    html = response.content.decode()
    for order in placed:
        assert order.get_absolute_url() in html


# --- The buyer's steps ----------------------------------------------------------------------------


def test_the_buyer_cancels_an_unpaid_order_and_the_stock_comes_back(client):
    listing = make_listing(stock=5)
    [order] = place(listing, quantity=3)

    response = client.post(f"{order.get_absolute_url()}aksi/", {"to": "cancelled"})

    assert response["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert StockLevel.objects.get(listing=listing).quantity == 5
    assert "The order is cancelled." in client.get(order.get_absolute_url()).content.decode()


def test_a_paid_order_cannot_be_cancelled_by_the_buyer(client):
    [order] = place(make_listing())
    payment_confirm(actor=officer(order.cooperative, Role.BENDAHARA), order=order)

    client.post(f"{order.get_absolute_url()}aksi/", {"to": "cancelled"})

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    html = client.get(order.get_absolute_url()).content.decode()
    assert "cannot become cancelled" in html and 'id="act-cancel"' not in html


def test_the_buyer_receives_and_completes_a_shipped_order(client):
    [order] = place(make_listing())
    order = delivered(order, received=False)
    assert 'id="act-received"' in client.get(order.get_absolute_url()).content.decode()

    client.post(f"{order.get_absolute_url()}aksi/", {"to": "received"})
    client.post(f"{order.get_absolute_url()}aksi/", {"to": "completed"})

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert list(order.events.values_list("to_status", flat=True))[-2:] == ["received", "completed"]


# --- Reviews --------------------------------------------------------------------------------------


def test_a_review_before_receipt_is_refused(client):
    [order] = place(make_listing())
    line = order.lines.get()

    response = client.post(f"{order.get_absolute_url()}ulasan/{line.pk}/", {f"r{line.pk}-stars": "5"})

    assert response.status_code == 403
    assert not Review.objects.exists()
    assert "Write a review" not in client.get(order.get_absolute_url()).content.decode()


def test_the_buyer_reviews_a_received_line_once_and_the_rating_follows(client):
    listing = make_listing()
    [order] = place(listing)
    order = delivered(order)
    line = order.lines.get()
    url = f"{order.get_absolute_url()}ulasan/{line.pk}/"
    assert "Write a review" in client.get(order.get_absolute_url()).content.decode()

    response = client.post(url, {f"r{line.pk}-stars": "4", f"r{line.pk}-text": "Renyah dan gurih."})

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.stars, review.text, review.author_name) == (4, "Renyah dan gurih.", "Maria L.")
    listing.refresh_from_db()
    assert (listing.rating_sum, listing.rating_count, listing.rating) == (4, 1, 4.0)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Your review: 4 stars" in html and "Write a review" not in html

    again = client.post(url, {f"r{line.pk}-stars": "1"}, follow=True)
    assert "You have already reviewed" in again.content.decode()
    listing.refresh_from_db()
    assert (listing.rating_sum, listing.rating_count) == (4, 1)


def test_a_review_needs_one_to_five_stars(client):
    [order] = place(make_listing())
    order = delivered(order)
    line = order.lines.get()

    response = client.post(f"{order.get_absolute_url()}ulasan/{line.pk}/", {f"r{line.pk}-stars": "9"})

    assert response.status_code == 400
    assert not Review.objects.exists()
    order.via_link = True
    line.order = order
    with pytest.raises(DomainError):
        review_add(actor=None, line=line, stars=0)


def test_a_line_of_another_order_cannot_be_reviewed_through_this_link(client):
    [mine] = place(make_listing(name="A"))
    [other] = place(make_listing(name="B"))
    mine, other = delivered(mine), delivered(other)
    response = client.post(f"{mine.get_absolute_url()}ulasan/{other.lines.get().pk}/", {"stars": "5"})
    assert response.status_code == 404


def test_review_add_refuses_a_second_review_in_the_service_too():
    [order] = place(make_listing())
    order = delivered(order)
    found = order_by_link(user=None, number=order.number, token=order.access_token)
    line = found.lines.get()
    line.order = found
    review_add(actor=None, line=line, stars=5, text="")
    with pytest.raises(Conflict) as refused:
        review_add(actor=None, line=line, stars=5, text="")
    assert refused.value.code == "already_reviewed"
    assert Listing.objects.get(pk=line.listing_id).rating_count == 1


# --- WhatsApp -------------------------------------------------------------------------------------


def test_whatsapp_links_take_mobile_numbers_only():
    assert whatsapp_link("0812-3456-7890", "Halo & apa kabar?") == (
        "https://wa.me/6281234567890?text=Halo%20%26%20apa%20kabar%3F"
    )
    assert whatsapp_link("+6281234567890") == "https://wa.me/6281234567890"
    assert whatsapp_link("021 555 1234", "x") == ""
    assert whatsapp_link("", "x") == "" and whatsapp_link("abc") == ""


def test_the_order_message_has_number_items_total_and_link():
    [order] = place(make_listing(price=15_000, name="Kopi Robusta"), quantity=3)
    text = order_message(order, url="https://kopdes.example/pesanan/x/y/")
    assert order.number in text and "3 x Kopi Robusta (Rp45.000)" in text
    assert "Rp45.000" in text.splitlines()[-2] and text.endswith("https://kopdes.example/pesanan/x/y/")


def test_my_orders_is_in_the_menu_for_logged_in_buyers_only(client):
    assert 'href="/pesanan/saya/"' not in client.get("/keranjang/").content.decode()
    client.force_login(person())
    assert 'href="/pesanan/saya/"' in client.get("/keranjang/").content.decode()
