from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from kopdes.core.paging import paginate
from kopdes.core.policies import can

from . import selectors
from .exports import XLSX, coverage_workbook
from .measures import COLUMNS


def _head() -> dict:
    """The table head: a column without a group spans both header rows; a group heads its columns."""
    top: list[dict] = []
    for column in COLUMNS:
        if column.group and top and top[-1]["grouped"] and top[-1]["label"] is column.group:
            top[-1]["span"] += 1
        else:
            top.append({"label": column.group or column.label, "span": 1, "grouped": bool(column.group)})
    return {"top": top, "bottom": [c.label for c in COLUMNS if c.group]}


HEAD = _head()  # lazy labels: translated when each page renders


def register_url() -> str:
    """Where an admin registers a village's cooperative (a page of the registry)."""
    try:
        return reverse("cooperatives:create")
    except NoReverseMatch:  # the registry pages are another part of the app; the address is fixed
        return "/koperasi/baru/"


@require_GET
def coverage(request: HttpRequest, code: str = "") -> HttpResponse:
    """Coverage of the nation or of a region, with a row per child region to drill down."""
    data = selectors.coverage_get(user=request.user, code=code)
    excel = reverse("monitoring:excel", args=[data.code]) if data.code else reverse("monitoring:excel_nation")
    context = {
        "coverage": data,
        "head": HEAD,
        "excel_url": excel,
        "register_url": register_url(),
        "may_register": data.level == 4
        and data.cooperative is None
        and can(request.user, "cooperatives.create", data.region),
    }
    return render(request, "monitoring/coverage.html", context)


@require_GET
def coverage_excel(request: HttpRequest, code: str = "") -> HttpResponse:
    """The coverage table of the page, as an Excel workbook."""
    data = selectors.coverage_get(user=request.user, code=code)
    response = HttpResponse(coverage_workbook(data), content_type=XLSX)
    name = (data.code or "indonesia").replace(".", "-")
    response["Content-Disposition"] = f'attachment; filename="cakupan-{name}.xlsx"'
    return response


@require_GET
def villages_without(request: HttpRequest, code: str) -> HttpResponse:
    """The villages of a region that have no cooperative yet, with a link for admins to register one."""
    region, ancestors = selectors.region_for_gaps(user=request.user, code=code)
    page = paginate(request, selectors.villages_without_cooperative(user=request.user, region=region))
    rows = [
        {
            "village": village,
            # "Village, District, Regency, Province": the district is the second part.
            "district": [*village.path.split(", "), "", ""][1],
            "may_register": can(request.user, "cooperatives.create", village),
        }
        for village in page.object_list
    ]
    context = {
        "region": region,
        "ancestors": ancestors,
        "page": page,
        "rows": rows,
        "any_register": any(row["may_register"] for row in rows),
        "register_url": register_url(),
    }
    return render(request, "monitoring/villages_without.html", context)
