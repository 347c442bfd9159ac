"""The dashboards: /dasbor/ (the nation) and /dasbor/<code>/ (a province … a village)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import charts
from .exports import XLSX, dashboard_workbook
from .selectors_dashboard import (
    FIRST_MONTH,
    Dashboard,
    add_months,
    dashboard_get,
    dashboard_home_code,
    parse_month,
)


def _with_month(url: str, data: Dashboard, month=None) -> str:
    month = month or data.month
    return url if month == data.current_month else f"{url}?bulan={month:%Y-%m}"


def dashboard_url(code: str) -> str:
    return reverse("monitoring:dashboard_region", args=[code]) if code else reverse("monitoring:dashboard")


@require_GET
def dashboard(request: HttpRequest, code: str = "") -> HttpResponse:
    """A region's dashboard: key figures against last month, funnel, sales, targets, laggards."""
    data = dashboard_get(user=request.user, code=code, month=parse_month(request.GET.get("bulan")))
    here = dashboard_url(data.code)
    excel = (
        reverse("monitoring:dashboard_excel", args=[data.code])
        if data.code
        else reverse("monitoring:dashboard_excel_nation")
    )
    earlier = add_months(data.month, -1)
    later = add_months(data.month, 1)
    context = {
        "dash": data,
        "sales_chart": charts.sales_chart(
            [(p.month, p.gmv_paid, p.orders_created) for p in data.series],
            title=_("Sales paid and orders placed, last 12 months"),
            money_label=_("Rp paid (bars)"),
            count_label=_("orders (line)"),
        )
        if data.series
        else "",
        "funnel_chart": charts.funnel_chart(
            [(str(step.label), step.reached) for step in data.funnel], title=_("Formation funnel")
        ),
        "excel_url": _with_month(excel, data),
        "coverage_url": reverse("monitoring:region", args=[data.code])
        if data.code
        else reverse("monitoring:coverage"),
        "earlier_url": _with_month(here, data, earlier) if earlier >= FIRST_MONTH else "",
        "later_url": _with_month(here, data, later) if later <= data.current_month else "",
        "month_value": f"{data.month:%Y-%m}",
        "month_min": f"{FIRST_MONTH:%Y-%m}",
        "month_max": f"{data.current_month:%Y-%m}",
        "nation_url": _with_month(reverse("monitoring:dashboard"), data),
        "query": "" if data.is_current else f"?bulan={data.month:%Y-%m}",
    }
    return render(request, "monitoring/dashboard/dashboard.html", context)


@require_GET
def dashboard_mine(request: HttpRequest) -> HttpResponse:
    """Where the "Dashboard" menu leads: an admin's own region (a national admin: the nation)."""
    code = dashboard_home_code(request.user)
    return HttpResponseRedirect(dashboard_url(code or ""))


@require_GET
def dashboard_excel(request: HttpRequest, code: str = "") -> HttpResponse:
    """The dashboard's tables as an Excel workbook."""
    data = dashboard_get(user=request.user, code=code, month=parse_month(request.GET.get("bulan")))
    response = HttpResponse(dashboard_workbook(data), content_type=XLSX)
    name = (data.code or "indonesia").replace(".", "-")
    response["Content-Disposition"] = f'attachment; filename="dasbor-{name}-{data.month:%Y-%m}.xlsx"'
    return response
