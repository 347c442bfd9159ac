"""Order emails: who gets which, with absolute links, in plain text and HTML, never with a NIK."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from kopdes.accounts.choices import Role
from kopdes.market.choices import DeliveryMethod, PaymentMethod
from kopdes.market.models import Order, OrderNotice
from kopdes.market.notifications import (
    NOTICES_SCHEDULED_KEY,
    order_notices_send,
    order_notify_send,
    site_url,
)
from kopdes.market.services_orders import SELLER, order_transition, payment_confirm, shipping_quote

from .factories import make_listing, officer
from .test_seller_views import buy

pytestmark = pytest.mark.django_db

NIK = "6402061234560001"


@pytest.fixture
def listing():
    return make_listing(price=40_000, stock=20)


def sent_to(address):
    return [message for message in mail.outbox if address in message.to]


def test_a_new_order_mails_the_buyer_the_payment_and_link_and_the_seller_the_order(listing, settings):
    settings.KOPDES_SITE_URL = "https://kopdes.example.id/"
    order = buy(
        listing, payment=PaymentMethod.TRANSFER, method=DeliveryMethod.LOCAL, contact_email="maria@example.id"
    )

    assert order_notify_send(order_id=order.pk, what="created") == 2

    [buyer] = sent_to("maria@example.id")
    [seller] = sent_to("koperasi@example.id")
    assert order.number in buyer.subject and order.number in seller.subject
    body = buyer.body
    assert "https://kopdes.example.id" + order.get_absolute_url() in body
    assert "Rp" + f"{order.total:,}".replace(",", ".") in body
    assert "0012345678" in body  # the cooperative's account for the transfer
    html = buyer.alternatives[0][0]
    assert buyer.alternatives[0][1] == "text/html"
    assert f'href="https://kopdes.example.id{order.get_absolute_url()}"' in html
    seller_link = f"https://kopdes.example.id/koperasi/{order.cooperative.slug}/pesanan/{order.number}/"
    assert seller_link in seller.body
    assert order.access_token not in seller.body  # the buyer's private link stays the buyer's
    assert "+6281234567890" in seller.body


def test_without_a_buyer_email_only_the_cooperative_is_told(listing):
    order = buy(listing)
    assert order_notify_send(order_id=order.pk, what="created") == 1
    assert mail.outbox[0].to == ["koperasi@example.id"]


def test_nothing_is_sent_when_nobody_has_an_address_or_the_event_is_not_told(listing):
    order = buy(listing)
    Order.objects.filter(pk=order.pk).update(contact_email="")
    order.cooperative.email = ""
    order.cooperative.save()
    assert order_notify_send(order_id=order.pk, what="created") == 0
    assert order_notify_send(order_id=order.pk, what="processing") == 0
    assert order_notify_send(order_id=999_999, what="created") == 0
    assert mail.outbox == []


def test_a_nik_typed_into_the_order_never_leaves_in_a_message(listing):
    order = buy(
        listing,
        method=DeliveryMethod.LOCAL,
        contact_email="maria@example.id",
        note=f"NIK saya {NIK}",
        address_line=f"Jl. Mangkurawang 12 (KTP {NIK})",
    )

    order_notify_send(order_id=order.pk, what="created")

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        assert NIK not in str(message.subject) + str(message.body) + str(message.alternatives[0][0])
    assert "6402********0001" in sent_to("koperasi@example.id")[0].body


@pytest.mark.parametrize(
    "what,buyer,seller",
    [
        ("payment_paid", 1, 1),
        ("shipping_quoted", 1, 0),
        ("shipped", 1, 0),
        ("cancelled", 1, 1),
        ("returned", 1, 1),
        ("payment_late", 1, 1),
    ],
)
def test_each_event_reaches_its_audience(listing, what, buyer, seller):
    order = buy(listing, contact_email="maria@example.id")

    order_notify_send(order_id=order.pk, what=what)

    assert (len(sent_to("maria@example.id")), len(sent_to("koperasi@example.id"))) == (buyer, seller)
    assert all(order.number in message.subject for message in mail.outbox)


def test_the_real_steps_send_the_right_news(listing, django_capture_on_commit_callbacks):
    coop = listing.cooperative
    order = buy(listing, method=DeliveryMethod.COURIER, contact_email="maria@example.id")
    ketua = officer(coop)

    shipping_quote(actor=ketua, order=order, fee=15_000)
    order_notify_send(order_id=order.pk, what="shipping_quoted")
    [quoted] = mail.outbox
    assert "Rp15.000" in quoted.body and "Rp55.000" in quoted.body

    payment_confirm(actor=officer(coop, Role.BENDAHARA), order=order)
    order_transition(actor=ketua, order=order, to_status="processing", party=SELLER)
    order_transition(actor=ketua, order=order, to_status="shipped", party=SELLER, tracking_number="JNE777")
    mail.outbox.clear()
    order_notify_send(order_id=order.pk, what="shipped")
    [shipped] = mail.outbox
    assert "JNE777" in shipped.body


def test_a_cancelled_paid_order_tells_both_that_a_refund_is_due(listing):
    coop = listing.cooperative
    order = buy(listing, contact_email="maria@example.id")
    payment_confirm(actor=officer(coop, Role.BENDAHARA), order=order)
    order_transition(actor=officer(coop), order=order, to_status="cancelled", party=SELLER, note="Stok habis")

    order_notify_send(order_id=order.pk, what="cancelled")

    for message in mail.outbox:
        assert "Stok habis" in message.body and "Rp40.000" in message.body


def test_an_order_owes_its_mails_in_its_own_transaction_and_the_task_sends_them_once(
    listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(listing, contact_email="maria@example.id")
        second = buy(listing, contact_email="made@example.id")
    assert list(OrderNotice.objects.values_list("order_id", "what")) == [
        (order.pk, "created"),
        (second.pk, "created"),
    ]
    assert cache.get(NOTICES_SCHEDULED_KEY) == 1  # one task queued for both

    # The queue kept the task; a worker runs it. Here it runs in place.
    assert order_notices_send() == 4  # each buyer and the cooperative, twice
    assert not OrderNotice.objects.exists()
    assert cache.get(NOTICES_SCHEDULED_KEY) is None  # the next commit queues the next task
    assert order_notices_send() == 0  # claimed: never sent twice
    assert len(sent_to("maria@example.id")) == len(sent_to("made@example.id")) == 1


def test_a_change_rolled_back_owes_nothing_and_steps_without_mail_write_no_notice(listing):
    with pytest.raises(RuntimeError), transaction.atomic():
        buy(listing, contact_email="maria@example.id")
        raise RuntimeError("the checkout failed after the order was written")
    assert not OrderNotice.objects.exists()

    order = buy(listing, payment=PaymentMethod.COD, contact_email="maria@example.id")
    OrderNotice.objects.all().delete()
    order_transition(actor=officer(order.cooperative), order=order, to_status="processing", party=SELLER)
    assert not OrderNotice.objects.exists()  # nobody hears of "processing"
    assert order_notices_send() == 0


def test_the_outbox_is_sent_in_rounds_oldest_first(listing, monkeypatch):
    from kopdes.market import notifications

    monkeypatch.setattr(notifications, "NOTICES_PER_ROUND", 2)
    orders = [buy(listing, contact_email=f"buyer{i}@example.id") for i in range(5)]
    mail.outbox.clear()
    assert order_notices_send() == 10
    buyers = [message.to[0] for message in mail.outbox if message.to[0].startswith("buyer")]
    assert buyers == [f"buyer{i}@example.id" for i in range(5)]
    assert [order.number in mail.outbox[2 * i].subject for i, order in enumerate(orders)] == [True] * 5


def test_links_fall_back_to_the_first_allowed_host(settings):
    settings.KOPDES_SITE_URL = ""
    settings.ALLOWED_HOSTS = [".example.id", "kopdes.example.id"]
    assert site_url() == "http://kopdes.example.id"
