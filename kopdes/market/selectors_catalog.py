"""Reads of the public catalog: filtered, sorted and searched listings, for the catalog page, the
API and the benchmarks alike.

At a million listings a query never ranks or counts everything: a search takes at most
MAX_RESULTS matches from the full-text index (the name matches first), ranks
those, and shows "1.000+"; browsing counts up to MAX_RESULTS the same way and pages with a capped
offset over the indexed sort columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import cast

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connections
from django.db.models import CharField, Exists, F, Field, Func, IntegerField, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kopdes.core import rows
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.policies import require

from .choices import SortOrder
from .models import Listing, ListingTotals
from .models.listings import TOTALS_FIELDS, attach_totals
from .search import (
    filter_tokens,
    fts_join_first,
    match_filter,
    query_terms,
    suggest_terms,
    words_candidates_sql,
)

PER_PAGE = 24
MAX_PER_PAGE = 60
MAX_RESULTS = 1000  # matches ranked, listings counted, at most ("1.000+")
FEATURED_FIRST = 200  # featured listings put first when browsing without a query, at most
MAX_PRICE = 1_000_000_000
QUERY_MAX_LENGTH = 200

# What a card and the API's catalog list show: no more (a timestamp costs its parsing on every
# card; the newest-first order is the database's).
CARD_FIELDS = (
    "id",
    "cooperative_id",
    "product_id",
    "name",
    "slug",
    "price",
    "min_order",
    "stars",
    "rating_sum",
    "rating_count",
    "category",
    "line",
    "province_code",
    "regency_code",
    "has_halal",
    "has_bpom",
    "featured_month",
    "photo",
)
FILTER_NAMES = (
    "q",
    "category",
    "province",
    "regency",
    "line",
    "stars",
    "halal",
    "bpom",
    "price_min",
    "price_max",
    "in_stock",
    "sort",
    "page",
    "per_page",
)
_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"", "0", "false", "off", "no"}


@dataclass(frozen=True)
class CatalogQuery:
    """What a visitor asks the catalog for. Build it with `catalog_query_parse` from request data."""

    q: str = ""
    category: str = ""
    province: str = ""  # "64"
    regency: str = ""  # "64.02"
    line: str = ""
    min_stars: int = 0
    halal: bool = False
    bpom: bool = False
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool = False
    sort: str = SortOrder.RELEVANCE
    page: int = 1
    per_page: int = PER_PAGE

    def params(self, **changes) -> dict[str, str]:
        """The query as request parameters, defaults left out, in a fixed order (a cache key and
        the links of pages and sorts)."""
        query = replace(self, **changes) if changes else self
        values = {
            "q": query.q,
            "category": query.category,
            "province": query.province,
            "regency": query.regency,
            "line": query.line,
            "stars": str(query.min_stars) if query.min_stars else "",
            "halal": "1" if query.halal else "",
            "bpom": "1" if query.bpom else "",
            "price_min": "" if query.price_min is None else str(query.price_min),
            "price_max": "" if query.price_max is None else str(query.price_max),
            "in_stock": "1" if query.in_stock else "",
            "sort": "" if query.sort == SortOrder.RELEVANCE else query.sort,
            "page": "" if query.page == 1 else str(query.page),
            "per_page": "" if query.per_page == PER_PAGE else str(query.per_page),
        }
        return {name: value for name, value in values.items() if value}


@dataclass
class CatalogPage:
    query: CatalogQuery
    items: list[Listing]
    total: int  # matches counted, up to MAX_RESULTS
    total_capped: bool  # there are more than `total`
    terms: list[str] = field(default_factory=list)  # the stemmed query words
    suggestion: str = ""  # a query that finds something, when this one found nothing
    regions: dict = field(default_factory=dict)  # catalog_regions() as this page read it

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def per_page(self) -> int:
        return self.query.per_page

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


# --- Filters ------------------------------------------------------------------------------------


def catalog_regions() -> dict:
    """Provinces and regencies for the filters and the cards: {"provinces": [(code, name)],
    "regencies": {province: [(code, name)]}, "names": {code: name}}. Cached with the region tree."""
    from kopdes.regions.models import Region
    from kopdes.regions.selectors import tree_version

    key = f"market:catalog-regions:{tree_version()}"
    data = _regions_memo.get(key)
    if data is None:
        data = cache.get(key)
        if data is None:
            rows = Region.objects.filter(level__lte=2).order_by("code").values_list("code", "name", "level")
            data = {"provinces": [], "regencies": {}, "names": {}}
            for code, name, level in rows:
                data["names"][code] = name
                if level == 1:
                    data["provinces"].append((code, name))
                else:
                    data["regencies"].setdefault(code[:2], []).append((code, name))
            cache.set(key, data, None)
        _regions_memo.clear()
        _regions_memo[key] = data
    return data


_regions_memo: dict[str, dict] = {}


def _bad(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _integer(errors, name: str, raw: str, low: int, high: int) -> int | None:
    raw = (raw or "").strip().replace(".", "")  # "25.000" as typed in Indonesian
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        _bad(errors, name, _("Enter a whole number."))
        return None
    if not low <= value <= high:
        _bad(errors, name, _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return None
    return value


def _flag(errors, name: str, raw) -> bool:
    value = str(raw if raw is not None else "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        _bad(errors, name, _("Use 1 or 0."))
    return False


def catalog_query_parse(data: Mapping[str, object]) -> CatalogQuery:
    """A CatalogQuery from request parameters (strings); DomainError "invalid_filter" with the
    message of each field that is not valid."""
    from kopdes.products.choices import Category, Line

    def text(name: str) -> str:
        value = data.get(name)
        return "" if value is None else str(value).strip()

    errors: dict[str, list[str]] = {}
    q = " ".join(text("q").split())
    if len(q) > QUERY_MAX_LENGTH:
        _bad(errors, "q", _("The search is too long."))
    category = text("category")
    if category and category not in Category.values:
        _bad(errors, "category", _("Choose a valid option."))
    line = text("line")
    if line and line not in Line.values:
        _bad(errors, "line", _("Choose a valid option."))
    sort = text("sort") or SortOrder.RELEVANCE
    if sort not in SortOrder.values:
        _bad(errors, "sort", _("Choose a valid option."))
        sort = SortOrder.RELEVANCE
    province, regency = text("province"), text("regency")
    regions = catalog_regions() if province or regency else {}
    if province and province not in {code for code, _name in regions["provinces"]}:
        _bad(errors, "province", _("Unknown region code: %(code)s") % {"code": province})
    if regency:
        if regency not in {code for code, _name in regions["regencies"].get(regency[:2], [])}:
            _bad(errors, "regency", _("Unknown region code: %(code)s") % {"code": regency})
        elif province and regency[:2] != province:
            _bad(errors, "regency", _("This regency is not in the chosen province."))
        else:
            province = regency[:2]
    stars = _integer(errors, "stars", text("stars"), 0, 5) or 0
    price_min = _integer(errors, "price_min", text("price_min"), 0, MAX_PRICE)
    price_max = _integer(errors, "price_max", text("price_max"), 0, MAX_PRICE)
    if price_min is not None and price_max is not None and price_min > price_max:
        _bad(errors, "price_max", _("The highest price is below the lowest."))
    page = _integer(errors, "page", text("page"), 1, 100_000) or 1
    per_page = _integer(errors, "per_page", text("per_page"), 1, MAX_PER_PAGE) or PER_PAGE
    query = CatalogQuery(
        q=q[:QUERY_MAX_LENGTH],
        category=category,
        province=province,
        regency=regency,
        line=line,
        min_stars=stars,
        halal=_flag(errors, "halal", data.get("halal")),
        bpom=_flag(errors, "bpom", data.get("bpom")),
        price_min=price_min,
        price_max=price_max,
        in_stock=_flag(errors, "in_stock", data.get("in_stock")),
        sort=sort,
        page=page,
        per_page=per_page,
    )
    if errors:
        raise DomainError(_("Some fields are not valid."), code="invalid_filter", fields=errors)
    return query


def _sellable():
    # `IN (true)`, not `= true`: Django writes the latter as a bare column on SQLite, which SQLite
    # does not match with the first column of the (sellable, …) indexes, and then sorts every row.
    return Listing.objects.filter(sellable__in=[True])


def _flagged(qs: QuerySet[Listing], flag: str, *, words: bool) -> QuerySet[Listing]:
    """Listings with a licence's flag set. In a search on PostgreSQL, as the integer its GIN
    indexes hold with the words (`GIN_FILTERS`): PostgreSQL turns `flag = true` into the bare
    column, which no GIN operator class matches, and "tenun ikat" among halal listings read all
    31,000 with the words (400 ms; 24 ms through the index). Browsing keeps the column: with no
    statistics for the integer, the planner took the GIN index for the flag alone (the halal
    catalog's first page: 127 ms against 13 ms)."""
    from django.db import router

    if not words or connections[router.db_for_read(Listing)].vendor != "postgresql":
        return qs.filter(**{flag: True})
    return qs.alias(**{f"{flag}_number": Cast(flag, IntegerField())}).filter(**{f"{flag}_number": 1})


FEATURED_WALK = "featured_month"  # `walk` of the featured listings' statements (`_filtered`)
_WALKED_COLUMNS = {
    "price": IntegerField,
    "stars": IntegerField,
    "category": CharField,
    "province_code": CharField,
}


def _walked(walk: str, column: str) -> bool:
    """Whether a browsing page read in the order of `walk` on SQLite writes its filter on `column`
    away from the column's indexes (`_filtered`)."""
    if walk == FEATURED_WALK:
        return column in _WALKED_COLUMNS
    return bool(walk) and column in ("price", "stars") and column != walk


def _narrowed(qs: QuerySet[Listing], column: str, lookup: str, value, walk: str) -> QuerySet[Listing]:
    """`qs` with the filter `column`__`lookup`=`value`, written `+column` when `_walked`: SQLite
    takes no index for that."""
    if _walked(walk, column):
        unindexed = Func(F(column), template="+%(expressions)s", output_field=_WALKED_COLUMNS[column]())
        qs = qs.alias(**{f"{column}_walked": unindexed})
        column = f"{column}_walked"
    return qs.filter(**{f"{column}__{lookup}": value})


def _filtered(query: CatalogQuery, *, words: bool = False, walk: str = ""):
    """The sellable listings `query`'s filters pass (`words`: for a search of its words).

    `walk`: the column a browsing page on SQLite is read in the order of (its count is not), and
    the filters SQLite would otherwise take an index for, without statistics to choose well, are
    written so that it cannot (`_walked`):
    - the ranges on the other columns (price, stars): SQLite took the range's index, read every
      listing in the range and sorted them (a price range by newest: 442,000 listings, 935 ms),
      where walking the order's index and testing the range on each listing finds the page's 24 at
      once (0.1 ms);
    - for the featured listings (`FEATURED_WALK`), the category and the province as well: they are
      a fiftieth of the catalog or less, and when a category's featured ones are fewer than a page
      SQLite walked all of the category (textile and OSOP: 90,000 listings, 88 ms) where the
      featured index holds 20,000 (2 ms). A regency's index stays: its listings are fewer still."""
    qs = _sellable()
    if query.category:
        qs = _narrowed(qs, "category", "exact", query.category, walk)
    if query.regency:
        qs = qs.filter(regency_code=query.regency)
    elif query.province:
        qs = _narrowed(qs, "province_code", "exact", query.province, walk)
    if query.line:
        qs = qs.filter(line=query.line)
    if query.min_stars:
        qs = _narrowed(qs, "stars", "gte", query.min_stars, walk)
    for wanted, flag in ((query.halal, "has_halal"), (query.bpom, "has_bpom")):
        if wanted:
            qs = _flagged(qs, flag, words=words)
    if query.price_min is not None:
        qs = _narrowed(qs, "price", "gte", query.price_min, walk)
    if query.price_max is not None:
        qs = _narrowed(qs, "price", "lte", query.price_max, walk)
    if query.in_stock:  # an EXISTS: the browsing statements are written over this WHERE alone
        qs = qs.filter(
            Exists(
                ListingTotals.objects.filter(listing=OuterRef("pk"), stock_online__gte=OuterRef("min_order"))
            )
        )
    return qs


# --- Featured listings: those of a regency's current local month --------------------------------


class _Months:
    """The current local month of each province (WIB, WITA and WIT turn the month at different
    instants), for this request."""

    def __init__(self) -> None:
        from django.utils import timezone

        from kopdes.products.selectors_licences import local_month, region_zone

        now = timezone.now()
        self._month = lambda code: local_month(code, now)
        self._zone = region_zone
        self._by_zone: dict[object, date] = {}  # three time zones, not 38 provinces, to convert
        self._regions: dict | None = None

    @property
    def regions(self) -> dict:
        """`catalog_regions()`, read once for the request (each reading asks the cache for the
        region tree's version)."""
        if self._regions is None:
            self._regions = catalog_regions()
        return self._regions

    def of(self, province_code: str) -> date:
        """`local_month(province_code)` at this request's instant."""
        zone = self._zone(province_code or "31")
        month = self._by_zone.get(zone)
        if month is None:
            month = self._by_zone[zone] = self._month(province_code or "31")
        return month

    def condition(self, connection, alias: str) -> tuple[str, list]:
        """A listing featured this month, as an SQL condition over the table `alias`: made once
        for each database, table and month of the three time zones with this region tree (kept
        with it, in `regions`)."""
        key = (connection.alias, alias, self.of("31"), self.of("64"), self.of("91"))
        made = self.regions.setdefault("featured_conditions", {})
        if key not in made:
            made[key] = self._condition(connection, alias)
        return made[key]

    def _condition(self, connection, alias: str) -> tuple[str, list]:
        by_month: dict[date, list[str]] = {}
        for code, _name in self.regions["provinces"]:
            by_month.setdefault(self.of(code), []).append(code)
        if len(by_month) <= 1:
            month = next(iter(by_month), self.of("31"))
            return f"{alias}.featured_month = %s", [connection.ops.adapt_datefield_value(month)]
        parts, params = [], []
        for month, codes in by_month.items():
            places = ", ".join(["%s"] * len(codes))
            parts.append(f"({alias}.featured_month = %s AND {alias}.province_code IN ({places}))")
            params += [connection.ops.adapt_datefield_value(month), *codes]
        return f"({' OR '.join(parts)})", params

    def one(self) -> bool:
        """Whether every province is in the same month (all but a few hours of each month): the
        condition is then one month's, which the featured listings' index serves."""
        return self.of("31") == self.of("64") == self.of("91")

    def sql(self, connection, alias: str) -> tuple[str, list]:
        """1 for a listing featured this month, else 0, as SQL over the table `alias`."""
        condition, params = self.condition(connection, alias)
        return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)", params

    def key(self) -> str:
        return ",".join(sorted({self.of(code).isoformat() for code in ("31", "64", "91")}))


