"""A region's monthly report — formation, products, featured-product targets, sales and the
regions that lag — as a PDF (WeasyPrint) and an Excel workbook (xlsxwriter), made by a task.

The report does not count anything itself: it lays out what `dashboard_get` reads from the
rollups for that region and month (the same figures as the dashboard page and its API), with
the dashboard's own server-side SVG charts. Asking again while a report of the same region and
month is queued or being made returns that one (the database keeps one active job per region
and month); a finished or failed report is made afresh, as the figures may have moved since.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from kopdes.core.audit import audit_record
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.policies import PolicyDenied, require
from kopdes.core.request_context import channel
from kopdes.regions.models import Region

from . import charts
from .facts import this_month
from .models import ACTIVE_REPORT_STATUSES, ReportJob, ReportStatus
from .selectors import check_code
from .selectors_dashboard import FIRST_MONTH, SALES_KEYS, Dashboard, Figure, dashboard_get
from .selectors_reports import REQUEST

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
# A job that has not moved for this long lost its worker (a report takes seconds to make).
STALLED_AFTER = dt.timedelta(minutes=10)
# A job never picked up (the queue was down when it was asked for) is given up after this.
NEVER_STARTED_AFTER = dt.timedelta(hours=1)


# --- What a report holds ---------------------------------------------------------------------


@dataclass
class Section:
    key: str
    title: StrOrPromise
    figures: list[Figure] = field(default_factory=list)


# The dashboard's key figures, grouped into the report's sections (in this order).
SECTION_FIGURES: list[tuple[str, StrOrPromise, tuple[str, ...]]] = [
    (
        "formation",
        gettext_lazy("Formation of cooperatives"),
        ("cooperatives", "legal_entity", "members_active", "units_operating", "villages_covered_percent"),
    ),
    ("products", gettext_lazy("Products"), ("products_ready", "products_curated")),
    ("targets", gettext_lazy("Featured products against target"), ("featured",)),
    ("sales", gettext_lazy("Sales"), tuple(SALES_KEYS)),
]
# The workbook's sheet of each section (a sheet's name holds at most 31 characters).
SHEET_NAMES: dict[str, StrOrPromise] = {
    "formation": gettext_lazy("Formation"),
    "products": gettext_lazy("Products"),
    "targets": gettext_lazy("Targets"),
    "sales": gettext_lazy("Sales"),
    "other": gettext_lazy("Other figures"),
}


def report_sections(dash: Dashboard) -> dict[str, Section]:
    """The dashboard's figures by section; a figure the dashboard adds later lands in "other"."""
    sections = {key: Section(key, title) for key, title, _keys in SECTION_FIGURES}
    sections["other"] = Section("other", gettext_lazy("Other figures"))
    home = {figure_key: key for key, _title, keys in SECTION_FIGURES for figure_key in keys}
    for figure in dash.figures:
        sections[home.get(figure.key, "other")].figures.append(figure)
    return sections


def report_filename(job: ReportJob, extension: str) -> str:
    """laporan-64-02-2026-03.pdf; the nation's: laporan-indonesia-2026-03.pdf."""
    name = (job.region_code or "indonesia").replace(".", "-")
    return f"laporan-{name}-{job.month:%Y-%m}.{extension}"


# --- Asking for a report ---------------------------------------------------------------------


def report_region(code: str) -> Region | None:
    """The region of a code ("" the nation: None); a 400 for a malformed code, a 404 for an unknown one."""
    if not code:
        return None
    normal = check_code(code)
    region = Region.objects.filter(code=normal).only("code", "name", "level", "kind").first()
    if region is None:
        raise NotFound(_("Unknown region code: %(code)s") % {"code": normal}, code="unknown_region")
    return region


def report_month(month: dt.date) -> dt.date:
    """The first day of `month`, if a report can be made for it (the rollups' first month to this one)."""
    month = month.replace(day=1)
    if not FIRST_MONTH <= month <= this_month():
        message = _("Choose a month from %(first)s to this month.") % {"first": f"{FIRST_MONTH:%Y-%m}"}
        raise DomainError(message, code="invalid_month", fields={"month": [message]})
    return month


def reports_reap_stalled(*, now: dt.datetime | None = None) -> int:
    """Mark as failed the reports whose worker died (no progress for 10 minutes) or that were never
    picked up (an hour in the queue), so that asking again makes a new one."""
    now = now or timezone.now()
    stalled = ReportJob.objects.filter(
        status=ReportStatus.RUNNING, heartbeat_at__lt=now - STALLED_AFTER
    ) | ReportJob.objects.filter(status=ReportStatus.QUEUED, created_at__lt=now - NEVER_STARTED_AFTER)
    return stalled.update(
        status=ReportStatus.FAILED,
        message=_("The report stopped unexpectedly (its worker ended). Ask for it again."),
        finished_at=now,
    )


