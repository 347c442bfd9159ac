"""The report pages: choose a region and month, ask for the report, follow its progress (htmx),
download the PDF and the workbook; refused to everyone but the admins of the region and above;
queries pinned."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.monitoring.facts import this_month
from kopdes.monitoring.models import ReportJob, ReportStatus
from kopdes.monitoring.selectors_dashboard import add_months

from . import test_dashboard_figures as data
from .test_reports_services import DUMMY, IMMEDIATE, pdf_pages

pytestmark = pytest.mark.django_db
market = data.market  # the fixture: two cooperatives selling, one order paid, one featured product
MONTH = f"{this_month():%Y-%m}"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


def report_page(code: str = "64.02", month: str = MONTH) -> str:
    if not code:
        return reverse("monitoring:report_nation", args=[month])
    return reverse("monitoring:report", args=[code, month])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_an_admin_asks_for_the_report_and_downloads_the_pdf_and_the_workbook(
    client, settings, media, market, kukar_admin, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    client.force_login(kukar_admin)
    page = client.get(report_page())
    assert page.status_code == 200 and b'data-testid="make-report"' in page.content
    assert b"report-progress" not in page.content

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(report_page())

    assert asked.status_code == 302 and asked["Location"] == report_page()
    page = client.get(report_page()).content.decode()
    job = ReportJob.objects.get()
    assert 'data-status="done"' in page and "hx-trigger" not in page and ">100%<" in page
    pdf = client.get(reverse("monitoring:report_pdf", args=[job.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f'filename="laporan-64-02-{MONTH}.pdf"' in pdf["Content-Disposition"]
    assert pdf["Cache-Control"] == "private, no-store"
    content = body(pdf)
    assert content.startswith(b"%PDF-") and pdf_pages(content) >= 2
    xlsx = client.get(reverse("monitoring:report_xlsx", args=[job.pk]))
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    book = load_workbook(BytesIO(body(xlsx)))
    assert book.sheetnames[0] == "Summary" and "Sales" in book.sheetnames


def test_the_progress_block_polls_while_the_report_is_made_and_stops_when_it_is_ready(
    client, settings, media, market, kukar_admin, django_capture_on_commit_callbacks
):
    from kopdes.monitoring.tasks import report_build_task

    settings.TASKS = DUMMY
    client.force_login(kukar_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(report_page())
    job = ReportJob.objects.get()
    progress = reverse("monitoring:report_progress", args=[job.pk])

    waiting = client.get(progress, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="queued"' in waiting and 'hx-trigger="every 1s"' in waiting
    assert f'hx-get="{progress}"' in waiting and "download-pdf" not in waiting
    page = client.get(report_page()).content.decode()
    assert 'id="report-progress"' in page and "make-report" not in page  # no second request while it runs
    report_build_task.call(job.pk)
    done = client.get(progress, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in done and "hx-trigger" not in done
    assert 'value="100"' in done and reverse("monitoring:report_pdf", args=[job.pk]) in done
    # Outside htmx the address leads to the report's page.
    assert client.get(progress)["Location"] == report_page()


def test_asking_twice_while_it_is_made_keeps_one_job(client, settings, media, market, kukar_admin):
    settings.TASKS = DUMMY
    client.force_login(kukar_admin)

    client.post(report_page())
    client.post(report_page())

    assert ReportJob.objects.count() == 1


def test_a_failed_report_says_why_and_may_be_asked_for_again(client, media, market, kukar_admin):
    job = ReportJob.objects.create(
        region_code="64.02",
        month=this_month(),
        requested_by=kukar_admin,
        status=ReportStatus.FAILED,
        message="The report could not be made because of an unexpected error. Try again later.",
    )
    client.force_login(kukar_admin)

    page = client.get(report_page()).content.decode()

    assert 'data-status="failed"' in page and "unexpected error" in page
    assert "make-report" in page and "download-pdf" not in page
    assert client.get(reverse("monitoring:report_pdf", args=[job.pk])).status_code == 404


def test_the_reports_page_offers_the_form_and_the_latest_reports_of_the_admins_regions(
    client, market, kukar_admin
):
    mine = ReportJob.objects.create(
        region_code="64.02.06", month=this_month(), requested_by=kukar_admin, status=ReportStatus.DONE
    )
    ReportJob.objects.create(region_code="53.07", month=this_month(), requested_by=kukar_admin)
    client.force_login(kukar_admin)

    page = client.get(reverse("monitoring:reports"))

    assert page.status_code == 200
    assert [job.pk for job in page.context["jobs"]] == [mine.pk]  # Sikka is not theirs
    html = page.content.decode()
    assert f'href="{report_page("64.02.06")}"' in html and "Tenggarong" in html
    assert 'name="wilayah__2"' in html and 'type="month"' in html
    chosen = client.get(
        reverse("monitoring:reports"), {"wilayah__1": "64", "wilayah__2": "64.02", "bulan": MONTH}
    )
    assert chosen.status_code == 302 and chosen["Location"] == report_page("64.02")
    earlier = f"{add_months(this_month(), -2):%Y-%m}"
    nation = client.get(reverse("monitoring:reports"), {"bulan": earlier})
    assert nation["Location"] == report_page("", earlier)  # refused there: the nation is not theirs
    future = client.get(reverse("monitoring:reports"), {"bulan": f"{add_months(this_month(), 1):%Y-%m}"})
    assert future.status_code == 200 and future.context["form"].errors["bulan"]


def test_the_national_admin_opens_the_nations_report(client, regions):
    client.force_login(person(Role.ADMIN_NATIONAL))

    page = client.get(report_page(""))

    assert page.status_code == 200 and "Indonesia" in page.content.decode()


# --- Refused -----------------------------------------------------------------------------------


@pytest.fixture
def kukar_job(media, market, kukar_admin):
    return ReportJob.objects.create(
        region_code="64.02", month=this_month(), requested_by=kukar_admin, status=ReportStatus.DONE
    )


def refused_urls(job) -> list[str]:
    return [
        report_page(),
        reverse("monitoring:report_progress", args=[job.pk]),
        reverse("monitoring:report_pdf", args=[job.pk]),
        reverse("monitoring:report_xlsx", args=[job.pk]),
    ]


def test_signed_out_visitors_are_sent_to_log_in(client, kukar_job):
    for url in [reverse("monitoring:reports"), *refused_urls(kukar_job)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert client.post(report_page()).status_code == 302
    assert ReportJob.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.BUYER, None),
        (Role.ADMIN_REGENCY, "53.07"),  # another regency
        (Role.ADMIN_PROVINCE, "53"),  # another province
        (Role.MENTOR, "64.02"),  # works in the regency, is no admin
    ],
)
def test_others_may_neither_ask_nor_follow_nor_download(client, settings, kukar_job, role, scope):
    settings.TASKS = DUMMY
    client.force_login(person(role, region=scope, scope=scope))

    for url in refused_urls(kukar_job):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 403, url
    assert client.post(report_page()).status_code == 403
    assert ReportJob.objects.count() == 1


def test_the_reports_page_is_for_admins(client, regions):
    client.force_login(person(Role.BUYER))

    assert client.get(reverse("monitoring:reports")).status_code == 403


def test_a_regency_admin_may_not_open_the_provinces_or_the_nations_report(client, kukar_admin):
    client.force_login(kukar_admin)

    assert client.get(report_page("64")).status_code == 403
    assert client.get(report_page("")).status_code == 403


def test_a_province_admin_follows_and_downloads_their_regencys_report(client, kukar_job):
    client.force_login(person(Role.ADMIN_PROVINCE, region="64", scope="64"))
    kukar_job.pdf.save("laporan.pdf", ContentFile(b"%PDF-1.7"))

    assert client.get(reverse("monitoring:report_pdf", args=[kukar_job.pk])).status_code == 200


def test_bad_addresses_are_clear_errors(client, kukar_admin):
    client.force_login(kukar_admin)

    assert client.get(report_page("64.02", "2026-13")).status_code == 400
    assert client.get(report_page("64.02", "maret")).status_code == 400
    assert client.get(report_page("64.02", f"{add_months(this_month(), 1):%Y-%m}")).status_code == 400
    assert client.get(report_page("64.99")).status_code == 404
    assert client.get(reverse("monitoring:report_pdf", args=[10**9])).status_code == 404


# --- Queries -----------------------------------------------------------------------------------


def test_the_report_pages_run_a_handful_of_queries_however_many_reports_there_are(
    client, kukar_job, django_assert_max_num_queries
):
    client.force_login(kukar_job.requested_by)
    client.get(reverse("monitoring:reports"))  # the session is loaded once
    for month in range(1, 12):
        ReportJob.objects.create(
            region_code="64.02",
            month=add_months(this_month(), -month),
            requested_by=kukar_job.requested_by,
            status=ReportStatus.DONE,
        )

    with django_assert_max_num_queries(5):
        assert client.get(reverse("monitoring:reports")).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(report_page()).status_code == 200
    with django_assert_max_num_queries(3):
        progress = reverse("monitoring:report_progress", args=[kukar_job.pk])
        assert client.get(progress, HTTP_HX_REQUEST="true").status_code == 200
