"""A members import in a real chromium on a 360-px phone: upload, preview, confirm, progress bar."""

from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import PASSWORD, person
from kopdes.cooperatives import services
from kopdes.cooperatives.models import ImportJob, Member
from kopdes.cooperatives.tasks import import_run
from kopdes.core.tests.browser import horizontal_overflow, log_in, screenshot
from kopdes.regions.models import Region

pytestmark = pytest.mark.browser

JAHAB = "64.02.06.1001"
CSV = (
    "NIK;Nama Lengkap;No HP;Tanggal Masuk\n"
    "6402061203900001;Ani Suryani;0812-3456-7890;31/01/2025\n"
    "6402061203900002;Budi Santoso;;2025-02-01\n"
    "6402061203900003;Citra Lestari;+62 813 1111 2222;\n"
    "1234;Salah NIK;;\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def coop(regions):
    return services.cooperative_create(actor=None, village=Region.objects.get(code=JAHAB))


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


@pytest.fixture
def members_csv(tmp_path):
    path = tmp_path / "anggota.csv"
    path.write_text(CSV, encoding="utf-8-sig")
    return path


def _upload_and_preview(page, coop, members_csv) -> None:
    page.goto(f"/koperasi/impor/baru/?cooperative={coop.pk}")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "import-start")
    page.locator("main input[type=file]").set_input_files(str(members_csv))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()
    counts = page.locator("[data-testid=preview-counts] strong").all_inner_texts()
    assert counts == ["3", "0", "0", "1"]  # new, to update, unchanged, with problems
    assert "16" in page.locator("[data-testid=problems]").inner_text()  # the NIK's problem, row 5
    assert "6402061203900001" not in page.content()  # the sample shows NIKs masked
    assert horizontal_overflow(page) <= 0


def test_an_admin_imports_members_on_a_phone_and_sees_the_progress_bar_reach_100(
    phone_page, route_guard, settings, kukar_admin, coop, members_csv
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    page = phone_page
    log_in(page, kukar_admin.phone, PASSWORD)

    _upload_and_preview(page, coop, members_csv)
    screenshot(page, "import-preview")
    page.locator("input[name=good_rows_only][value='1']").check()
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=confirm]) button[type=submit]").tap()

    page.wait_for_function("() => document.querySelector('#import-progress progress')?.value === 100")
    assert page.locator("[data-testid=percent]").inner_text() == "100%"
    assert page.locator("[data-testid=result-counts] strong").all_inner_texts() == ["3", "0", "0", "1"]
    assert page.locator("a[href$='masalah.xlsx']").is_visible()
    assert Member.objects.filter(cooperative=coop).count() == 3
    assert horizontal_overflow(page) <= 0
    screenshot(page, "import-done")
    route_guard.assert_only_live_server()


def test_the_progress_page_follows_a_running_import_without_reloading(
    phone_page, route_guard, settings, kukar_admin, coop, members_csv
):
    # The task is queued but not run, so the page polls until the test runs it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = phone_page
    log_in(page, kukar_admin.phone, PASSWORD)
    _upload_and_preview(page, coop, members_csv)
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=confirm]) button[type=submit]").tap()
    assert page.locator("#import-progress").get_attribute("hx-trigger") == "every 1s"
    assert page.locator("#import-progress progress").evaluate("p => p.value") == 0

    job = ImportJob.objects.get()
    import_run.call(job.pk)  # all or nothing: one row has a problem, so nothing is imported

    page.wait_for_function("() => document.querySelector('#import-progress')?.dataset.status === 'failed'")
    assert page.locator("#import-progress").get_attribute("hx-trigger") is None  # polling stopped
    assert page.locator("[data-testid=percent]").inner_text() == "100%"
    assert not Member.objects.exists()
    with page.expect_navigation():
        page.locator("[data-testid=import-good-rows] button").tap()
    job.refresh_from_db()
    assert job.status == "queued"
    import_run.call(job.pk)
    page.wait_for_function("() => document.querySelector('#import-progress')?.dataset.status === 'done'")
    assert page.locator("[data-testid=result-counts] strong").all_inner_texts() == ["3", "0", "0", "1"]
    route_guard.assert_only_live_server()


def test_the_columns_of_a_file_with_other_headers_are_chosen_on_a_phone(
    phone_page, route_guard, kukar_admin, coop, tmp_path
):
    path = tmp_path / "daftar.csv"
    path.write_text("No Identitas,Anggota\n6402061203900001,Ani Suryani\n", encoding="utf-8")
    page = phone_page
    log_in(page, kukar_admin.phone, PASSWORD)
    page.goto(f"/koperasi/impor/baru/?cooperative={coop.pk}")
    page.locator("main input[type=file]").set_input_files(str(path))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()
    assert page.locator("main details").get_attribute("open") is not None  # the columns are asked for
    assert page.locator("[data-testid=preview-counts]").count() == 0
    screenshot(page, "import-columns")

    page.locator("select[name=nik]").select_option("0")
    page.locator("select[name=full_name]").select_option("1")
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=map]) button[type=submit]").tap()

    assert page.locator("[data-testid=preview-counts] strong").all_inner_texts() == ["1", "0", "0", "0"]
    assert horizontal_overflow(page) <= 0
    route_guard.assert_only_live_server()
