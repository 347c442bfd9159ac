"""Monthly reports: made by a task from the dashboard's figures as a real PDF and a workbook that
holds those figures; progress to 100; failures said; one job per region and month under way;
only admins of the region and above."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from io import BytesIO, StringIO

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from openpyxl import load_workbook

from kopdes.accounts.choices import Role
from kopdes.accounts.models import RoleAssignment
from kopdes.accounts.services import role_revoke
from kopdes.accounts.tests.factories import person
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.policies import PolicyDenied
from kopdes.market.tests.factories import JAHAB
from kopdes.monitoring import services_reports
from kopdes.monitoring.facts import this_month
from kopdes.monitoring.models import ReportJob, ReportStatus
from kopdes.monitoring.selectors_dashboard import add_months, dashboard_get
from kopdes.monitoring.services_reports import (
    report_build,
    report_html,
    report_request,
    report_workbook,
)
from kopdes.monitoring.tasks import report_build_task

from . import test_dashboard_figures as data

pytestmark = pytest.mark.django_db
market = data.market  # the fixture: two cooperatives selling, one order paid, one featured product

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def immediate(settings, media):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def queued_only(settings, media):
    """Tasks are queued but not run: a job stays "queued" until the test runs it."""
    settings.TASKS = DUMMY


@pytest.fixture(autouse=True)
def english():
    # Messages and sheet names are read in English here (the Indonesian catalogue may change).
    with translation.override("en"):
        yield


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """Ask for a report as a web request would, running what is queued when it commits."""

    def run(actor, code: str, month: dt.date | None = None) -> ReportJob:
        with django_capture_on_commit_callbacks(execute=True):
            job = report_request(actor=actor, code=code, month=month or this_month())
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


def pdf_pages(pdf: bytes) -> int:
    """The page count of a PDF, read from its page tree (inside compressed object streams too)."""
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    counts = [int(n) for chunk in chunks for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", chunk)]
    counts += [
        int(n) for chunk in chunks for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", chunk)
    ]
    return max(counts, default=0)


def sheet_figures(sheet) -> dict[str, tuple]:
    """Rows of a figures table: label -> (value, previous, change, target)."""
    found = {}
    for row in sheet.iter_rows(values_only=True):
        if row and isinstance(row[0], str) and len(row) >= 6 and row[0] != "Figure":
            found[row[0]] = tuple(row[2:6])
    return found


def expected(figure) -> tuple:
    scale = 100 if figure.unit == "percent" else 1

    def at(value):
        return None if value is None else pytest.approx(value / scale)

    return (at(figure.value), at(figure.previous), at(figure.change), figure.target)


# --- The report ------------------------------------------------------------------------------


def test_a_regency_admin_gets_a_pdf_and_a_workbook_with_the_dashboards_figures(
    ask, immediate, market, kukar_admin
):
    job = ask(kukar_admin, "64.02", this_month())

    job.refresh_from_db()
    assert (job.status, job.progress, job.message) == (ReportStatus.DONE, 100, "")
    assert job.finished_at is not None
    pdf = job.pdf.read()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf_pages(pdf) >= 2 and len(pdf) > 10_000
    assert job.pdf.name.endswith(f"laporan-64-02-{this_month():%Y-%m}.pdf")

    book = load_workbook(BytesIO(job.xlsx.read()))
    dash = dashboard_get(user=kukar_admin, code="64.02", month=this_month())
    summary = sheet_figures(book.worksheets[0])
    assert {str(f.label): expected(f) for f in dash.figures} == {
        str(f.label): summary[str(f.label)] for f in dash.figures
    }
    assert summary[str(dash.figure("gmv_paid").label)][0] == market["paid"].total
    assert summary[str(dash.figure("featured").label)][3] == 2  # the regency's monthly target


def test_the_workbook_has_a_sheet_per_section_with_its_tables(market):
    dash = dashboard_get(user=None, code="64", month=this_month())

    book = load_workbook(BytesIO(report_workbook(dash, made_at=timezone.localtime())))

    assert book.sheetnames == [
        "Summary",
        "Formation",
        "Products",
        "Targets",
        "Sales",
        "What lags",
        "Regions",
    ]
    formation = list(book["Formation"].iter_rows(values_only=True))
    funnel = [row for row in formation if row[0] in {str(s.label) for s in dash.funnel}]
    assert [(row[2], row[3]) for row in funnel] == [(s.at_stage, s.reached) for s in dash.funnel]
    sales = sheet_figures(book["Sales"])
    assert sales[str(dash.figure("orders_created").label)][0] == 2
    months = [row for row in book["Sales"].iter_rows(values_only=True) if isinstance(row[0], dt.datetime)]
    assert [(row[0].date(), row[2], row[3]) for row in months] == [
        (p.month, p.gmv_paid, p.orders_created) for p in dash.series
    ]
    board = {row[1]: row[2:4] for row in book["Targets"].iter_rows(values_only=True)}
    assert board["64.02"] == (1, 2)
    regions = {row[0]: row for row in book["Regions"].iter_rows(min_row=2, values_only=True)}
    assert set(regions) == {child.code for child in dash.children}
    assert regions["64.02"][9] == market["paid"].total


def test_the_pdf_is_made_from_a4_html_with_the_dashboards_charts_and_tables(market):
    dash = dashboard_get(user=None, code="64.02", month=this_month())

    html = report_html(dash, made_at=timezone.localtime())

    assert "size: A4" in html and html.count('class="chart"') == 2  # the funnel and the sales chart
    assert "<script" not in html and "http" not in html.split("</style>")[0]  # nothing to fetch
    for figure in dash.figures:
        assert f'data-key="{figure.key}"' in html and figure.value_text in html
    assert f"Monthly report: {dash.name}" in html


def test_a_village_report_has_its_cooperatives_sales_for_an_admin_of_its_region(
    ask, immediate, market, kukar_admin
):
    job = ask(kukar_admin, JAHAB, this_month())

    job.refresh_from_db()
    assert job.status == ReportStatus.DONE
    summary = sheet_figures(load_workbook(BytesIO(job.xlsx.read())).worksheets[0])
    assert summary["Sales paid (GMV)"][0] == market["paid"].total


def test_the_national_admin_gets_the_nations_report_of_a_past_month(ask, immediate, market):
    minister = person(Role.ADMIN_NATIONAL)
    previous = add_months(this_month(), -1)

    job = ask(minister, "", previous)

    job.refresh_from_db()
    assert (job.region_code, job.month, job.status) == ("", previous, ReportStatus.DONE)
    assert job.pdf.name.endswith(f"laporan-indonesia-{previous:%Y-%m}.pdf")
    assert pdf_pages(job.pdf.read()) >= 2


# --- The task: progress, failures, one job at a time -----------------------------------------


def test_progress_moves_forward_to_100(ask, queued_only, market, kukar_admin, monkeypatch):
    job = ask(kukar_admin, "64.02", this_month())
    assert (job.status, job.progress) == (ReportStatus.QUEUED, 0)
    seen: list[int] = []
    step = services_reports._step

    def spy(job_id: int, progress: int) -> None:
        step(job_id, progress)
        seen.append(ReportJob.objects.get(pk=job_id).progress)

    monkeypatch.setattr(services_reports, "_step", spy)

    result = report_build_task.call(job.pk)

    assert result == {"job": job.pk, "status": "done", "progress": 100}
    assert seen == sorted(seen) and len(seen) >= 4 and seen[0] > 0 and seen[-1] < 100
    job.refresh_from_db()
    assert job.progress == 100 and job.heartbeat_at is not None


def test_a_failure_marks_the_job_failed_with_a_message_and_a_new_request_starts_afresh(
    ask, immediate, market, kukar_admin, monkeypatch
):
    def broken(html, *, progress=None):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(services_reports, "report_pdf", broken)

    job = ask(kukar_admin, "64.02", this_month())

    job.refresh_from_db()
    assert job.status == ReportStatus.FAILED and job.finished_at is not None
    assert job.message == "The report could not be made because of an unexpected error. Try again later."
    assert not job.pdf and not job.xlsx
    monkeypatch.undo()
    again = ask(kukar_admin, "64.02", this_month())
    assert again.pk != job.pk
    again.refresh_from_db()
    assert again.status == ReportStatus.DONE


def test_asking_again_while_one_is_under_way_returns_it(ask, queued_only, market, kukar_admin):
    province_admin = person(Role.ADMIN_PROVINCE, region="64", scope="64")
    first = ask(kukar_admin, "64.02", this_month())

    second = ask(province_admin, "64.02", this_month())
    ReportJob.objects.filter(pk=first.pk).update(status=ReportStatus.RUNNING, heartbeat_at=timezone.now())
    third = ask(kukar_admin, "64.02", this_month())

    assert first.pk == second.pk == third.pk
    assert ReportJob.objects.count() == 1
    # Another month, another region: reports of their own.
    other = ask(kukar_admin, "64.02", add_months(this_month(), -1))
    district = ask(kukar_admin, "64.02.06", this_month())
    assert len({first.pk, other.pk, district.pk}) == 3


def test_a_request_that_races_another_gets_the_winners_job(queued_only, market, kukar_admin, monkeypatch):
    winner = report_request(actor=kukar_admin, code="64.02", month=this_month())
    looks: list[str] = []
    active = services_reports._active

    def not_yet_seen(code, month):
        # The racing request looked before the winner committed: it saw nothing under way.
        looks.append(code)
        return None if len(looks) == 1 else active(code, month)

    monkeypatch.setattr(services_reports, "_active", not_yet_seen)

    loser = report_request(actor=kukar_admin, code="64.02", month=this_month())

    assert loser.pk == winner.pk and len(looks) == 2
    assert ReportJob.objects.count() == 1


def test_a_report_finished_is_made_again_when_asked_again(ask, immediate, market, kukar_admin):
    first = ask(kukar_admin, "64.02", this_month())
    second = ask(kukar_admin, "64.02", this_month())

    assert first.pk != second.pk
    assert set(ReportJob.objects.values_list("status", flat=True)) == {ReportStatus.DONE}


def test_the_database_holds_one_active_job_per_region_and_month(market, kukar_admin):
    ReportJob.objects.create(region_code="64.02", month=this_month(), requested_by=kukar_admin)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReportJob.objects.create(
            region_code="64.02", month=this_month(), requested_by=kukar_admin, status=ReportStatus.RUNNING
        )
    ReportJob.objects.create(
        region_code="64.02", month=this_month(), requested_by=kukar_admin, status=ReportStatus.DONE
    )


def test_a_report_whose_worker_died_is_failed_and_asked_for_anew(ask, queued_only, market, kukar_admin):
    stuck = ask(kukar_admin, "64.02", this_month())
    ReportJob.objects.filter(pk=stuck.pk).update(
        status=ReportStatus.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(minutes=11)
    )

    fresh = ask(kukar_admin, "64.02", this_month())

    stuck.refresh_from_db()
    assert stuck.status == ReportStatus.FAILED and "Ask for it again" in stuck.message
    assert fresh.pk != stuck.pk and fresh.status == ReportStatus.QUEUED


def test_a_task_delivered_twice_makes_the_report_once(ask, queued_only, market, kukar_admin):
    job = ask(kukar_admin, "64.02", this_month())
    report_build(job_id=job.pk)
    made = ReportJob.objects.get(pk=job.pk).pdf.name

    assert report_build(job_id=job.pk).pdf.name == made
    assert report_build(job_id=10**9) is None


def test_a_requester_no_longer_admin_when_the_worker_starts_gets_a_failed_report(
    ask, queued_only, market, kukar_admin
):
    job = ask(kukar_admin, "64.02", this_month())
    role_revoke(actor=None, assignment=RoleAssignment.objects.get(user=kukar_admin))

    report_build_task.call(job.pk)

    job.refresh_from_db()
    assert job.status == ReportStatus.FAILED
    assert job.message == "The person who asked for this report may no longer see it."


# --- Who may ask -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "scope", "code"),
    [
        (Role.ADMIN_REGENCY, "64.02", "64.02"),
        (Role.ADMIN_REGENCY, "64.02", "64.02.06"),  # a district of their regency
        (Role.ADMIN_PROVINCE, "64", "64.02"),  # a regency of their province
        (Role.ADMIN_NATIONAL, None, "64.02"),
        (Role.ADMIN_NATIONAL, None, ""),  # the nation
    ],
)
def test_admins_of_the_region_and_above_may_ask(queued_only, regions, role, scope, code):
    admin = person(role, region=scope, scope=scope)

    assert report_request(actor=admin, code=code, month=this_month()).status == ReportStatus.QUEUED


@pytest.mark.parametrize(
    ("role", "scope", "code"),
    [
        (None, None, "64.02"),  # signed up, no role
        (Role.BUYER, None, "64.02"),
        (Role.ADMIN_REGENCY, "53.07", "64.02"),  # another regency
        (Role.ADMIN_PROVINCE, "53", "64.02"),  # another province
        (Role.ADMIN_REGENCY, "64.02", "64"),  # above their regency
        (Role.ADMIN_PROVINCE, "64", ""),  # the nation
        (Role.MENTOR, "64.02", "64.02"),
        (Role.VILLAGE_HEAD, JAHAB, JAHAB),
    ],
)
def test_others_are_refused(queued_only, regions, role, scope, code):
    user = person(role, region=scope, scope=scope)

    with pytest.raises(PolicyDenied):
        report_request(actor=user, code=code, month=this_month())
    assert not ReportJob.objects.exists()


def test_a_signed_out_visitor_is_refused(queued_only, regions):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PolicyDenied):
        report_request(actor=AnonymousUser(), code="64.02", month=this_month())


def test_a_month_not_begun_or_before_the_rollups_and_unknown_regions_are_clear_errors(
    queued_only, kukar_admin
):
    with pytest.raises(DomainError) as future:
        report_request(actor=kukar_admin, code="64.02", month=add_months(this_month(), 1))
    with pytest.raises(DomainError):
        report_request(actor=kukar_admin, code="64.02", month=dt.date(2019, 12, 1))
    with pytest.raises(NotFound):
        report_request(actor=kukar_admin, code="64.99", month=this_month())
    with pytest.raises(DomainError):
        report_request(actor=kukar_admin, code="not-a-code", month=this_month())

    assert future.value.code == "invalid_month" and not ReportJob.objects.exists()


def _ended(kukar_admin, status, days_ago, *, files=True):
    from django.core.files.base import ContentFile

    ended = timezone.now() - dt.timedelta(days=days_ago)
    job = ReportJob.objects.create(
        region_code="64.02",
        month=this_month(),
        requested_by=kukar_admin,
        status=status,
        progress=100,
        finished_at=ended if status != ReportStatus.RUNNING else None,
        heartbeat_at=ended,
    )
    if files:
        job.pdf.save(f"laporan-{job.pk}.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
        job.xlsx.save(f"laporan-{job.pk}.xlsx", ContentFile(b"PK test"), save=False)
        ReportJob.objects.filter(pk=job.pk).update(pdf=job.pdf.name, xlsx=job.xlsx.name)
    return job


def test_old_reports_go_with_their_files_and_recent_or_unfinished_ones_stay(
    media, kukar_admin, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from kopdes.core.models import AuditEvent

    old_done = _ended(kukar_admin, ReportStatus.DONE, 91)
    old_failed = _ended(kukar_admin, ReportStatus.FAILED, 200, files=False)
    recent = _ended(kukar_admin, ReportStatus.DONE, 89)
    running = _ended(kukar_admin, ReportStatus.RUNNING, 400, files=False)
    old_files = [media / old_done.pdf.name, media / old_done.xlsx.name]
    assert all(path.exists() for path in old_files)

    with django_capture_on_commit_callbacks(execute=True):
        out = StringIO()
        call_command("reap_reports", stdout=out)

    assert out.getvalue().strip() == "reports removed: 2"
    assert set(ReportJob.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    assert not any(path.exists() for path in old_files)
    assert (media / recent.pdf.name).exists() and (media / recent.xlsx.name).exists()
    event = AuditEvent.objects.get(action="monitoring.reports.reap")
    assert event.changes == {"removed": 2, "older_than_days": 90}
    assert old_failed.pk not in set(ReportJob.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        assert services_reports.reports_reap_old() == 0  # nothing more to remove, nothing audited
    assert AuditEvent.objects.filter(action="monitoring.reports.reap").count() == 1


def test_a_negative_age_is_refused_and_removes_nothing(media, kukar_admin):
    from django.core.management import CommandError, call_command
    from django.utils import translation

    from kopdes.core.errors import DomainError

    recent = _ended(kukar_admin, ReportStatus.DONE, 1)
    with pytest.raises(DomainError) as refused:
        services_reports.reports_reap_old(keep_days=-1)
    assert refused.value.code == "invalid_keep_days"
    with translation.override("id"), pytest.raises(CommandError, match="tidak boleh negatif"):
        call_command("reap_reports", "--days", "-5")
    assert ReportJob.objects.filter(pk=recent.pk).exists()
    assert (media / recent.pdf.name).exists()


def test_a_failed_reap_leaves_rows_and_files_as_they_were(media, kukar_admin, monkeypatch):
    old = _ended(kukar_admin, ReportStatus.DONE, 120)

    def refuse(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services_reports, "audit_record", refuse)
    with pytest.raises(RuntimeError):
        services_reports.reports_reap_old()
    assert ReportJob.objects.filter(pk=old.pk).exists()
    assert (media / old.pdf.name).exists()