def featured_key() -> str:
    """Changes when a month turns anywhere in Indonesia (a part of cached pages' keys)."""
    return _Months().key()


# --- The search ---------------------------------------------------------------------------------

# A candidate: its id, its relevance (how many query words are in its name), what the orders need.
_SEARCH_FIELDS = ("id", "score", "featured_month", "province_code", "price", "created_at", "stars")
_SEARCH_ORDER: dict[str, str] = {
    SortOrder.NEWEST: "c.created_at DESC, c.id DESC",
    SortOrder.PRICE_LOW: "c.price ASC, c.id DESC",
    SortOrder.PRICE_HIGH: "c.price DESC, c.id DESC",
    SortOrder.STARS: "c.stars DESC, c.id DESC",
}
_UNFILTERED = CatalogQuery()


def _score_sql(connection, terms: list[str]) -> tuple[str, list]:
    """How many query words are in a listing's name, as SQL over market_listing. Whole words: the
    stemmed name is words between single spaces."""
    find = "strpos" if connection.vendor == "postgresql" else "instr"
    score = " + ".join(
        f"(CASE WHEN {find}(' ' || market_listing.search_name || ' ', %s) > 0 THEN 1 ELSE 0 END)"
        for _term in terms
    )
    return f"({score})", [f" {t} " for t in terms]