def _active(code: str, month: dt.date) -> ReportJob | None:
    return ReportJob.objects.filter(region_code=code, month=month, status__in=ACTIVE_REPORT_STATUSES).first()


def report_request(*, actor, code: str, month: dt.date) -> ReportJob:
    """Queue the monthly report of a region ("" the nation); one already under way is returned."""
    from .tasks import report_build_task

    region = report_region(code)
    require(actor, REQUEST, region)
    month = report_month(month)
    code = region.code if region else ""
    reports_reap_stalled()
    with transaction.atomic():
        existing = _active(code, month)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                job = ReportJob.objects.create(
                    region_code=code,
                    month=month,
                    requested_by=actor,
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                )
        except IntegrityError:
            # Someone asked for the same report a moment ago: theirs is the one under way.
            existing = _active(code, month)
            if existing is None:  # pragma: no cover  (it ended between the two statements)
                raise
            return existing
        audit_record(
            actor=actor,
            action=REQUEST,
            obj=job,
            region_code=code,
            changes={"region": code, "month": f"{month:%Y-%m}"},
        )
        job_id = job.pk
        logger.info("report %s queued: %s %s", job_id, code or "ID", f"{month:%Y-%m}")
        transaction.on_commit(lambda: report_build_task.enqueue(job_id))
    return job


# --- Making it (the task's body) -------------------------------------------------------------


def _step(job_id: int, progress: int) -> None:
    # Committed at once (the build runs outside any transaction), so the polling page sees it.
    ReportJob.objects.filter(pk=job_id).update(progress=progress, heartbeat_at=timezone.now())


def _fail(job_id: int, message: str) -> None:
    ReportJob.objects.filter(pk=job_id).update(
        status=ReportStatus.FAILED, message=message, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )


def report_build(*, job_id: int) -> ReportJob | None:
    """Make the PDF and the workbook of a queued report, moving its progress from 0 to 100."""
    claimed = ReportJob.objects.filter(pk=job_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING, progress=5, heartbeat_at=timezone.now()
    )
    job = ReportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or not claimed:
        # Gone, or another worker has it (a task delivered twice runs once).
        return job
    with channel("task"), translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            _build(job)
        except PolicyDenied:
            _fail(job.pk, _("The person who asked for this report may no longer see it."))
        except DomainError as exc:
            _fail(job.pk, str(exc.message))
        except Exception as exc:  # the job must end "failed", never stay "being made"
            logger.exception("report %s failed: %s", job_id, type(exc).__name__)
            _fail(job.pk, _("The report could not be made because of an unexpected error. Try again later."))
    job.refresh_from_db()
    return job


