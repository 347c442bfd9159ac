"""The public catalog page /pasar/: filters, search and sort over sellable listings.

Anonymous visitors get the page from the process's page cache, keyed on the catalog's
generation (every price, stock or listing change moves it on, so a change shows at once), the
month of the featured products and the query: its parameters as they came (a hit is answered
without parsing them; only a valid query's page is ever kept) and, parsed, its normalised
form. The page carries add-to-cart forms, so the cached HTML holds
a placeholder where each visitor's CSRF token goes; the token is put in on every answer. The
policy is asked on every request, hit or miss.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from kopdes.core.errors import DomainError
from kopdes.core.policies import require
from kopdes.core.visitor_cache import page_cache

from . import selectors_catalog as selectors
from .cards import catalog_cards, filter_form, options
from .catalog_cache import catalog_generation
from .choices import SortOrder

CACHE_SECONDS = 300
CSRF_PLACEHOLDER = "kopdes-csrf-placeholder-0000000000000000000000000000000000000000"


def _cacheable(request: HttpRequest) -> bool:
    return (
        not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.headers.get("HX-Request")
        and set(request.GET) <= set(selectors.FILTER_NAMES)  # anything else renders afresh
    )


def _cache_keys(request: HttpRequest) -> tuple[str, Callable[[selectors.CatalogQuery], str]]:
    """The key of the parameters as they came, and how to make the key of the parsed query (the
    same page for " kopi " and "kopi&page=1"): both under one reading of the generation."""
    prefix = f"market:catalog:{get_language()}:{catalog_generation()}:{selectors.featured_key()}"

    def key(params: str) -> str:
        return f"{prefix}:{hashlib.sha256(params.encode()).hexdigest()[:32]}"

    raw = urlencode(sorted((name, value) for name in request.GET for value in request.GET.getlist(name)))
    return key(f"raw:{raw}"), lambda query: key(urlencode(query.params()))


def _with_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    response.content = response.content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


def _url(query: selectors.CatalogQuery, **changes) -> str:
    params = query.params(**changes)
    base = reverse("market:catalog")
    return f"{base}?{urlencode(params)}" if params else base


def _fixed_choices(name: str) -> Sequence[tuple[object, object]]:
    """The choices of a select that are the code's own (not the region tree's)."""
    from kopdes.products.choices import Category, Line

    if name == "stars":
        return [(n, f"{n}★") for n in range(1, 6)]
    return {"category": Category.choices, "line": Line.choices, "sort": SortOrder.choices}[name]


@lru_cache(maxsize=256)
def _fixed_options(name: str, language: str | None, selected: str) -> str:
    """`options()` of a fixed select in the active language (`language` is its code: the key),
    `selected` chosen. Only valid values come here (a page with errors makes its options afresh,
    `_options`), so the cache stays small."""
    return options(_fixed_choices(name), selected)


def _options(values: dict[str, str], regions: dict, regencies: list, *, kept: bool) -> dict[str, str]:
    """Each select's `<option>`s for these values. They depend only on the language, the chosen
    value and (for regions) the region tree, so valid values' options are `kept`: the fixed
    choices' in `_fixed_options`, the regions' with this version of the tree (in `regions`). A
    page with errors (values as typed) keeps nothing."""
    language = get_language()
    by_region = regions.setdefault("options", {}) if kept else {}

    def regional(key: tuple, choices, selected: str) -> str:
        if key not in by_region:
            by_region[key] = options(choices, selected)
        return by_region[key]

    def fixed(name: str, selected: str) -> str:
        return _fixed_options(name, language, selected) if kept else options(_fixed_choices(name), selected)

    province, regency = values["province"], values["regency"]
    return {
        "province": regional((language, "province", province), regions["provinces"], province),
        "regency": regional((language, "regency", province, regency), regencies, regency),
        **{name: fixed(name, values[name]) for name in ("category", "line", "stars")},
        "sort": fixed("sort", values["sort"] or SortOrder.choices[0][0]),
    }


def _context(request: HttpRequest, query: selectors.CatalogQuery, page, errors: dict) -> dict:
    regions = page.regions if page is not None else selectors.catalog_regions()
    source = request.GET if errors else query.params()
    context = {
        "query": query,
        "page": page,
        "errors": errors,
        # Every filter's value, "" when not given (a missing key would cost the template an
        # exception and a dir() at each use).
        "values": {name: source.get(name, "") for name in selectors.FILTER_NAMES},
        "regencies": regions["regencies"].get(query.province, []),
        "here": _url(query),
        "csrf_token": CSRF_PLACEHOLDER,
    }
    values = context["values"]
    # The filters' options as HTML made here: through the template, their ~60 comparisons with
    # the chosen values cost more than the rest of the form. Each select's options depend only on
    # the language, the chosen value and (for regions) the region tree: made once for each.
    context["options"] = _options(values, regions, context["regencies"], kept=not errors)
    context["filter_form"] = filter_form(
        action=reverse("market:catalog"),
        query=query,
        values=values,
        options=context["options"],
        errors=errors,
        regencies=bool(context["regencies"]),
    )
    if page is not None:
        context["cards"] = catalog_cards(
            page.items,
            cart_add_url=reverse("market:cart_add"),
            csrf_token=CSRF_PLACEHOLDER,
            here=context["here"],
        )
        context["previous_url"] = _url(query, page=page.page - 1) if page.has_previous else ""
        context["next_url"] = _url(query, page=page.page + 1) if page.has_next else ""
        if page.suggestion:
            context["suggestion_url"] = _url(query, q=page.suggestion, page=1)
    return context


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    require(request.user, "market.catalog.view")
    cacheable = _cacheable(request)
    if cacheable:
        # The parameters as they came first: a hit is answered without parsing them.
        raw_key, query_key = _cache_keys(request)
        hit = page_cache().get(raw_key)
        if hit is not None:
            return _with_token(request, HttpResponse(hit, content_type="text/html; charset=utf-8"))
    try:
        query = selectors.catalog_query_parse(request.GET)
    except DomainError as exc:
        errors = {name: [str(m) for m in messages] for name, messages in exc.fields.items()}
        context = _context(request, selectors.CatalogQuery(), None, errors)
        return _with_token(request, render(request, "market/catalog/catalog.html", context, status=400))
    if cacheable:
        key = query_key(query)
        hit = page_cache().get(key)
        if hit is not None:
            page_cache().set(raw_key, hit, CACHE_SECONDS)
            return _with_token(request, HttpResponse(hit, content_type="text/html; charset=utf-8"))
    page = selectors.catalog_search(user=request.user, query=query)
    response = render(request, "market/catalog/catalog.html", _context(request, query, page, {}))
    if cacheable and not response.cookies:
        page_cache().set_many({key: response.content, raw_key: response.content}, CACHE_SECONDS)
    return _with_token(request, response)
