from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kopdes.core.policies import require
from kopdes.core.visitor_cache import cache_for_visitors

from .forms import picked_code, picker_context
from .selectors import region_ancestors, region_children, region_get, region_search, tree_version


@require_GET
@cache_for_visitors(action="regions.view", key=lambda: f"regions:-:{tree_version()}")
def region_index(request: HttpRequest) -> HttpResponse:
    require(request.user, "regions.view")
    context = {"region": None, "children": region_children(parent=None), "page_key": f"-:{tree_version()}"}
    return render(request, "regions/detail.html", context)


@require_GET
@cache_for_visitors(action="regions.view", key=lambda code: f"regions:{code}:{tree_version()}")
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = region_get(code=code)
    require(request.user, "regions.view", region)
    # Callables, which the template calls only when the cached body is missing.
    context = {
        "region": region,
        "ancestors": lambda: region_ancestors(region=region),
        "children": lambda: region_children(parent=region),
        "page_key": f"{region.code}:{tree_version()}",
    }
    return render(request, "regions/detail.html", context)


@require_GET
def region_search_view(request: HttpRequest) -> HttpResponse:
    require(request.user, "regions.view")
    query = request.GET.get("q", "").strip()[:100]
    results = list(region_search(query=query, limit=30)) if query else []
    template = "regions/_results.html" if request.headers.get("HX-Request") else "regions/search.html"
    return render(request, template, {"query": query, "results": results})


@require_GET
def region_picker(request: HttpRequest) -> HttpResponse:
    """The picker fragment again, after one of its selects changed (htmx)."""
    require(request.user, "regions.view")
    name = "".join(ch for ch in request.GET.get("name", "region") if ch.isalnum() or ch == "_")[:40]
    try:
        max_level = min(max(int(request.GET.get("max_level", 4)), 1), 4)
    except ValueError:
        max_level = 4
    code = picked_code(request.GET, name or "region", max_level)
    context = {"picker": picker_context(name=name or "region", code=code, max_level=max_level)}
    return render(request, "regions/_picker.html", context)