def _relevance_sql(connection, months: _Months) -> tuple[str, list]:
    """Relevance: how many query words are in the name, then featured this month, then the newest."""
    featured, params = months.sql(connection, "c")
    return f"c.score DESC, {featured} DESC, c.id DESC", params


def _unfiltered(query: CatalogQuery) -> bool:
    return replace(query, q="", sort=SortOrder.RELEVANCE, page=1, per_page=PER_PAGE) == _UNFILTERED


def _search(base, terms: list[str], query: CatalogQuery, months: _Months) -> tuple[list[int], int, bool]:
    """At most MAX_RESULTS matches, ranked, one page cut, in one query.

    The listings with every word in the name come first: when they alone reach MAX_RESULTS they
    are the candidates (every one of them ranks above a match in the text only, and the count is
    "1.000+" either way), and the larger full-text match is never computed. Otherwise the matches
    anywhere are added to them, up to MAX_RESULTS, so that the name matches are ranked even when
    the text matches are many.

    The name matches are the newest MAX_RESULTS: on SQLite its full-text index walked backwards,
    on PostgreSQL, for a search without filters, the names' words (`words_candidates_sql`); with
    filters PostgreSQL's GIN index gives its first MAX_RESULTS, in no order (the index holds the
    equality filters too, `GIN_FILTERS`). When several words found fewer than that among the
    names' words (their windows may have missed some), the GIN index of the names adds the rest,
    in the same statement. SQLite's index holds the equality filters as words of their own and
    intersects them with the query's (`filter_tokens`).
    """

    connection = connections[base.db]
    start = min((query.page - 1) * query.per_page, MAX_RESULTS)
    size = max(0, min(query.per_page, MAX_RESULTS - start))
    order = (
        (_SEARCH_ORDER[query.sort], []) if query.sort in _SEARCH_ORDER else _relevance_sql(connection, months)
    )
    prelude: tuple[str, list] = ("", [])
    unfiltered = _unfiltered(query)
    words = connection.vendor == "postgresql" and unfiltered
    if words and len(terms) == 1:  # exact
        named = words_candidates_sql(terms, MAX_RESULTS)
        return _ranked(connection, prelude, named, base, terms, order, (start, size), afresh=False)
    filters = _filter_tokens(query)
    index = (
        match_filter(base.order_by(), terms, name_only=True, newest=True, filters=filters)
        .annotate(score=Value(len(terms)))
        .values_list(*_SEARCH_FIELDS)[:MAX_RESULTS]
    )
    index_sql, index_params = index.query.sql_with_params()
    named = (fts_join_first(index_sql, connection.vendor), list(index_params))
    if words:  # exact when they fill the cap; fewer, and the GIN index of the names adds the rest
        words_sql, words_params = words_candidates_sql(terms, MAX_RESULTS)
        prelude = (f"w AS MATERIALIZED ({words_sql}), ", words_params)
        named = (
            f"SELECT * FROM w UNION ALL SELECT * FROM ({named[0]}) g"  # noqa: S608  (compiled SQL)
            " WHERE (SELECT count(*) FROM w) < %s AND g.id NOT IN (SELECT id FROM w)",
            [*named[1], MAX_RESULTS],
        )
    page = (start, size)
    return _ranked(connection, prelude, named, base, terms, order, page, afresh=not words, filters=filters)


