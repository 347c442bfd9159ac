"""The cashier on a 360-px phone, in a real chromium: find a product, tap +, see the total in Rp,
pay by QRIS, record the sale; the shelf goes down and nothing is wider than the screen."""

from __future__ import annotations

import pytest

from kopdes.accounts.tests.factories import PASSWORD
from kopdes.core.tests.browser import horizontal_overflow, log_in, screenshot
from kopdes.market.choices import PaymentMethod
from kopdes.market.models import DisplaySale

from .test_display_factories import make_point, on_shelf, operator_of
from .test_display_services import shelf_quantity

pytestmark = pytest.mark.browser


def test_the_cashier_sells_on_a_phone(phone_page, live_server, route_guard, regions):
    point = make_point(name="Galeri Bandara Telepon")
    amplang = on_shelf(point, quantity=5, price=25_000, name="Amplang Ikan Pipih Bandara")
    madu = on_shelf(point, quantity=3, price=85_000, name="Madu Kelulut Hutan Tenggarong Asli Kemasan Botol")
    cashier = operator_of(point.operator)
    page = phone_page

    log_in(page, cashier.phone, PASSWORD)
    page.goto(f"/titik-pajang/{point.slug}/kasir/")
    assert horizontal_overflow(page) <= 0
    assert page.locator(".cs-item").count() == 2

    page.locator("#cashier-search").fill("amplang")
    assert page.locator(f'.cs-item[data-listing="{madu.pk}"]').is_hidden()
    item = page.locator(f'.cs-item[data-listing="{amplang.pk}"]')
    plus = item.locator('button[data-step="1"]')
    box = plus.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    plus.tap()
    plus.tap()
    assert item.locator("input").input_value() == "2"
    assert page.locator("#cashier-total").inner_text() == "Rp50.000"
    page.locator("#cashier-search").fill("")
    page.locator(f'.cs-item[data-listing="{madu.pk}"] button[data-step="1"]').tap()
    assert page.locator("#cashier-total").inner_text() == "Rp135.000"
    page.locator("label.cs-choice", has_text="QRIS").tap()
    assert horizontal_overflow(page) <= 0
    screenshot(page, "display-cashier")

    with page.expect_navigation():
        page.locator("#cashier-submit").tap()

    assert page.locator(".messages li").count() == 1
    assert horizontal_overflow(page) <= 0
    sale = DisplaySale.objects.get()
    assert sale.total == 135_000 and sale.payment_method == PaymentMethod.QRIS
    assert sale.number in page.locator(".messages li").inner_text()
    assert shelf_quantity(point, amplang) == 3 and shelf_quantity(point, madu) == 2
    route_guard.assert_only_live_server()
