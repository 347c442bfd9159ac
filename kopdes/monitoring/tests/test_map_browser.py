"""The map on a 360-px phone: Leaflet from our own static files, markers without tiles, a tap on a
regency's marker down to its places, and the tile server only when one is set."""

from __future__ import annotations

import pytest

from kopdes.core.tests.browser import horizontal_overflow, screenshot

from .test_map_selectors import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(regions, kukar_admin):
    return build_world(kukar_admin)


def drawn(page) -> int:
    page.wait_for_selector("#kopdes-map[data-drawn]", state="attached")
    return int(page.locator("#kopdes-map").get_attribute("data-drawn"))


def test_the_nation_map_shows_regencies_without_tiles_and_a_tap_opens_one(phone_page, route_guard, world):
    page = phone_page

    page.goto("/peta/")

    assert drawn(page) == 3  # Kutai Kartanegara, Balikpapan, Sikka
    assert page.locator("#kopdes-map").is_visible()
    assert page.locator(".leaflet-tile").count() == 0
    assert horizontal_overflow(page) <= 0
    screenshot(page, "map-nation")
    leaflet = [u for u in route_guard.requested if "/static/leaflet/" in u]
    assert any(u.endswith("/static/leaflet/leaflet.js") for u in leaflet), route_guard.requested

    page.locator(".map-area", has_text="5").tap()
    popup = page.locator(".leaflet-popup-content")
    assert "Kabupaten Kutai Kartanegara" in popup.inner_text()
    with page.expect_navigation():
        popup.locator("a").tap()

    assert page.url.endswith("/peta/64.02/")
    assert drawn(page) == 5  # three cooperatives, an outlet, a display point
    assert page.locator(".map-table tbody tr").count() == 5
    assert horizontal_overflow(page) <= 0
    screenshot(page, "map-regency")
    route_guard.assert_only_live_server()


def test_tiles_come_from_the_configured_server_only(phone_page, route_guard, world, live_server, settings):
    # A tile server on the live server itself (it answers 404): the markers show all the same.
    settings.LEAFLET_CONFIG = {
        "TILES": [("Peta", live_server.url + "/ubin/{z}/{x}/{y}.png", {"attribution": "Ubin uji"})]
    }
    page = phone_page

    page.goto("/peta/64.02.06/")

    assert drawn(page) == 3
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile').length > 0")
    assert any("/ubin/" in u for u in route_guard.requested)
    assert "Ubin uji" in page.locator(".leaflet-control-attribution").inner_text()
    route_guard.assert_only_live_server()


def test_without_javascript_the_table_still_lists_the_places(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/peta/64.02/")
        assert page.locator("#kopdes-map").is_hidden()
        assert page.locator(".map-table tbody tr").count() == 5
        assert page.locator(".map-legend li").count() == 9
    finally:
        context.close()
