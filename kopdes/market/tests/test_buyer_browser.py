"""A guest buys on a 360-px phone in a real chromium: search -> cart -> checkout -> the QRIS page,
with nothing wider than the screen and no request leaving the server."""

from __future__ import annotations

import threading
import time

import pytest
from lokal import parse_qris

from kopdes.core.tests.browser import horizontal_overflow, screenshot
from kopdes.market import views_cart
from kopdes.market.models import Order
from kopdes.regions.forms import picked_code

from .factories import JAHAB, make_listing, outlet

pytestmark = pytest.mark.browser


def test_a_guest_searches_buys_and_gets_the_qris_on_a_phone(phone_page, live_server, route_guard, regions):
    listing = make_listing(name="Keripik Pisang Jahab", price=25_000, stock=10)
    make_listing(name="Madu Hutan Asli", price=90_000)
    page = phone_page

    # Search
    page.goto("/pasar/?q=keripik")
    card = page.locator("main form[action='/keranjang/tambah/']").filter(
        has=page.locator(f"input[name=listing][value='{listing.pk}']")
    )
    assert card.count() == 1
    assert page.locator("main form[action='/keranjang/tambah/']").count() == 1  # the honey is not found
    assert horizontal_overflow(page) <= 0
    with page.expect_navigation():
        card.locator("button[type=submit]").tap()
    assert page.locator(".messages li").count() == 1  # "added to cart"
    assert page.locator("#cart-link").get_attribute("data-count") == "1"

    # Cart
    with page.expect_navigation():
        page.locator("#cart-link").tap()
    assert page.url == f"{live_server.url}/keranjang/"
    assert page.locator(f"#item-{listing.pk}").count() == 1
    assert page.locator("#cart-total").inner_text() == "Rp25.000"
    assert horizontal_overflow(page) <= 0
    screenshot(page, "buyer-cart")
    with page.expect_navigation():
        page.locator("#to-checkout").tap()

    # Checkout
    assert page.url == f"{live_server.url}/checkout/"
    assert horizontal_overflow(page) <= 0
    form = page.locator("#checkout-form")
    form.locator("input[name=contact_name]").fill("Maria Goreti")
    form.locator("input[name=contact_phone]").fill("0812 3456 7890")
    pickup = f"pickup-{outlet(listing.cooperative).pk}"
    form.locator(f"input[name=delivery_{listing.cooperative_id}][value='{pickup}']").check()
    form.locator(f"input[name=payment_{listing.cooperative_id}][value=qris]").check()
    screenshot(page, "buyer-checkout")
    with page.expect_navigation():
        page.locator("#place-order").tap()

    # The order's page: the QRIS for the exact amount
    order = Order.objects.get()
    assert page.url == f"{live_server.url}{order.get_absolute_url()}"
    qr = page.locator("#qris svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box is not None and 150 <= box["width"] <= 360
    payload = page.locator("#qris-payload").input_value()
    info = parse_qris(payload)
    assert info.valid and info.amount == "25000"
    assert page.locator("#pay-amount").get_attribute("data-amount") == "25000"
    assert page.locator("#whatsapp").get_attribute("href").startswith("https://wa.me/")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "buyer-qris")
    route_guard.assert_only_live_server()


