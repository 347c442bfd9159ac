"""Monthly reports: /laporan/ (choose a region and month, the latest reports), a report's page
(ask for it, follow its progress, download the PDF and the Excel workbook)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kopdes.core.errors import DomainError
from kopdes.regions.forms import RegionField

from .facts import this_month
from .models import ReportJob, ReportStatus
from .selectors_dashboard import FIRST_MONTH, dashboard_home_code, parse_month
from .selectors_reports import report_get, report_latest, report_list
from .services_reports import PDF, XLSX, report_filename, report_month, report_region, report_request


def report_url(code: str, month: dt.date) -> str:
    if code:
        return reverse("monitoring:report", args=[code, f"{month:%Y-%m}"])
    return reverse("monitoring:report_nation", args=[f"{month:%Y-%m}"])


class ReportForm(forms.Form):
    wilayah = RegionField(
        label=gettext_lazy("Region"),
        required=False,
        help_text=gettext_lazy("A region you administer. Leave it empty for the whole of Indonesia."),
    )
    bulan = forms.CharField(
        label=gettext_lazy("Month"),
        widget=forms.TextInput(attrs={"type": "month", "pattern": "[0-9]{4}-[0-9]{2}"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bulan"].widget.attrs.update(min=f"{FIRST_MONTH:%Y-%m}", max=f"{this_month():%Y-%m}")

    def clean_bulan(self) -> dt.date:
        try:
            return report_month(parse_month(self.cleaned_data["bulan"]) or this_month())
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from None


@login_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    """Choose a region and a month; the latest reports of the regions the user administers."""
    jobs = report_list(user=request.user)
    if "bulan" in request.GET:
        form = ReportForm(request.GET)
        if form.is_valid():
            region = form.cleaned_data["wilayah"]
            return redirect(report_url(region.code if region else "", form.cleaned_data["bulan"]))
    else:
        home = dashboard_home_code(request.user) or ""
        form = ReportForm(initial={"wilayah": home, "bulan": f"{this_month():%Y-%m}"})
    return render(request, "monitoring/reports/index.html", {"form": form, "jobs": jobs})


def _job_context(job: ReportJob | None) -> dict:
    active = job is not None and job.is_active
    return {
        "job": job,
        "active": active,
        "finished": job is not None and not active,
        "done": job is not None and job.status == ReportStatus.DONE and bool(job.pdf) and bool(job.xlsx),
    }


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, month: str, code: str = "") -> HttpResponse:
    """A region's report of a month: ask for it (POST), follow its progress, download it."""
    region = report_region(code)
    chosen = report_month(parse_month(month) or this_month())
    if request.method == "POST":
        report_request(actor=request.user, code=region.code if region else "", month=chosen)
        return redirect(report_url(region.code if region else "", chosen))
    job = report_latest(user=request.user, region=region, month=chosen)
    context = {
        **_job_context(job),
        "region": region,
        "name": region.name if region else "Indonesia",
        "month": chosen,
        "dashboard_url": (
            reverse("monitoring:dashboard_region", args=[region.code])
            if region
            else reverse("monitoring:dashboard")
        )
        + ("" if chosen == this_month() else f"?bulan={chosen:%Y-%m}"),
    }
    return render(request, "monitoring/reports/detail.html", context)


@never_cache
@login_required
@require_GET
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block alone, polled by htmx every second until the report is made."""
    job = report_get(user=request.user, pk=pk)
    if not getattr(request, "htmx", False):
        return redirect(report_url(job.region_code, job.month))
    return render(request, "monitoring/reports/_progress.html", _job_context(job))


def _download(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    job = report_get(user=request.user, pk=pk)
    file = job.pdf if kind == "pdf" else job.xlsx
    if job.status != ReportStatus.DONE or not file:
        raise Http404(_("This report is not ready."))
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=report_filename(job, kind),
        content_type=PDF if kind == "pdf" else XLSX,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    return _download(request, pk, "pdf")


@login_required
@require_GET
def report_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    return _download(request, pk, "xlsx")
