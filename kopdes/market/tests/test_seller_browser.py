"""A treasurer handles an order on a 360-px phone in a real chromium: the board, the order's page,
"payment received", the next step and the settlement record, nothing wider than the screen."""

from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import PASSWORD
from kopdes.core.tests.browser import horizontal_overflow, log_in, screenshot
from kopdes.market.choices import DeliveryMethod, OrderStatus, PaymentMethod

from .factories import make_listing, officer
from .test_seller_views import buy

pytestmark = pytest.mark.browser


def test_a_treasurer_confirms_a_transfer_and_prepares_the_order_on_a_phone(
    phone_page, live_server, route_guard, regions
):
    listing = make_listing(name="Keripik Pisang Jahab", price=25_000, stock=10)
    coop = listing.cooperative
    order = buy(listing, 2, method=DeliveryMethod.LOCAL, payment=PaymentMethod.TRANSFER)
    buy(listing, method=DeliveryMethod.COURIER)
    treasurer = officer(coop, Role.BENDAHARA)
    page = phone_page
    log_in(page, treasurer.phone, PASSWORD)

    # The menu's entry leads to the cooperative's board.
    page.goto("/koperasi/pesanan/")
    assert page.url == f"{live_server.url}/koperasi/{coop.slug}/pesanan/"
    assert page.locator("#orders .card").count() == 2
    assert page.locator("[data-flag=quote]").count() == 1
    assert horizontal_overflow(page) <= 0
    screenshot(page, "seller-board")

    # The order: the exact amount with its unique code, then "payment received".
    with page.expect_navigation():
        page.locator(f"[data-order='{order.number}'] a.title").tap()
    order.refresh_from_db()
    assert page.locator("#expected-amount").inner_text() == "Rp" + f"{order.total:,}".replace(",", ".")
    assert page.locator("#whatsapp").get_attribute("href").startswith("https://wa.me/6281234567890?text=")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "seller-order")
    page.locator("#payment-form input[name=reference]").fill("mutasi 12/05")
    with page.expect_navigation():
        page.locator("#payment-form button[type=submit]").tap()
    assert page.locator("#order-status").get_attribute("data-status") == OrderStatus.PAID

    # The next step is one tap.
    with page.expect_navigation():
        page.locator("form[data-step=processing] button[type=submit]").tap()
    assert page.locator("#order-status").get_attribute("data-status") == OrderStatus.PROCESSING
    assert horizontal_overflow(page) <= 0

    # The payment is in the settlement record.
    page.goto(f"/koperasi/{coop.slug}/penyelesaian/")
    assert page.locator("#entries li").count() == 1
    assert page.locator("#balance").inner_text() == "Rp" + f"{order.total:,}".replace(",", ".")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "seller-settlement")
    route_guard.assert_only_live_server()
