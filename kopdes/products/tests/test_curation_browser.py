"""A curator scores a product on a 360-px phone screen, in a real chromium, and the scores are saved."""

from __future__ import annotations

import pytest

from kopdes.accounts.tests.factories import PASSWORD
from kopdes.core.tests.browser import horizontal_overflow, log_in, screenshot
from kopdes.products import selectors_curation as sel
from kopdes.products.models import CurationScore
from kopdes.products.tests.curation_helpers import curator, submitted

pytestmark = pytest.mark.browser


def test_a_curator_scores_a_product_on_a_phone_and_the_scores_are_saved(
    phone_page, live_server, route_guard, regions, product_defaults
):
    _product, round_ = submitted(name="Keripik Pisang Jahab")
    kurator = curator()
    criteria = sel.rubric_criteria(round_.rubric)
    page = phone_page

    log_in(page, kurator.phone, PASSWORD)
    page.goto("/kurasi/")
    assert horizontal_overflow(page) <= 0
    with page.expect_navigation():
        page.locator(f'main a.btn[href="/kurasi/ronde/{round_.pk}/nilai/"]').tap()
    assert page.url == f"{live_server.url}/kurasi/ronde/{round_.pk}/nilai/"
    assert page.locator("main h1").inner_text() == "Keripik Pisang Jahab"
    assert page.locator("main fieldset legend").count() == 3

    inputs = page.locator("#score-form input[type=number]")
    assert inputs.count() == len(criteria)
    box = inputs.first.bounding_box()
    assert box is not None and box["height"] >= 44
    expected = 0
    for index, criterion in enumerate(criteria):
        given = criterion.max_points if index % 2 == 0 else criterion.max_points // 2
        expected += given
        inputs.nth(index).fill(str(given))
    assert page.locator("#score-total").inner_text() == str(expected)
    assert horizontal_overflow(page) <= 0
    screenshot(page, "curation-score")

    with page.expect_navigation():
        page.locator("#score-form button[type=submit]").tap()
    assert page.url == f"{live_server.url}/kurasi/ronde/{round_.pk}/"
    assert page.locator(".messages li").count() == 1  # "your scores have been saved"
    assert horizontal_overflow(page) <= 0

    saved = CurationScore.objects.get(round=round_, curator=kurator)
    assert saved.total == expected
    assert saved.items.count() == len(criteria)
    route_guard.assert_only_live_server()