def _build(job: ReportJob) -> None:
    region = report_region(job.region_code)
    require(job.requested_by, REQUEST, region)  # still an admin there when the worker gets to it
    dash = dashboard_get(user=job.requested_by, code=job.region_code, month=job.month)
    _step(job.pk, 20)
    made_at = timezone.localtime()
    html = report_html(dash, made_at=made_at)
    _step(job.pk, 30)
    pdf = report_pdf(html, progress=lambda share: _step(job.pk, 30 + int(45 * share)))
    _step(job.pk, 80)
    xlsx = report_workbook(dash, made_at=made_at)
    _step(job.pk, 90)
    job.pdf.save(report_filename(job, "pdf"), ContentFile(pdf), save=False)
    job.xlsx.save(report_filename(job, "xlsx"), ContentFile(xlsx), save=False)
    ReportJob.objects.filter(pk=job.pk).update(
        pdf=job.pdf.name,
        xlsx=job.xlsx.name,
        status=ReportStatus.DONE,
        progress=100,
        message="",
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    logger.info("report %s made: %s bytes of PDF, %s of Excel", job.pk, len(pdf), len(xlsx))


# --- The PDF ---------------------------------------------------------------------------------


def report_context(dash: Dashboard, *, made_at: dt.datetime) -> dict:
    sections = report_sections(dash)
    return {
        "dash": dash,
        "sections": sections,
        "made_at": made_at,
        "month_label": date_format(dash.month, "F Y"),
        "previous_label": date_format(dash.previous_month, "F Y"),
        "sales_chart": charts.sales_chart(
            [(p.month, p.gmv_paid, p.orders_created) for p in dash.series],
            title=_("Sales paid and orders placed, last 12 months"),
            money_label=_("Rp paid (bars)"),
            count_label=_("orders (line)"),
        )
        if dash.series
        else "",
        "funnel_chart": charts.funnel_chart(
            [(str(step.label), step.reached) for step in dash.funnel], title=_("Formation funnel")
        ),
        "featured": dash.figure("featured"),
    }


def report_html(dash: Dashboard, *, made_at: dt.datetime) -> str:
    """The report as one HTML page for print (A4), with its charts inline: nothing to fetch."""
    return render_to_string("monitoring/reports/report.html", report_context(dash, made_at=made_at))


def report_pdf(html: str, *, progress=None) -> bytes:
    """Lay the HTML out on A4 pages and write the PDF (tagged, for screen readers)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Only data: URLs may be fetched: a report never reaches the network or the disk.
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).render(pdf_tags=True)
    if progress is not None:
        progress(0.7)  # the layout is most of the work; writing the file is the rest
    return document.write_pdf(pdf_tags=True)


# --- The workbook ----------------------------------------------------------------------------


def _sheet_name(title: StrOrPromise) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31]


def report_workbook(dash: Dashboard, *, made_at: dt.datetime) -> bytes:
    """The report as a workbook, one sheet per section: the summary, formation (with the funnel),
    products, targets (with the board), sales (with the months), what lags, and the regions below.

    Names are written with `write_string`, so a region or cooperative typed as "=…" stays text.
    """
    import xlsxwriter

    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title_format = book.add_format({"bold": True, "font_size": 14})
    number = book.add_format({"num_format": "#,##0"})
    percent = book.add_format({"num_format": "0.00%"})
    month_format = book.add_format({"num_format": "yyyy-mm"})
    sections = report_sections(dash)

    def value(ws, row: int, column: int, amount, unit: str = "count") -> None:
        if amount is None:
            ws.write_blank(row, column, None)
        elif unit == "percent":
            ws.write_number(row, column, amount / 100, percent)
        else:
            ws.write_number(row, column, amount, number)

    def figures_table(ws, row: int, figures: list[Figure]) -> int:
        """The figures from `row` on, under a header; returns the next free row."""
        header = [
            _("Figure"),
            _("Unit"),
            f"{dash.month:%Y-%m}",
            f"{dash.previous_month:%Y-%m}",
            _("Change"),
            _("Target"),
        ]
        ws.write_row(row, 0, header, bold)
        units = {"rupiah": "Rp", "percent": "%", "count": ""}
        for figure in figures:
            row += 1
            ws.write_string(row, 0, str(figure.label))
            ws.write_string(row, 1, units.get(figure.unit, ""))
            value(ws, row, 2, figure.value, figure.unit)
            value(ws, row, 3, figure.previous, figure.unit)
            value(ws, row, 4, figure.change, figure.unit)
            value(ws, row, 5, figure.target)
        return row + 2

    def sheet(title: StrOrPromise, widths: list[int]):
        ws = book.add_worksheet(_sheet_name(title))
        for column, width in enumerate(widths):
            ws.set_column(column, column, width)
        return ws

    widths = [36, 8, 16, 16, 14, 10]

    # The summary: what, where, when, and every key figure.
    ws = sheet(_("Summary"), widths)
    ws.write_string(0, 0, _("Monthly report: %(region)s") % {"region": dash.name}, title_format)
    facts = [
        (_("Region"), dash.name),
        (_("Region code"), dash.code or "—"),
        (_("Month"), f"{dash.month:%Y-%m}"),
        (_("Made at"), f"{made_at:%Y-%m-%d %H:%M}"),
    ]
    for row, (label, text) in enumerate(facts, start=2):
        ws.write_string(row, 0, str(label), bold)
        ws.write_string(row, 2, text)
    figures_table(ws, len(facts) + 3, dash.figures)

    ws = sheet(SHEET_NAMES["formation"], widths)
    row = figures_table(ws, 0, sections["formation"].figures)
    ws.write_row(row, 0, [_("Stage"), "", _("At this stage"), _("Reached")], bold)
    for step in dash.funnel:
        row += 1
        ws.write_string(row, 0, str(step.label))
        value(ws, row, 2, step.at_stage)
        value(ws, row, 3, step.reached)

    ws = sheet(SHEET_NAMES["products"], widths)
    figures_table(ws, 0, sections["products"].figures)

    ws = sheet(SHEET_NAMES["targets"], widths)
    row = figures_table(ws, 0, sections["targets"].figures)
    if dash.board:
        first = _("Month") if dash.board_kind == "months" else _("Region")
        ws.write_row(row, 0, [first, _("Code"), _("Featured"), _("Target"), _("Target met")], bold)
        for line in dash.board:
            row += 1
            ws.write_string(row, 0, line.label)
            ws.write_string(row, 1, line.code)
            value(ws, row, 2, line.featured)
            value(ws, row, 3, line.target)
            ws.write_string(row, 4, _("yes") if line.achieved else _("no"))
    else:
        ws.write_string(row, 0, _("Featured-product targets are set per regency."))

    ws = sheet(SHEET_NAMES["sales"], widths)
    row = figures_table(ws, 0, sections["sales"].figures)
    if dash.series:
        ws.write_row(row, 0, [_("Month"), "", _("Sales paid (GMV)"), _("Orders placed")], bold)
        for point in dash.series:
            row += 1
            ws.write_datetime(row, 0, dt.datetime.combine(point.month, dt.time()), month_format)
            value(ws, row, 2, point.gmv_paid)
            value(ws, row, 3, point.orders_created)
    elif not dash.sales_visible:
        ws.write_string(row, 0, _("The cooperative's own sales are not shown to you."))

    if sections["other"].figures:
        figures_table(sheet(SHEET_NAMES["other"], widths), 0, sections["other"].figures)

    if dash.children:
        lag = dash.lagging
        ws = sheet(_("What lags"), [36, 16, 14, 14, 14])
        row = 0
        ws.write_row(row, 0, [_("Lowest coverage"), _("Code"), _("Covered (%)")], bold)
        for child in lag.coverage:
            row += 1
            ws.write_string(row, 0, child.name)
            ws.write_string(row, 1, child.code)
            value(ws, row, 2, child.percent, "percent")
        if dash.level <= 1:
            row += 2
            ws.write_row(
                row,
                0,
                [_("Furthest behind the featured target"), _("Code"), _("Featured"), _("Target")],
                bold,
            )
            for child in lag.featured:
                row += 1
                ws.write_string(row, 0, child.name)
                ws.write_string(row, 1, child.code)
                value(ws, row, 2, child.featured)
                value(ws, row, 3, child.target)
        row += 2
        quiet = (
            _("Cooperatives with no sale yet")
            if lag.no_sales_basis == "ever"
            else _("No sales paid this month")
        )
        ws.write_row(row, 0, [f"{quiet} ({lag.no_sales_count})", _("Code"), _("Cooperatives")], bold)
        for child in lag.no_sales:
            row += 1
            ws.write_string(row, 0, child.name)
            ws.write_string(row, 1, child.code)
            value(ws, row, 2, child.cooperatives)

        header = [
            _("Code"),
            _("Region"),
            _("Villages"),
            _("With a cooperative"),
            _("Covered (%)"),
            _("Cooperatives"),
            _("Featured"),
            _("Target"),
            _("Orders placed"),
            _("Sales paid (GMV)"),
            _("Sold to date"),
        ]
        ws = sheet(_("Regions"), [16, 32, 10, 12, 12, 12, 10, 10, 12, 16, 16])
        ws.write_row(0, 0, header, bold)
        ws.freeze_panes(1, 2)
        for row, child in enumerate(dash.children, start=1):
            ws.write_string(row, 0, child.code)
            ws.write_string(row, 1, child.name)
            value(ws, row, 2, child.villages)
            value(ws, row, 3, child.covered)
            value(ws, row, 4, child.percent, "percent")
            value(ws, row, 5, child.cooperatives)
            value(ws, row, 6, child.featured)
            value(ws, row, 7, child.target)
            value(ws, row, 8, child.orders_created)
            value(ws, row, 9, child.gmv_paid)
            value(ws, row, 10, child.gmv_sold)
    book.close()
    return out.getvalue()


def reports_reap_old(*, now: dt.datetime | None = None, keep_days: int | None = None) -> int:
    """Remove the reports that ended (made or failed) more than `keep_days` days ago
    (KOPDES_REPORT_KEEP_DAYS, 90 by default), their files with them: any report can be made again
    from the rollups, and a server keeps no file forever. Run daily by `manage.py reap_reports`.
    The rows go in one transaction (with an audit event); the files after it commits, so that no
    report row is ever left pointing at a missing file. Returns the reports removed."""
    now = now or timezone.now()
    days = settings.KOPDES_REPORT_KEEP_DAYS if keep_days is None else keep_days
    if days < 0:  # a negative age would reach into the future and remove every finished report
        message = _("The number of days to keep reports cannot be negative.")
        raise DomainError(message, code="invalid_keep_days", fields={"keep_days": [message]})
    with transaction.atomic():
        old = list(
            ReportJob.objects.filter(
                status__in=[ReportStatus.DONE, ReportStatus.FAILED],
                finished_at__lt=now - dt.timedelta(days=days),
            ).values_list("pk", "pdf", "xlsx")
        )
        if not old:
            return 0
        ReportJob.objects.filter(pk__in=[pk for pk, _pdf, _xlsx in old]).delete()
        audit_record(
            actor=None,
            action="monitoring.reports.reap",
            object_type=ReportJob._meta.label_lower,
            changes={"removed": len(old), "older_than_days": days},
        )
        names = [name for _pk, *files in old for name in files if name]
        transaction.on_commit(lambda: _delete_files(names))
    return len(old)


def _delete_files(names: list[str]) -> None:
    storage = ReportJob._meta.get_field("pdf").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError as exc:  # already gone, or the storage refuses: the row is gone either way
            logger.warning("report file %s not deleted: %s", name, type(exc).__name__)