_GIN_ONLY = {"enable_seqscan": "off", "max_parallel_workers_per_gather": "0", "work_mem": "16MB"}


def _filter_tokens(query: CatalogQuery) -> list[str]:
    """The words SQLite's full-text index holds for `query`'s equality filters."""
    return filter_tokens(
        category=query.category,
        line=query.line,
        province=query.province,
        regency=query.regency,
        halal=query.halal,
        bpom=query.bpom,
    )


def _ranked(
    connection,
    prelude: tuple[str, list],
    named: tuple[str, list],
    base: QuerySet[Listing],
    terms: list[str],
    order: tuple[str, list],
    page: tuple[int, int],
    *,
    afresh: bool,
    filters: Sequence[str] = (),
) -> tuple[list[int], int, bool]:
    """One page (start, size) of the candidates, ranked by `order`: the name matches (`named`,
    after the common table expressions of `prelude`), and the text matches of `base` when the
    names were fewer than MAX_RESULTS. Returns the page's ids, the count up to MAX_RESULTS, and
    whether it is capped. `afresh`: planned for its own values, never prepared. `filters`: the
    `filter_tokens` of `base`'s filters, for SQLite's index."""
    named_sql, named_params = named
    start, size = page
    score, score_params = _score_sql(connection, terms)
    every = (
        match_filter(base, terms, filters=filters)
        .order_by()
        .annotate(score=RawSQL(score, score_params))  # noqa: S611  (constants; words are parameters)
        .values_list(*_SEARCH_FIELDS)[:MAX_RESULTS]
    )
    every_sql, every_params = every.query.sql_with_params()
    every_sql = fts_join_first(every_sql, connection.vendor)
    # The text matches are a gated branch: both databases skip it when the names fill the cap.
    candidates = (
        f"WITH {prelude[0]}n AS MATERIALIZED ({named_sql}), c AS (SELECT * FROM n UNION ALL"  # noqa: S608  (compiled querysets)
        f" SELECT * FROM ({every_sql}) e WHERE (SELECT count(*) FROM n) < %s"
        " AND e.id NOT IN (SELECT id FROM n))"
    )
    params = [*prelude[1], *named_params, *every_params, MAX_RESULTS]
    order_sql, order_params = order
    sql = f"{candidates} SELECT c.id, count(*) OVER () FROM c ORDER BY {order_sql} LIMIT %s OFFSET %s"  # noqa: S608  (SQL built from constants; values are parameters)
    # The names' words (no filters) have one good plan for every word; the GIN indexes' plans
    # turn on the words and the filters, so those statements are planned for their own values,
    # and never as a scan of the whole table. The candidates' LIMIT is a cap, not an expectation:
    # for "madu" within a price range PostgreSQL expected 20,000 listings, so the first thousand
    # within 5 % of the table, and read all of it to find 77 (1.1 s, against 4 ms by the index).
    # No parallel workers either: on two cores their start cost more than a search. And room for
    # exact bitmaps: a word's bitmap ANDed with a price range's (440,000 listings) became lossy in
    # the default 4 MB, and every listing with the word was read again (370 ms; 115 ms in 16 MB).
    with (
        rows.planned_each_time(connection) if afresh else nullcontext(),
        rows.session_settings(connection, **_GIN_ONLY) if afresh else nullcontext(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [*params, *order_params, size, start])
        found_rows = cursor.fetchall()
        if found_rows or not start:
            found = found_rows[0][1] if found_rows else 0
        else:  # a page past the end: only the count
            cursor.execute(f"{candidates} SELECT count(*) FROM c", params)  # noqa: S608
            found = cursor.fetchone()[0]
    ids = [row[0] for row in found_rows]
    return ids, min(found, MAX_RESULTS), found >= MAX_RESULTS


# Each browsing order's columns and directions (the last, the id, makes it total).
_BROWSE_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    SortOrder.NEWEST: (("created_at", "DESC"), ("id", "DESC")),
    SortOrder.PRICE_LOW: (("price", "ASC"), ("id", "DESC")),
    SortOrder.PRICE_HIGH: (("price", "DESC"), ("id", "DESC")),
    SortOrder.STARS: (("stars", "DESC"), ("id", "DESC")),
}


