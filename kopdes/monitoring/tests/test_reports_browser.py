"""A regency admin asks for the month's report on a 360-px phone, watches the progress bar reach
100 without reloading, and downloads the PDF and the workbook."""

from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import PASSWORD, person
from kopdes.core.tests.browser import horizontal_overflow, log_in, screenshot
from kopdes.monitoring.models import ReportJob
from kopdes.monitoring.tasks import report_build_task

from . import test_dashboard_figures as data

pytestmark = pytest.mark.browser
market = data.market


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_admin_asks_for_the_report_on_a_phone_and_downloads_it_when_the_bar_reaches_100(
    phone_page, route_guard, settings, market
):
    # The task is queued but not run, so the page polls until the test runs it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    page = phone_page
    log_in(page, admin.phone, PASSWORD)

    page.goto("/laporan/")
    assert page.locator("select[name=wilayah__2]").input_value() == "64.02"  # their own regency
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()
    assert horizontal_overflow(page) <= 0
    with page.expect_navigation():
        page.locator("[data-testid=make-report]").tap()
    assert page.locator("#report-progress").get_attribute("hx-trigger") == "every 1s"
    screenshot(page, "report-queued")

    report_build_task.call(ReportJob.objects.get().pk)

    page.wait_for_function("() => document.querySelector('#report-progress progress')?.value === 100")
    assert page.locator("[data-testid=percent]").inner_text() == "100%"
    with page.expect_download() as pdf:
        page.locator("[data-testid=download-pdf]").tap()
    assert pdf.value.suggested_filename.startswith("laporan-64-02-")
    with open(pdf.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"
    with page.expect_download() as xlsx:
        page.locator("[data-testid=download-xlsx]").tap()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "report-ready")
    route_guard.assert_only_live_server()
