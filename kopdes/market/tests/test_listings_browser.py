"""An officer lists a product and counts its stock on a 360-px phone in a real chromium; a visitor
then finds it for sale on the cooperative's microsite and the product page. Nothing is wider than
the screen."""

from __future__ import annotations

import pytest

from kopdes.accounts.tests.factories import PASSWORD
from kopdes.core.tests.browser import horizontal_overflow, log_in, screenshot
from kopdes.market.models import Listing, StockMovement
from kopdes.products.choices import ProductStatus
from kopdes.products.tests.factories import make_product

from .factories import JAHAB, officer, outlet, seller

pytestmark = pytest.mark.browser


def test_an_officer_lists_a_product_and_adds_stock_on_a_phone(phone_page, live_server, route_guard, regions):
    coop = seller(JAHAB)
    product = make_product(JAHAB, status=ProductStatus.READY, name="Keripik Pisang Jahab")
    ketua = officer(coop)
    page = phone_page
    log_in(page, ketua.phone, PASSWORD)

    # The menu's shortcut leads to the shop; the product waits to be listed.
    page.goto("/jualan/")
    assert page.url == f"{live_server.url}/koperasi/{coop.slug}/jualan/"
    assert horizontal_overflow(page) <= 0
    form = page.locator("form[action='#add']")
    form.locator("select[name=product]").select_option(str(product.pk))
    form.locator("input[name=price]").fill("17.500")
    form.locator("input[name=weight_grams]").fill("180")
    with page.expect_navigation():
        form.locator("button[type=submit]").tap()
    listing = Listing.objects.get(product=product)
    assert listing.price == 17_500 and listing.sellable

    # On the stock page: 15 in, with a reason.
    assert page.url.endswith(f"/jualan/{listing.pk}/stok/#adjust")
    adjust = page.locator("form[action='#adjust']")
    adjust.locator("select[name=location]").select_option(str(outlet(coop).pk))
    adjust.locator("input[name=delta]").fill("15")
    adjust.locator("input[name=note]").fill("Produksi minggu ini")
    with page.expect_navigation():
        adjust.locator("button[type=submit]").tap()
    assert page.locator("#stock-online").inner_text() == "15"
    assert page.locator("#movements li").count() == 1
    assert StockMovement.objects.get(listing=listing).actor == ketua
    assert horizontal_overflow(page) <= 0
    screenshot(page, "listing-stock")

    for path in (f"/koperasi/{coop.slug}/jualan/tempat/", f"/koperasi/{coop.slug}/jualan/pengantaran/"):
        page.goto(path)
        assert horizontal_overflow(page) <= 0, path

    # A visitor (another phone, no account) sees it for sale.
    visitor = page.context.browser.new_context(
        viewport={"width": 360, "height": 740}, base_url=live_server.url
    )
    try:
        shop = visitor.new_page()
        shop.goto(coop.get_public_url())
        item = shop.locator(
            f"#products + ul [data-listing='{listing.pk}'], [data-listing='{listing.pk}']"
        ).first
        assert "Rp17.500" in item.inner_text()
        assert item.locator("button[type=submit]").count() == 1
        assert horizontal_overflow(shop) <= 0
        shop.goto(product.get_absolute_url())
        assert "Rp17.500" in shop.locator("#buy").inner_text()
        assert horizontal_overflow(shop) <= 0
        screenshot(shop, "product-buy")
    finally:
        visitor.close()
    route_guard.assert_only_live_server()