def _order_by(order: tuple[tuple[str, str], ...], alias: str) -> str:
    return ", ".join(f"{alias}.{column} {direction}" for column, direction in order)


class _Statements:
    """The browsing statements of one catalog request, written over the filtered queryset's WHERE.

    Every filter is on the listing's own columns, so the WHERE the ORM compiles for the query is
    all a statement needs; it is compiled once per set of filters (`_browse_where`) and shared by
    the count, the featured listings and the page. The cards' columns and their converters come
    from the ORM too, once per database (`kopdes.core.rows.columns`). Building the three querysets
    through the ORM cost three times what running them did (1.2 of 1.6 ms for the first page,
    ADR 14)."""

    def __init__(
        self, base: CatalogQuery | QuerySet[Listing], *, walk: str = "", featured_walk: bool = False
    ) -> None:
        """`base`: the filters (browsing: their WHERE is kept, `_browse_where`), or the filtered
        queryset (a search's). `walk`: the column the browsing pages are read in the order of
        (`_filtered`); the count is not. `featured_walk`: the featured listings' statements read
        through the featured month's index (`FEATURED_WALK`), when the condition is one month's:
        SQLite cannot take that index for the months of several time zones, and would then walk
        every listing, newest first."""
        from django.db import router

        alias = router.db_for_read(Listing) if isinstance(base, CatalogQuery) else base.db
        self.connection = connections[alias]
        self.columns = rows.columns(Listing, CARD_FIELDS, alias)
        self.totals = rows.columns(ListingTotals, TOTALS_FIELDS, alias)
        self.table = rows.table(Listing, alias)
        totals = rows.table(ListingTotals, alias)
        # The cards' columns and their totals', from the listings joined to their totals.
        self.selected = f"{self.columns.sql}, {self.totals.sql}"
        self.joined = f"{self.table} JOIN {totals} ON {totals}.listing_id = {self.table}.id"
        # The same columns read from a subquery `p` of them (by their own names).
        self.outer = _outer_columns(alias)
        # A search's cards by their keys: SQLite would otherwise take an index of a filter (a
        # price range: 50 ms through the price index, against 0.2 ms by key). NOT INDEXED leaves
        # it the keys only.
        unindexed = f"{self.table} NOT INDEXED" if self.connection.vendor == "sqlite" else self.table
        self.joined_by_key = f"{unindexed} JOIN {totals} ON {totals}.listing_id = {self.table}.id"
        walked = isinstance(base, CatalogQuery) and self.connection.vendor == "sqlite"
        if isinstance(base, CatalogQuery):
            self.where, params = _browse_where(base, alias)
        else:
            compiler = base.query.get_compiler(using=alias)
            self.where, params = compiler.compile(base.query.where)
        self.params = list(params)
        # The pages' WHERE and the featured listings': the count's, or on SQLite with the filters
        # it would take a wrong index for written away from their indexes (`_filtered`).
        page = _browse_where(base, alias, walk) if walked and walk else (self.where, params)
        featured = _browse_where(base, alias, FEATURED_WALK) if walked and featured_walk else page
        self.page_where, self.page_params = page[0], list(page[1])
        self.featured_where, self.featured_params = featured[0], list(featured[1])

    def rows(self, sql: str, params: list) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def featured_ids(self, months: _Months, limit: int) -> list[int]:
        """The ids of the newest `limit` listings featured this month."""
        t = self.table
        condition, params = months.condition(self.connection, t)
        sql = (
            f"SELECT {t}.id FROM {t} WHERE ({self.featured_where} AND {condition})"  # noqa: S608  (compiled WHERE; values are parameters)
            f" ORDER BY {_order_by(_BROWSE_ORDER[SortOrder.NEWEST], t)} LIMIT %s"
        )
        return [row[0] for row in self.rows(sql, [*self.featured_params, *params, limit])]

    def counted_page(
        self,
        order: tuple[tuple[str, str], ...],
        start: int,
        size: int,
        *,
        featured: tuple[str, list] | None = None,
    ) -> tuple[int, bool, list[Listing]]:
        """The filtered listings counted (up to MAX_RESULTS, and whether there are more) and `size`
        cards from `start` in `order` (of `_BROWSE_ORDER`), of the featured ones only when given
        their condition `featured` (SQL over the table, and its parameters), in one round trip:
        the count's one row joined to the cards (none: a row with no card). Two statements
        were a fifth of the catalog page's work on PostgreSQL, its own and the server's."""
        if start >= MAX_RESULTS:  # past what is counted: no page (an offset of millions would read them)
            start = size = 0
        t = self.table
        if featured:
            where, params = (
                f"({self.featured_where} AND {featured[0]})",
                [*self.featured_params, *featured[1]],
            )
        else:
            where, params = f"({self.page_where})", list(self.page_params)
        keys = ", ".join(f"{t}.{column} AS k{n}" for n, (column, _direction) in enumerate(order))
        sql = (
            f"SELECT c.n, {self.outer} FROM (SELECT COUNT(*) AS n FROM (SELECT {t}.id FROM {t}"  # noqa: S608  (as above)
            f" WHERE {self.where} LIMIT %s) s) c LEFT JOIN (SELECT {self.selected}, {keys}"
            f" FROM {self.joined} WHERE {where} ORDER BY {_order_by(order, t)} LIMIT %s OFFSET %s) p"
            f" ON 1 = 1 ORDER BY {', '.join(f'p.k{n} {d}' for n, (_c, d) in enumerate(order))}"
        )
        found = self.rows(sql, [*self.params, MAX_RESULTS + 1, *params, size, start])
        count = found[0][0]
        cards = self.cards([row[1:] for row in found if row[1] is not None])
        return min(count, MAX_RESULTS), count > MAX_RESULTS, cards

    def page(
        self, order: tuple[tuple[str, str], ...], start: int, size: int, *, without: Sequence[int] = ()
    ) -> list[Listing]:
        """`size` cards from `start` in `order` (of `_BROWSE_ORDER`), less the listings `without`."""
        t = self.table
        where, params = self.page_where, list(self.page_params)
        if without:
            where = f"{where} AND NOT ({t}.id IN ({', '.join(['%s'] * len(without))}))"
            params += without
        sql = (
            f"SELECT {self.selected} FROM {self.joined} WHERE ({where})"  # noqa: S608  (as above)
            f" ORDER BY {_order_by(order, t)} LIMIT %s OFFSET %s"
        )
        return self.cards(self.rows(sql, [*params, size, start]))

    def by_id(self, ids: list[int]) -> list[Listing]:
        """The cards of these listings (those still matching the filters), in the order of `ids`."""
        if not ids:
            return []
        t = self.table
        places = ", ".join(["%s"] * len(ids))
        where = f"({self.where} AND {t}.id IN ({places}))"
        sql = f"SELECT {self.selected} FROM {self.joined_by_key} WHERE {where}"  # noqa: S608  (as above)
        found = {listing.pk: listing for listing in self.cards(self.rows(sql, [*self.params, *ids]))}
        return [found[pk] for pk in ids if pk in found]

    def cards(self, found: list[tuple]) -> list[Listing]:
        """The listings of rows of `selected`, each with its totals."""
        alias, connection = self.connection.alias, self.connection
        width = self.columns.width
        cards = []
        for row in found:
            listing = cast(Listing, self.columns.instance(row, alias, connection=connection))
            attach_totals(listing, cast(ListingTotals, self.totals.instance(row, alias, width, connection)))
            cards.append(listing)
        return cards