def test_local_delivery_on_a_phone_fills_the_postal_code_from_the_picked_village(
    phone_page, live_server, route_guard, regions, monkeypatch
):
    # The postal code box answers every pick; its answers to the province, regency and district are
    # slowed down here, so the village is picked while the district's answer is still on its way (as
    # on a slow phone network, and as CI once did by chance). The village's answer must still win.
    def slow_above_village(data, name):
        if not data.get(f"{name}__4"):
            time.sleep(0.4)
        return picked_code(data, name)

    monkeypatch.setattr(views_cart, "picked_code", slow_above_village)
    listing = make_listing(name="Amplang Ikan Pipih", price=30_000, stock=10)
    village = regions.get(code=JAHAB)
    page = phone_page
    page.goto("/pasar/?q=amplang")
    with page.expect_navigation():
        page.locator("main form[action='/keranjang/tambah/'] button[type=submit]").tap()
    page.goto("/keranjang/")
    page.locator(f"#qty-{listing.pk}").fill("2")
    with page.expect_navigation():
        page.locator(f"#item-{listing.pk} button[type=submit]:not([name=remove])").tap()
    assert page.locator("#cart-total").inner_text() == "Rp60.000"
    with page.expect_navigation():
        page.locator("#to-checkout").tap()

    form = page.locator("#checkout-form")
    form.locator("input[name=contact_name]").fill("Maria Goreti")
    form.locator("input[name=contact_phone]").fill("081234567890")
    form.locator(f"input[name=delivery_{listing.cooperative_id}][value=local]").check()
    for level, code in enumerate(["64", "64.02", "64.02.06", JAHAB], start=1):
        # Wait for the option itself, not for a request: the browser may answer a level it has
        # already loaded in an earlier test from its cache, without a network response.
        page.locator(f"#id_address__{level} option[value='{code}']").wait_for(state="attached")
        # Then for htmx to have swapped in and processed the picker that answers this choice: the
        # next choice, made before htmx has processed the new selects (a fast machine, never a
        # person), would start no request. The old picker is marked; htmx takes `htmx-added` off
        # the new one in the same step in which it processes it.
        page.evaluate("() => { document.getElementById('picker-address').__answered = true; }")
        page.locator(f"#id_address__{level}").select_option(code)
        page.wait_for_function(
            """() => {
                const picker = document.getElementById('picker-address');
                return picker && !picker.__answered && !picker.classList.contains('htmx-added');
            }"""
        )
    page.wait_for_function(
        "(postal) => document.getElementById('id_postal_code').value === postal", arg=village.postal_code
    )
    form.locator("input[name=address_line]").fill("Jl. Mangkurawang 12")
    form.locator(f"input[name=payment_{listing.cooperative_id}][value=transfer]").check()
    assert horizontal_overflow(page) <= 0
    with page.expect_navigation():
        page.locator("#place-order").tap()

    order = Order.objects.get()
    assert (order.shipping_fee, order.address_postal_code) == (10_000, village.postal_code)
    assert page.locator("#unique-code").inner_text() == str(order.unique_code)
    assert horizontal_overflow(page) <= 0
    screenshot(page, "buyer-transfer")
    route_guard.assert_only_live_server()


def test_a_province_changed_while_the_first_answer_is_on_its_way_shows_the_last_choice(
    phone_page, live_server, route_guard, regions, monkeypatch
):
    # The picker's answer to the first province is slowed down; the buyer changes their mind before
    # it comes. The picker must show the second choice and its regencies, not the first's answer.
    from kopdes.regions import views as region_views

    slow_answer_done = threading.Event()

    def slow_for_the_first(data, name, max_level=4):
        code = picked_code(data, name, max_level)
        if code == "64":
            time.sleep(0.6)
            slow_answer_done.set()
        return code

    monkeypatch.setattr(region_views, "picked_code", slow_for_the_first)
    make_listing(name="Amplang Ikan Pipih", price=30_000, stock=10)
    page = phone_page
    page.goto("/pasar/?q=amplang")
    with page.expect_navigation():
        page.locator("main form[action='/keranjang/tambah/'] button[type=submit]").tap()
    page.goto("/checkout/")
    province = page.locator("#id_address__1")
    province.select_option("64")
    province.select_option("53")
    page.locator("#id_address__2 option[value^='53.']").first.wait_for(state="attached")
    assert slow_answer_done.wait(5)
    page.wait_for_load_state("networkidle")  # the first answer, had it been kept, would be in by now

    assert page.locator("#id_address__1").input_value() == "53"
    assert page.locator("#id_address__2 option[value^='64.']").count() == 0
    route_guard.assert_only_live_server()
