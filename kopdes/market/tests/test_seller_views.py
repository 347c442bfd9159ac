"""The seller's side of orders: the order board, an order's page and its actions, the settlement
record and its exports, the menu entry, the home panel and the expiry command."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.nav import items_for
from kopdes.core.panels import panels_for
from kopdes.market.choices import DeliveryMethod, OrderStatus, PaymentMethod, RefundStatus
from kopdes.market.models import Order, Payment, SettlementEntry, StockLevel
from kopdes.market.services_orders import (
    CheckoutRequest,
    DeliveryChoice,
    cart_get,
    cart_set,
    checkout_place,
    payment_confirm,
)

from .factories import JAHAB, MASABEWA, make_listing, officer, outlet

pytestmark = pytest.mark.django_db

_keys = iter(range(10**6))


def buy(
    listing, quantity=1, *, method=DeliveryMethod.PICKUP, payment=PaymentMethod.QRIS, buyer=None, **fields
):
    cart = cart_get(user=buyer)
    assert cart is not None
    cart_set(actor=buyer, cart=cart, listing_id=listing.pk, quantity=quantity)
    pickup = outlet(listing.cooperative).pk if method == DeliveryMethod.PICKUP else None
    request = CheckoutRequest(
        contact_name=fields.pop("contact_name", "Maria Goreti"),
        contact_phone="0812-3456-7890",
        payment_method=payment,
        deliveries={listing.cooperative_id: DeliveryChoice(method=method, pickup_location_id=pickup)},
        address_village_code=JAHAB,
        address_line=fields.pop("address_line", "Jl. Mangkurawang 12"),
        **fields,
    )
    [order] = checkout_place(
        actor=buyer, cart=cart, request=request, idempotency_key=f"seller-{next(_keys):08d}"
    )
    return order


def board_url(cooperative, **query):
    url = reverse("market:order_board", args=[cooperative.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def order_url(order, name="market:seller_order"):
    return reverse(name, args=[order.cooperative.slug, order.number])


@pytest.fixture
def listing():
    return make_listing(price=25_000, stock=100)


@pytest.fixture
def coop(listing):
    return listing.cooperative


# --- Board ------------------------------------------------------------------------------------


def test_officers_see_their_cooperatives_orders_newest_first_with_counts(client, listing, coop):
    first = buy(listing, contact_name="Yohana")
    second = buy(listing, 2, method=DeliveryMethod.COURIER, contact_name="Agus")
    client.force_login(officer(coop, Role.PENGAWAS))

    response = client.get(board_url(coop))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(second.number) < html.index(first.number)
    assert "Yohana" in html and "Agus" in html
    assert "Rp50.000" in html and "Rp25.000" in html
    assert 'data-tab="created"' in html
    # The courier order's fee is not quoted yet: flagged once, on that order.
    assert html.count('data-flag="quote"') == 1
    assert response.context["tabs"][0][2] == 2


def test_the_board_filters_by_status(client, listing, coop):
    paid = buy(listing)
    payment_confirm(actor=officer(coop, Role.BENDAHARA), order=paid)
    waiting = buy(listing)
    client.force_login(officer(coop))

    html = client.get(board_url(coop, status="paid")).content.decode()

    assert paid.number in html and waiting.number not in html


def test_the_board_query_count_does_not_grow_with_orders(
    client, listing, coop, django_assert_max_num_queries
):
    for n in range(30):
        buy(listing, method=DeliveryMethod.COURIER if n % 3 == 0 else DeliveryMethod.PICKUP)
    client.force_login(officer(coop))

    with django_assert_max_num_queries(6):
        response = client.get(board_url(coop))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 30


@pytest.mark.parametrize(
    "who",
    [
        lambda coop, other: person(Role.ADMIN_REGENCY, scope="64.02"),
        lambda coop, other: person(Role.ADMIN_PROVINCE, scope="64"),
        lambda coop, other: officer(coop, Role.SEKRETARIS),
    ],
    ids=["regency admin", "province admin", "sekretaris"],
)
def test_the_region_admins_and_every_officer_read_the_board(client, coop, who):
    client.force_login(who(coop, None))
    assert client.get(board_url(coop)).status_code == 200


@pytest.mark.parametrize(
    "who",
    [
        lambda coop: officer(make_listing(MASABEWA).cooperative),
        lambda coop: person(Role.ADMIN_REGENCY, scope="53.07"),
        lambda coop: person(Role.BUYER),
        lambda coop: officer(coop, Role.MEMBER),
        lambda coop: person(),
    ],
    ids=["other cooperative's officer", "other region's admin", "buyer", "member", "no role"],
)
def test_others_are_refused_the_board(client, coop, who):
    client.force_login(who(coop))
    assert client.get(board_url(coop)).status_code == 403


def test_the_board_needs_a_login_and_an_existing_cooperative(client, coop):
    assert client.get(board_url(coop)).status_code == 302
    client.force_login(officer(coop))
    assert client.get(reverse("market:order_board", args=["tidak-ada"])).status_code == 404


# --- An order's page --------------------------------------------------------------------------


def test_the_order_page_shows_lines_contact_delivery_history_and_whatsapp(client, listing, coop):
    order = buy(listing, 2, method=DeliveryMethod.LOCAL, note="Tolong dibungkus rapi")
    client.force_login(officer(coop, Role.PENGAWAS))

    response = client.get(order_url(order))

    assert response.status_code == 200
    html = response.content.decode()
    assert listing.name in html and "Rp50.000" in html
    assert "+6281234567890" in html  # the buyer's own contact, for the officers
    assert "Jl. Mangkurawang 12" in html and "Tolong dibungkus rapi" in html
    assert 'id="events"' in html
    link = response.context["whatsapp"]
    assert link.startswith("https://wa.me/6281234567890?text=") and order.number in link
    # A pengawas reads; the buttons are for the managing officers.
    assert response.context["steps"] == [] and response.context["payment_form"] is None


def test_the_order_page_reads_a_fixed_number_of_queries(client, listing, coop, django_assert_max_num_queries):
    order = buy(listing, 3, method=DeliveryMethod.LOCAL)
    payment_confirm(actor=officer(coop, Role.BENDAHARA), order=order)
    client.force_login(officer(coop, Role.BENDAHARA))

    with django_assert_max_num_queries(7):  # user, cooperative, roles, order, lines, events, payments
        assert client.get(order_url(order)).status_code == 200


def test_the_order_page_is_refused_to_the_buyer_and_other_cooperatives(client, listing, coop):
    buyer = person(Role.BUYER)
    order = buy(listing, buyer=buyer)
    client.force_login(buyer)
    assert client.get(order_url(order)).status_code == 403
    other = make_listing(MASABEWA).cooperative
    client.force_login(officer(other))
    assert client.get(order_url(order)).status_code == 403
    # An officer of another cooperative cannot reach this order through their own slug either.
    url = reverse("market:seller_order", args=[other.slug, order.number])
    assert client.get(url).status_code == 403


def test_buttons_follow_the_allowed_steps(client, listing, coop):
    order = buy(listing, payment=PaymentMethod.COD)
    client.force_login(officer(coop))

    response = client.get(order_url(order))

    steps = [step["to"] for step in response.context["steps"]]
    assert steps == [OrderStatus.PROCESSING, OrderStatus.CANCELLED]


def test_an_order_moves_through_its_steps_by_post(client, listing, coop):
    order = buy(listing, method=DeliveryMethod.LOCAL)
    payment_confirm(actor=officer(coop, Role.BENDAHARA), order=order)
    client.force_login(officer(coop, Role.SEKRETARIS))
    step_url = order_url(order, "market:seller_order_step")

    assert client.post(step_url, {"to_status": "processing"}).status_code == 302
    client.post(step_url, {"to_status": "shipped", "tracking_number": "JNT123456"})
    client.post(step_url, {"to_status": "received"})
    response = client.post(step_url, {"to_status": "completed"}, follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.tracking_number == "JNT123456"
    assert [e.to_status for e in order.events.all()] == [
        "created",
        "paid",
        "processing",
        "shipped",
        "received",
        "completed",
    ]
    assert "The order is now: completed." in response.content.decode()


def test_a_pickup_order_is_ready_then_handed_over(client, listing, coop):
    order = buy(listing, payment=PaymentMethod.COD)
    client.force_login(officer(coop))
    step_url = order_url(order, "market:seller_order_step")
    client.post(step_url, {"to_status": "processing"})

    labels = [step["label"] for step in client.get(order_url(order)).context["steps"]]
    assert "Ready for pickup" in labels

    client.post(step_url, {"to_status": "shipped"})
    labels = [step["label"] for step in client.get(order_url(order)).context["steps"]]
    assert "Handed over to the buyer" in labels


def test_a_step_not_allowed_now_is_refused_with_a_message(client, listing, coop):
    order = buy(listing)  # QRIS, unpaid: cannot be prepared yet
    client.force_login(officer(coop))

    response = client.post(order_url(order, "market:seller_order_step"), {"to_status": "shipped"})

    assert response.status_code == 400
    assert "cannot become shipped" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED


def test_cancelling_needs_a_reason_and_releases_the_stock(client, listing, coop):
    order = buy(listing, 3)
    client.force_login(officer(coop))
    step_url = order_url(order, "market:seller_order_step")

    response = client.post(step_url, {"to_status": "cancelled", "note": " "})
    assert response.status_code == 400
    assert "Say why the order is cancelled." in response.content.decode()

    client.post(step_url, {"to_status": "cancelled", "note": "Stok rusak"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "Stok rusak"
    assert StockLevel.objects.get(listing=listing).quantity == 100


@pytest.mark.parametrize("restock,expected", [("on", 100), ("", 99)])
def test_a_return_asks_whether_to_restock_and_makes_a_refund_due(client, listing, coop, restock, expected):
    order = buy(listing, method=DeliveryMethod.LOCAL)
    payment_confirm(actor=officer(coop, Role.BENDAHARA), order=order)
    client.force_login(officer(coop))
    step_url = order_url(order, "market:seller_order_step")
    for step in ("processing", "shipped"):
        client.post(step_url, {"to_status": step})

    client.post(step_url, {"to_status": "returned", "note": "Kemasan bocor", "restock": restock})

    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED
    assert StockLevel.objects.get(listing=listing).quantity == expected
    refund = Payment.objects.get(order=order, kind="refund")
    assert refund.refund_status == RefundStatus.DUE and refund.amount == order.total


def test_a_pengawas_and_a_buyer_cannot_move_an_order(client, listing, coop):
    order = buy(listing, payment=PaymentMethod.COD)
    step_url = order_url(order, "market:seller_order_step")
    for user in (
        officer(coop, Role.PENGAWAS),
        person(Role.BUYER),
        officer(make_listing(MASABEWA).cooperative),
    ):
        client.force_login(user)
        assert client.post(step_url, {"to_status": "processing"}).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED


def test_steps_are_post_only(client, listing, coop):
    order = buy(listing)
    client.force_login(officer(coop))
    assert client.get(order_url(order, "market:seller_order_step")).status_code == 405


# --- Courier fee --------------------------------------------------------------------------------


def test_the_courier_fee_is_quoted_and_the_order_becomes_payable(client, listing, coop):
    order = buy(listing, method=DeliveryMethod.COURIER, payment=PaymentMethod.TRANSFER)
    client.force_login(officer(coop, Role.SEKRETARIS))
    page = client.get(order_url(order))
    assert page.context["quote_form"] is not None

    response = client.post(order_url(order, "market:seller_order_quote"), {"fee": "18.000"})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.shipping_confirmed and order.shipping_fee == 18_000
    assert order.total == 25_000 + 18_000 + order.unique_code
    assert client.get(order_url(order)).context["quote_form"] is None


def test_a_bad_fee_is_shown_on_the_form(client, listing, coop):
    order = buy(listing, method=DeliveryMethod.COURIER)
    client.force_login(officer(coop))

    response = client.post(order_url(order, "market:seller_order_quote"), {"fee": "banyak"})

    assert response.status_code == 400
    assert response.context["quote_form"].errors["fee"]


def test_the_fee_is_quoted_only_by_managing_officers(client, listing, coop):
    order = buy(listing, method=DeliveryMethod.COURIER)
    for user in (officer(coop, Role.PENGAWAS), person(Role.ADMIN_REGENCY, scope="64.02")):
        client.force_login(user)
        assert client.post(order_url(order, "market:seller_order_quote"), {"fee": "10000"}).status_code == 403
    order.refresh_from_db()
    assert not order.shipping_confirmed


# --- Payment received -------------------------------------------------------------------------


def test_the_treasurer_sees_the_exact_amount_and_confirms_it(client, listing, coop):
    order = buy(listing, method=DeliveryMethod.LOCAL, payment=PaymentMethod.TRANSFER)
    client.force_login(officer(coop, Role.BENDAHARA))

    page = client.get(order_url(order))
    html = page.content.decode()
    assert page.context["expected"] == 35_000 + order.unique_code
    assert f"includes the unique code {order.unique_code}" in html

    response = client.post(
        order_url(order, "market:seller_payment_confirm"),
        {"amount": str(order.total), "reference": "mutasi BCA 12/05"},
        follow=True,
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_amount == order.total
    assert "Payment recorded: the order is paid." in response.content.decode()
    entry = SettlementEntry.objects.get(order=order)
    assert entry.payment is not None
    assert entry.amount == order.total and entry.payment.reference == "mutasi BCA 12/05"
    settlement = client.get(reverse("market:settlement", args=[coop.slug])).content.decode()
    assert order.number in settlement


def test_the_chair_may_confirm_a_payment_but_not_the_secretary(client, listing, coop):
    order = buy(listing)
    url = order_url(order, "market:seller_payment_confirm")
    secretary = officer(coop, Role.SEKRETARIS)
    client.force_login(secretary)
    assert client.get(order_url(order)).context["payment_form"] is None
    assert client.post(url, {"amount": "25000"}).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED

    client.force_login(officer(coop, Role.KETUA))
    assert client.post(url, {"amount": "25000"}).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize(
    "who",
    [
        lambda coop: officer(make_listing(MASABEWA).cooperative, Role.BENDAHARA),
        lambda coop: person(Role.ADMIN_REGENCY, scope="64.02"),
        lambda coop: officer(coop, Role.PENGAWAS),
    ],
    ids=["other cooperative's treasurer", "regency admin", "pengawas"],
)
def test_others_cannot_confirm_a_payment(client, listing, coop, who):
    order = buy(listing)
    client.force_login(who(coop))
    assert (
        client.post(order_url(order, "market:seller_payment_confirm"), {"amount": "25000"}).status_code == 403
    )
    assert not Payment.objects.exists()


def test_a_payment_before_the_fee_is_quoted_is_refused_on_the_form(client, listing, coop):
    order = buy(listing, method=DeliveryMethod.COURIER)
    client.force_login(officer(coop, Role.BENDAHARA))

    response = client.post(order_url(order, "market:seller_payment_confirm"), {"amount": "25000"})

    assert response.status_code == 400
    assert "Confirm the delivery fee before the payment." in response.content.decode()


def test_a_partial_payment_leaves_the_rest_due(client, listing, coop):
    order = buy(listing, 2)
    client.force_login(officer(coop, Role.BENDAHARA))

    client.post(order_url(order, "market:seller_payment_confirm"), {"amount": "20.000"})

    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED and order.paid_amount == 20_000
    assert client.get(order_url(order)).context["expected"] == 30_000


# --- Refunds ----------------------------------------------------------------------------------


def _refund_due(client, listing, coop):
    order = buy(listing)
    payment_confirm(actor=officer(coop, Role.BENDAHARA), order=order)
    client.force_login(officer(coop, Role.SEKRETARIS))
    client.post(order_url(order, "market:seller_order_step"), {"to_status": "cancelled", "note": "Habis"})
    return order, Payment.objects.get(order=order, kind="refund")


def test_the_treasurer_marks_a_due_refund_done(client, listing, coop):
    order, refund = _refund_due(client, listing, coop)
    client.force_login(officer(coop, Role.BENDAHARA))
    page = client.get(reverse("market:settlement", args=[coop.slug]))
    assert [item["refund"].pk for item in page.context["refunds"]] == [refund.pk] and page.context[
        "may_refund"
    ]

    url = reverse("market:seller_refund_done", args=[coop.slug, refund.pk])
    response = client.post(url, {"reference": "transfer balik 13/05", "back": "order"})

    assert response.url == order_url(order)
    refund.refresh_from_db()
    assert refund.refund_status == RefundStatus.DONE and refund.reference == "transfer balik 13/05"
    assert client.get(reverse("market:settlement", args=[coop.slug])).context["refunds"] == []
    # Done once: a second press says so and changes nothing.
    response = client.post(url, {"reference": "lagi"}, follow=True)
    assert "This refund is not due." in response.content.decode()


def test_a_secretary_or_another_cooperative_cannot_mark_a_refund_done(client, listing, coop):
    _order, refund = _refund_due(client, listing, coop)
    url = reverse("market:seller_refund_done", args=[coop.slug, refund.pk])
    assert client.post(url, {}).status_code == 403  # the secretary, still logged in
    other = make_listing(MASABEWA).cooperative
    client.force_login(officer(other, Role.BENDAHARA))
    assert client.post(url, {}).status_code == 403
    # Through their own cooperative's address the refund is simply not theirs.
    response = client.post(
        reverse("market:seller_refund_done", args=[other.slug, refund.pk]), {}, follow=True
    )
    assert "This refund is not due." in response.content.decode()
    refund.refresh_from_db()
    assert refund.refund_status == RefundStatus.DUE


# --- Settlement record --------------------------------------------------------------------------


def test_the_settlement_record_shows_entries_with_a_running_balance(client, listing, coop):
    treasurer = officer(coop, Role.BENDAHARA)
    first = buy(listing)
    payment_confirm(actor=treasurer, order=first)
    second = buy(listing, 2)
    payment_confirm(actor=treasurer, order=second)
    SettlementEntry.objects.create(
        cooperative=coop, kind="display_commission", amount=-5_000, note="Komisi Mei"
    )
    client.force_login(officer(coop, Role.PENGAWAS))

    response = client.get(reverse("market:settlement", args=[coop.slug]))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.amount for row in rows] == [-5_000, 50_000, 25_000]
    assert [row.balance for row in rows] == [70_000, 75_000, 25_000]
    assert response.context["closing"] == 70_000
    assert response.context["inflow"] == 75_000 and response.context["outflow"] == 5_000
    html = response.content.decode()
    assert "Komisi Mei" in html and "\u2212Rp5.000" in html


def test_the_running_balance_carries_across_pages(client, listing, coop, settings):
    settings.KOPDES_PAGE_SIZE = 2
    for n in range(1, 6):
        SettlementEntry.objects.create(cooperative=coop, kind="order_payment", amount=n * 1_000)
    client.force_login(officer(coop))

    page2 = client.get(reverse("market:settlement", args=[coop.slug]) + "?page=2").context["rows"]

    assert [(row.amount, row.balance) for row in page2] == [(3_000, 6_000), (2_000, 3_000)]


def test_the_month_filter_uses_the_cooperatives_local_month(client, listing, coop):
    # Kutai Kartanegara keeps WITA (UTC+8): 30 April 17:00 UTC is already 1 May there.
    may_first = dt.datetime(2026, 4, 30, 17, 0, tzinfo=dt.UTC)
    april = dt.datetime(2026, 4, 30, 15, 0, tzinfo=dt.UTC)
    SettlementEntry.objects.create(cooperative=coop, kind="order_payment", amount=10_000, created_at=april)
    SettlementEntry.objects.create(cooperative=coop, kind="order_payment", amount=7_000, created_at=may_first)
    client.force_login(officer(coop))

    response = client.get(reverse("market:settlement", args=[coop.slug]) + "?month=2026-05")

    assert [row.amount for row in response.context["rows"]] == [7_000]
    assert response.context["opening"] == 10_000 and response.context["closing"] == 17_000
    assert client.get(reverse("market:settlement", args=[coop.slug]) + "?month=zz").status_code == 200


def test_the_settlement_record_is_refused_to_others(client, coop):
    url = reverse("market:settlement", args=[coop.slug])
    for user in (
        person(Role.BUYER),
        officer(make_listing(MASABEWA).cooperative),
        person(Role.ADMIN_REGENCY, scope="53.07"),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(reverse("market:settlement_export", args=[coop.slug, "csv"])).status_code == 403
    client.force_login(person(Role.ADMIN_REGENCY, scope="64.02"))
    assert client.get(url).status_code == 200


def test_the_settlement_query_count_is_bounded(client, listing, coop, django_assert_max_num_queries):
    treasurer = officer(coop, Role.BENDAHARA)
    for _n in range(20):
        order = buy(listing)
        payment_confirm(actor=treasurer, order=order)
    client.force_login(treasurer)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("market:settlement", args=[coop.slug]))

    assert len(response.context["rows"]) == 20


def test_the_settlement_exports_as_csv_and_excel(client, listing, coop):
    treasurer = officer(coop, Role.BENDAHARA)
    order = buy(listing)
    payment_confirm(actor=treasurer, order=order, reference="ref-1")
    SettlementEntry.objects.create(cooperative=coop, kind="refund", amount=-4_000, note="Sebagian")
    client.force_login(officer(coop, Role.PENGAWAS))

    response = client.get(reverse("market:settlement_export", args=[coop.slug, "csv"]))

    assert response.status_code == 200
    assert f"penyelesaian-{coop.slug}-semua.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Date" and rows[1][-1] == "0"
    assert rows[2][2] == order.number and rows[2][4:] == ["25000", "25000"]
    assert rows[3][4:] == ["-4000", "21000"]

    response = client.get(reverse("market:settlement_export", args=[coop.slug, "xlsx"]) + "?month=2026-01")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"
    assert client.get(reverse("market:settlement_export", args=[coop.slug, "pdf"])).status_code == 404


def test_the_excel_export_holds_the_entries(client, listing, coop):
    openpyxl = pytest.importorskip("openpyxl")
    treasurer = officer(coop, Role.BENDAHARA)
    order = buy(listing)
    payment_confirm(actor=treasurer, order=order)
    client.force_login(treasurer)

    response = client.get(reverse("market:settlement_export", args=[coop.slug, "xlsx"]))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[2][2] == order.number and values[2][4:] == [25_000, 25_000]


# --- Menu, home panel, the command ---------------------------------------------------------------


def test_officers_get_the_orders_menu_entry_which_leads_to_their_board(client, coop):
    ketua = officer(coop)
    assert ("Orders", reverse("market:order_boards")) in items_for(ketua)
    assert ("Orders", reverse("market:order_boards")) not in items_for(person(Role.BUYER))
    client.force_login(ketua)
    response = client.get(reverse("market:order_boards"))
    assert response.status_code == 302 and response.url == board_url(coop)


def test_the_home_panel_counts_the_orders_waiting(client, listing, coop, django_assert_max_num_queries):
    buy(listing)
    paid = buy(listing)
    payment_confirm(actor=officer(coop, Role.BENDAHARA), order=paid)
    ketua = officer(coop)
    ketua.active_roles()

    with django_assert_max_num_queries(2):
        panels = dict(panels_for(ketua))

    panel = panels["market/seller/_home_panel.html"]
    [row] = panel["rows"]
    assert {status: n for status, _label, n in row["waiting"]} == {"created": 1, "paid": 1, "processing": 0}
    client.force_login(ketua)
    html = client.get(reverse("core:home")).content.decode()
    assert 'id="orders-waiting"' in html and board_url(coop, status="paid") in html
    assert "market/seller/_home_panel.html" not in dict(panels_for(person(Role.BUYER)))


def test_the_expire_command_cancels_unpaid_orders_past_their_time(listing):
    late = buy(listing, 2)
    fresh = buy(listing)
    Order.objects.filter(pk=late.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    out = io.StringIO()

    call_command("expire_orders", stdout=out)

    assert out.getvalue().strip() == "expired=1"
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.status == OrderStatus.CANCELLED and fresh.status == OrderStatus.CREATED
    assert StockLevel.objects.get(listing=listing).quantity == 99