@lru_cache(maxsize=8)
def _outer_columns(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    fields = [cast(Field, Listing._meta.get_field(name)) for name in CARD_FIELDS]
    fields += [cast(Field, ListingTotals._meta.get_field(name)) for name in TOTALS_FIELDS]
    return ", ".join(f"p.{quote(field.column or field.attname)}" for field in fields)


@lru_cache(maxsize=256)
def _browse_where(filters: CatalogQuery, alias: str, walk: str = "") -> tuple[str, tuple]:
    """The WHERE of `_filtered(filters, walk=walk)` as the ORM compiles it on `alias`, and its
    parameters: the same for every request with these filters (the default page's is one
    condition), and building and compiling the queryset was a tenth of the page's own work."""
    base = _filtered(filters, walk=walk).using(alias)
    where, params = base.query.get_compiler(using=alias).compile(base.query.where)
    return where, tuple(params)


def _browse(query: CatalogQuery, months: _Months) -> tuple[list[Listing], int, bool]:
    # Only the filters make the WHERE: one cached statement head for every page and sort of them.
    filters = replace(query, q="", sort=SortOrder.RELEVANCE, page=1, per_page=PER_PAGE)
    ranged = query.min_stars or query.price_min is not None or query.price_max is not None
    walk = _BROWSE_ORDER.get(query.sort, _BROWSE_ORDER[SortOrder.NEWEST])[0][0] if ranged else ""
    statements = _Statements(filters, walk=walk, featured_walk=months.one())
    start = (query.page - 1) * query.per_page
    if query.sort in _BROWSE_ORDER:
        total, capped, items = statements.counted_page(_BROWSE_ORDER[query.sort], start, query.per_page)
        return items[: max(0, min(query.per_page, total - start))], total, capped
    # Relevance without words: featured listings of this month first (FEATURED_FIRST at most),
    # then the newest. The count and the page's featured cards come in one statement; only a
    # page that they do not fill reads the featured ids, to leave them out of the newest.
    newest = _BROWSE_ORDER[SortOrder.NEWEST]
    featured = months.condition(statements.connection, statements.table)
    wanted = max(0, min(query.per_page, FEATURED_FIRST - start))
    total, capped, items = statements.counted_page(newest, start, wanted, featured=featured)
    if start >= total:
        return [], total, capped
    size = min(query.per_page, total - start)
    if len(items) >= size:
        return items[:size], total, capped
    featured_ids = statements.featured_ids(months, FEATURED_FIRST)
    rest_start = max(0, start - len(featured_ids))
    items.extend(statements.page(newest, rest_start, size - len(items), without=featured_ids))
    return items, total, capped


@lru_cache(maxsize=8)
def _product_url_prefix(script_prefix: str) -> str:
    """The product page's address less the slug: reversed once, not for each of a page's cards."""
    marker = "x-slug-x"
    return reverse("products:public", args=[marker]).split(marker)[0]


def _decorate(items: list[Listing], months: _Months) -> list[Listing]:
    names = months.regions["names"]
    url_prefix = _product_url_prefix(get_script_prefix())
    stars_labels: dict[int, str] = {}  # a page has at most six different ones
    for listing in items:
        stars_label = stars_labels.get(listing.stars)
        if stars_label is None:
            stars_label = stars_labels[listing.stars] = ngettext(
                "%(counter)s star", "%(counter)s stars", listing.stars
            ) % {"counter": listing.stars}
        shown = {
            "url": f"{url_prefix}{listing.slug}/",
            "stars_text": "★" * listing.stars,
            "stars_label": stars_label,
            "photo_url": default_storage.url(listing.photo) if listing.photo else "",
            "region_name": names.get(listing.regency_code, ""),
            "province_name": names.get(listing.province_code, ""),
            "sold_out": listing.stock_online < listing.min_order,
            "is_featured": listing.featured_month is not None
            and listing.featured_month == months.of(listing.province_code),
        }
        for name, value in shown.items():  # what the card shows, beside the model's fields
            setattr(listing, name, value)
    return items


def catalog_search(*, user, query: CatalogQuery) -> CatalogPage:
    """One page of sellable listings for `query`: filtered, searched (every word, stemmed), sorted,
    with a suggestion when the words found nothing. The catalog page, the API and the benchmark
    call this."""
    require(user, "market.catalog.view")
    months = _Months()
    terms = query_terms(query.q)
    if terms:
        base = _filtered(query, words=True)
        ids, total, capped = _search(base, terms, query, months)
        # No ORDER BY (the ids give the order): with one, SQLite walks its sort index over every
        # sellable listing to find these few.
        items = _Statements(base).by_id(ids)
    else:
        items, total, capped = _browse(query, months)
    page = CatalogPage(
        query=query,
        items=_decorate(items, months),
        total=total,
        total_capped=capped,
        terms=terms,
        regions=months.regions,
    )
    if terms and not total:
        page.suggestion = _suggestion(base, terms, _filter_tokens(query))
    return page


def _suggestion(base, terms: list[str], filters: Sequence[str] = ()) -> str:

    replaced = suggest_terms(terms)
    if not replaced:
        return ""
    connection = connections[base.db]
    sql, params = (
        match_filter(base, replaced, filters=filters)
        .order_by()
        .values_list("id", flat=True)[:1]
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(fts_join_first(sql, connection.vendor), params)
        found = cursor.fetchone()
    return " ".join(replaced) if found else ""


def catalog_suggest(*, user, q: str, limit: int = 1) -> list[str]:
    """Typo-tolerant suggestions for a query: the query with unknown words replaced by the closest
    known ones, if that finds sellable listings."""
    require(user, "market.catalog.view")
    terms = query_terms(q)
    suggestion = _suggestion(_sellable(), terms) if terms else ""
    return [suggestion][:limit] if suggestion else []


def catalog_search_naive(*, q: str, limit: int = PER_PAGE) -> list[int]:
    """The baseline a benchmark compares with: every word by a case-insensitive substring scan of
    the unstemmed name and the stemmed text, newest first."""
    qs = _sellable()
    for word in q.split():
        qs = qs.filter(Q(name__icontains=word) | Q(search_text__icontains=word))
    return list(qs.order_by("-created_at", "-id").values_list("id", flat=True)[:limit])


def listing_public_get(*, user, pk: int) -> Listing:
    """A sellable listing with its cooperative, for the product detail in the API."""
    require(user, "market.catalog.view")
    listing = _sellable().select_related("cooperative", "totals").filter(pk=pk).first()
    if listing is None:
        raise NotFound(code="listing_not_found")
    return _decorate([listing], _Months())[0]
