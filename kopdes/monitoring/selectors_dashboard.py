"""Reads of the dashboards: a region's key figures, formation funnel, sales over time, featured
products against target and the regions that lag — from the rollups only.

A dashboard reads a bounded number of rollup rows, whatever the size of the country:
- the region, its ancestors and its children, with their provinces' featured-product targets
  (one query; the nation: the provinces);
- `RegionStat` of the region and its children for the measures shown (one query);
- `MonthStat` of the region for the twelve months shown and every month after (a state at the
  end of a past month is today's value minus the later months' changes), and of its children
  for the chosen month only (one query).
A district adds its villages' cooperatives (one query). A village has no `MonthStat` rows: its
sales are read from its one cooperative's own orders (four small aggregate queries, bounded
by one cooperative), and only for those who may see that cooperative's books (see policies.py).

Children's columns hold their current states (coverage, cooperatives) and the chosen month's
flows (featured, orders, money paid): a past month's page says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise
from lokal import format_rupiah

from kopdes.cooperatives.selectors import village_cooperative_links
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.policies import can, require
from kopdes.core.visitor_cache import kept_objects
from kopdes.regions.models import Region

from . import charts
from .facts import month_of, rollups_generation, this_month
from .measures import PRODUCT_STATES, SOLD_MEASURES, STAGE_LABELS, STAGES, codes_up, read, stored
from .models import MonthStat, RegionStat
from .selectors import VillageCooperative, check_code

VIEW = "monitoring.dashboard.view"
CACHED_CODE_LENGTH = 5  # the nation, a province, a regency (see dashboard_get)
COOPERATIVE_SALES = "monitoring.dashboard.cooperative_sales"
# No month before the programme's rollups can be asked for (and no month not begun yet).
FIRST_MONTH = dt.date(2020, 1, 1)
MONTHS_SHOWN = 12
LAGGING_SHOWN = 5
NO_SALES_SHOWN = 10

_REGION_FIELDS = ("code", "name", "level", "kind", "parent_id", "village_count", "child_count")
COVERAGE_STATES = ["cooperatives", "villages_covered", "legal_entity", "members_active", "units_operating"]
STAGE_MEASURES = [f"stage:{s}" for s in STAGES]
FLOWS = ["orders_created", "gmv_paid", "units_paid", "featured", "display_sales", "display_sales_count"]
STATES = [*COVERAGE_STATES, *STAGE_MEASURES, *PRODUCT_STATES]
CHILD_FLOWS = ["gmv_paid", "orders_created"]


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_month(text: str | None) -> dt.date | None:
    """'2026-03' -> 2026-03-01; empty -> None (this month); anything else is a 400."""
    if not text:
        return None
    try:
        year, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        message = _("Write the month as YYYY-MM, e.g. 2026-03.")
        raise DomainError(message, code="invalid_month", fields={"month": [message]}) from None


def _percent_text(value: float) -> str:
    """45.25 -> '45,3'; below 1 two decimals (0.0024 of the nation is not '0,0')."""
    digits = 2 if 0 < abs(value) < 1 else 1
    return f"{value:.{digits}f}".replace(".", ",")


def _count_text(value: float) -> str:
    return f"{int(value):,}".replace(",", ".")


# --- What a dashboard holds ------------------------------------------------------------------


@dataclass
class Figure:
    """A key figure: its value at (or in) the chosen month and at (or in) the month before."""

    key: str
    label: StrOrPromise
    value: float | None
    previous: float | None = None
    unit: str = "count"  # "count", "rupiah" or "percent"
    target: int | None = None
    # The last months' values, oldest first (the sparkline).
    history: list[float] = field(default_factory=list)
    note: StrOrPromise = ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    def _text(self, value: float) -> str:
        if self.unit == "rupiah":
            return format_rupiah(int(value))
        if self.unit == "percent":
            return _percent_text(value) + "%"
        return _count_text(value)

    @property
    def value_text(self) -> str:
        return "—" if self.value is None else self._text(self.value)

    @property
    def previous_text(self) -> str:
        return "" if self.previous is None else self._text(self.previous)

    @property
    def change_text(self) -> str:
        change = self.change
        if change is None:
            return ""
        sign = "+" if change > 0 else "\u2212" if change < 0 else "\u00b1"  # a true minus sign
        if self.unit == "percent":
            return _("%(change)s points") % {"change": sign + _percent_text(abs(change))}
        return sign + self._text(abs(change))

    @property
    def trend(self) -> str:
        change = self.change
        if change is None:
            return ""
        return "up" if change > 0 else "down" if change < 0 else "flat"

    @property
    def spark(self) -> str:
        return charts.sparkline(self.history)


@dataclass
class FunnelStep:
    stage: str
    label: StrOrPromise
    at_stage: int  # cooperatives whose latest stage is this one
    reached: int  # cooperatives at this stage or further


@dataclass
class SeriesPoint:
    month: dt.date
    gmv_paid: int
    orders_created: int


@dataclass
class ChildRow:
    code: str
    name: str
    level: int
    kind: str
    villages: int
    covered: int
    cooperatives: int
    # The chosen month's flows (None where the rollups keep none: villages) and the target.
    featured: int | None = None
    target: int | None = None
    gmv_paid: int | None = None
    orders_created: int | None = None
    # Money of orders paid and not cancelled or returned, to date (villages: "has it sold yet?").
    gmv_sold: int = 0
    cooperative: VillageCooperative | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.villages if self.villages else 0.0

    @property
    def percent_text(self) -> str:
        return _percent_text(self.percent)

    @property
    def bar(self) -> str:
        return f"{min(self.percent, 100.0):.1f}"

    @property
    def featured_share(self) -> float | None:
        if self.featured is None or not self.target:
            return None
        return self.featured / self.target

    @property
    def url(self) -> str:
        return reverse("monitoring:dashboard_region", args=[self.code])


@dataclass
class BoardRow:
    """One line of the featured-product board: a child region this month, or a month of a regency."""

    label: str
    featured: int
    target: int
    code: str = ""
    month: dt.date | None = None

    @property
    def achieved(self) -> bool:
        return self.featured >= self.target

    @property
    def bar(self) -> str:
        return charts.progress(self.featured, self.target)

    @property
    def url(self) -> str:
        return reverse("monitoring:dashboard_region", args=[self.code]) if self.code else ""


@dataclass
class Lagging:
    coverage: list[ChildRow] = field(default_factory=list)  # the lowest share of villages covered
    featured: list[ChildRow] = field(default_factory=list)  # the furthest behind their target
    no_sales: list[ChildRow] = field(default_factory=list)  # nothing paid in the month (villages: ever)
    no_sales_count: int = 0
    # "month": no money paid in the chosen month; "ever": a village's cooperative that never sold.
    no_sales_basis: str = "month"


@dataclass
class Dashboard:
    region: Region | None  # None: the nation
    ancestors: list[Region]
    month: dt.date
    current_month: dt.date
    villages: int
    figures: list[Figure]
    funnel: list[FunnelStep]
    series: list[SeriesPoint]
    board: list[BoardRow]
    lagging: Lagging
    children: list[ChildRow]
    # "regions": a row per child region this month; "months": the regency's last months; "": none.
    board_kind: str = ""
    # A village: its cooperative, whether its sales may be shown to this user, its registry page.
    cooperative: VillageCooperative | None = None
    cooperative_url: str = ""
    sales_visible: bool = True

    @property
    def code(self) -> str:
        return self.region.code if self.region else ""

    @property
    def level(self) -> int:
        return self.region.level if self.region else 0

    @property
    def name(self) -> str:
        return self.region.name if self.region else "Indonesia"

    @property
    def is_current(self) -> bool:
        return self.month == self.current_month

    @property
    def previous_month(self) -> dt.date:
        return add_months(self.month, -1)

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    @property
    def url(self) -> str:
        if not self.code:
            return reverse("monitoring:dashboard")
        return reverse("monitoring:dashboard_region", args=[self.code])


# --- Reading ---------------------------------------------------------------------------------


# Plain SQL for the few reads every dashboard makes: the ORM spent more time building these
# four statements than the database took to answer them (half of a regency's dashboard).


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _marks(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def _date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # SQLite: text


@lru_cache(maxsize=1)
def _region_sql() -> tuple[str, tuple[str, ...]]:
    """The statement and the region fields it reads, in the model's order (`Model.from_db`)."""
    from kopdes.products.models import ProvinceTarget

    fields = [f for f in Region._meta.concrete_fields if f.attname in _REGION_FIELDS]
    columns = ", ".join(f"r.{f.column}" for f in fields)
    sql = (
        f"SELECT {columns}, t.per_regency_per_month FROM {Region._meta.db_table} r"  # noqa: S608  (model metadata)
        f" LEFT JOIN {ProvinceTarget._meta.db_table} t ON t.province_id = substr(r.code, 1, 2) WHERE "
    )
    return sql, tuple(f.attname for f in fields)


def _regions(normal: str) -> tuple[Region | None, list[Region], list[Region], dict[str, int]]:
    """The region, its ancestors and its children, and the featured-product target per regency
    per month of each of their provinces, in one query (the nation: the provinces)."""
    from kopdes.products.selectors_licences import DEFAULT_TARGET

    if normal:
        up = codes_up(normal)[1:]
        where, params = f"r.code IN ({_marks(up)}) OR r.parent_id = %s", [*up, normal]
    else:
        where, params = "r.level = 1", []
    sql, names = _region_sql()
    found: list[Region] = []
    per_regency: dict[str, int] = {}
    for *values, per in _fetch(f"{sql}{where} ORDER BY r.code", params):
        row = Region.from_db("default", names, values)
        found.append(row)
        per_regency[row.code[:2]] = DEFAULT_TARGET if per is None else per
    if not normal:
        return None, [], found, per_regency
    region = next((r for r in found if r.code == normal), None)
    if region is None:
        raise NotFound(_("Unknown region code: %(code)s") % {"code": normal}, code="unknown_region")
    above = set(codes_up(normal)[1:-1])
    return (
        region,
        [r for r in found if r.code in above],
        [r for r in found if r.parent_id == normal],
        per_regency,
    )


def _region_stats(codes: list[str], measures: list[str]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    rows = stored(measures)  # a money measure is read from its count's row
    sql = (
        f"SELECT region_code, measure, value, amount FROM {RegionStat._meta.db_table}"  # noqa: S608  (constants and placeholders)
        f" WHERE region_code IN ({_marks(codes)}) AND measure IN ({_marks(rows)})"
    )
    for code, row, value, amount in _fetch(sql, [*codes, *rows]):
        found.setdefault(code, {}).update(read(row, value, amount))
    return found


_MONTH_MEASURES = stored([*STATES, *FLOWS])


def _month_stats(
    code: str, first: dt.date, month: dt.date, child_codes: list[str], child_measures: list[str]
) -> tuple[dict[tuple[dt.date, str], int], dict[str, dict[str, int]]]:
    """The region's months from `first` on, and its children's `month`, in one query."""
    child_measures = stored(child_measures)
    sql = (
        f"SELECT region_code, month, measure, value, amount FROM {MonthStat._meta.db_table}"  # noqa: S608  (constants and placeholders)
        f" WHERE (region_code = %s AND month >= %s AND measure IN ({_marks(_MONTH_MEASURES)}))"
    )
    params: list = [code, first, *_MONTH_MEASURES]
    if child_codes:
        sql += (
            f" OR (region_code IN ({_marks(child_codes)}) AND month = %s"
            f" AND measure IN ({_marks(child_measures)}))"
        )
        params += [*child_codes, month, *child_measures]
    own: dict[tuple[dt.date, str], int] = {}
    children: dict[str, dict[str, int]] = {}
    for region_code, row_month, row, value, amount in _fetch(sql, params):
        if region_code == code:
            at = _date(row_month)
            for measure, number in read(row, value, amount):
                own[at, measure] = own.get((at, measure), 0) + number
        else:
            children.setdefault(region_code, {}).update(read(row, value, amount))
    return own, children


def _targets(
    region: Region | None, children: list[Region], per_regency: dict[str, int]
) -> tuple[int | None, dict[str, int]]:
    """Featured products due in a month: the region's total and each child's.

    A province's target is per regency per month; a province owes it times its regencies, the
    nation the sum over its provinces. Districts and villages have no target of their own.
    """
    if region is None:
        each = {p.code: p.child_count * per_regency[p.code] for p in children}
        return sum(each.values()), each
    if region.level > 2:
        return None, {}
    per = per_regency[region.code[:2]]
    if region.level == 1:
        return region.child_count * per, {r.code: per for r in children}
    return per, {}


@lru_cache(maxsize=512)
def _month_label(at: dt.date, language: str) -> str:
    return date_format(at, "M Y")


def _link_cooperative(village_code: str):
    """The cooperative serving a village, with what the policy needs (its organisation), or None."""
    link = (
        village_cooperative_links(village_codes=[village_code])
        .only(
            "village_id",
            "is_seat",
            "cooperative__id",
            "cooperative__name",
            "cooperative__slug",
            "cooperative__scheme",
            "cooperative__stage",
            "cooperative__stage_status",
            "cooperative__village_id",
            "cooperative__organization_id",
        )
        .first()
    )
    return link


def _village_cooperative(link) -> VillageCooperative:
    coop = link.cooperative
    return VillageCooperative(
        id=coop.pk,
        name=coop.name,
        slug=coop.slug,
        scheme=coop.scheme,
        scheme_label=str(coop.get_scheme_display()),
        stage=coop.stage or "none",
        stage_label=str(coop.get_stage_display()) if coop.stage else _("Not started"),
        stage_status=coop.stage_status,
        stage_status_label=str(coop.get_stage_status_display()) if coop.stage_status else "",
        seat_code=str(coop.village_id),
        is_seat=link.is_seat,
    )


def _village_months(cooperative_id: int, village_code: str, first: dt.date) -> dict[tuple[dt.date, str], int]:
    """One cooperative's monthly sales from its own orders, and the display-point sales in its
    village, from `first` on: four aggregate queries over one cooperative's rows (as the rollups
    would count them, see facts.order_contribution)."""
    from kopdes.market.models import DisplaySale, Order, OrderLine

    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    out: dict[tuple[dt.date, str], int] = {}

    def put(month, measure: str, value) -> None:
        first_day = month_of(month)
        if first_day is not None and value:
            key = (first_day, measure)
            out[key] = out.get(key, 0) + int(value)

    orders = Order.objects.filter(cooperative_id=cooperative_id).order_by()
    for m, n in (
        orders.filter(created_at__gte=since)
        .annotate(m=TruncMonth("created_at", tzinfo=tz))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    ):
        put(m, "orders_created", n)
    for m, gmv in (
        orders.filter(paid_at__gte=since)
        .annotate(m=TruncMonth("paid_at", tzinfo=tz))
        .values("m")
        .annotate(gmv=Sum("total"))
        .values_list("m", "gmv")
    ):
        put(m, "gmv_paid", gmv)
    for m, units in (
        OrderLine.objects.filter(order__cooperative_id=cooperative_id, order__paid_at__gte=since)
        .order_by()
        .annotate(m=TruncMonth("order__paid_at", tzinfo=tz))
        .values("m")
        .annotate(units=Sum("quantity"))
        .values_list("m", "units")
    ):
        put(m, "units_paid", units)
    for m, n, gross in (
        DisplaySale.objects.filter(display_point__region_id=village_code, sold_at__gte=since)
        .order_by()
        .annotate(m=TruncMonth("sold_at", tzinfo=tz))
        .values("m")
        .annotate(n=Count("id"), gross=Sum("total"))
        .values_list("m", "n", "gross")
    ):
        put(m, "display_sales", gross)
        put(m, "display_sales_count", n)
    return out


def _check_month(month: dt.date | None, current: dt.date) -> dt.date:
    if month is None:
        return current
    month = month.replace(day=1)
    if month > current or month < FIRST_MONTH:
        message = _("Choose a month from %(first)s to this month.") % {"first": f"{FIRST_MONTH:%Y-%m}"}
        raise DomainError(message, code="invalid_month", fields={"month": [message]})
    return month


LABELS: dict[str, StrOrPromise] = {
    "cooperatives": gettext_lazy("Cooperatives"),
    "legal_entity": gettext_lazy("With legal entity status"),
    "members_active": gettext_lazy("Active members"),
    "units_operating": gettext_lazy("Business units operating"),
    "villages_covered_percent": gettext_lazy("Villages with a cooperative"),
    "products_ready": gettext_lazy("Products ready for market"),
    "products_curated": gettext_lazy("Products curated"),
    "featured": gettext_lazy("Featured products / target"),
    "orders_created": gettext_lazy("Orders placed"),
    "gmv_paid": gettext_lazy("Sales paid (GMV)"),
    "units_paid": gettext_lazy("Units sold"),
    "display_sales": gettext_lazy("Display-point sales"),
    "display_sales_count": gettext_lazy("Display-point transactions"),
}
SALES_KEYS = ("orders_created", "gmv_paid", "units_paid", "display_sales", "display_sales_count")


def dashboard_get(*, user, code: str = "", month: dt.date | None = None) -> Dashboard:
    """The dashboard of the nation (code "") or of a province, regency, district or village, as of
    the end of `month` (this month when None), from the rollups: a bounded number of rows.

    The nation's, a province's and a regency's are the same for everyone: each worker keeps them
    (`kept_objects()`, never changed once kept) under the rollups' generation, which every
    change of the rollups moves on (`rollups_touch`), so a kept one is never stale. A
    district's names its villages' cooperatives and a village's depends on who asks: those are
    read every time."""
    normal = check_code(code) if code else ""
    current = this_month()
    month = _check_month(month, current)
    if len(normal) > CACHED_CODE_LENGTH:
        return _dashboard_read(user, normal, month, current)
    key = f"dashboard:{rollups_generation()}:{get_language()}:{normal}:{month}:{current}"
    kept = kept_objects().get(key)
    if isinstance(kept, Dashboard):
        require(user, VIEW, kept.region)
        return kept
    dashboard = _dashboard_read(user, normal, month, current)
    kept_objects().set(key, dashboard)
    return dashboard


def _dashboard_read(user, normal: str, month: dt.date, current: dt.date) -> Dashboard:
    region, ancestors, children, per_regency = _regions(normal)
    require(user, VIEW, region)
    level = region.level if region else 0
    first = add_months(month, -(MONTHS_SHOWN - 1))
    months = [add_months(first, i) for i in range(MONTHS_SHOWN)]

    if level == 4:
        return _village_dashboard(user, region, ancestors, month, current, first, months)  # type: ignore[arg-type]

    child_codes = [c.code for c in children]
    stats = _region_stats([normal, *child_codes], [*STATES, *SOLD_MEASURES])
    child_measures = [*CHILD_FLOWS, *(["featured"] if level <= 1 else [])]
    # Villages (a district's children) keep no months: their flows are not shown.
    own, child_months = _month_stats(normal, first, month, child_codes if level <= 2 else [], child_measures)
    total_target, child_targets = _targets(region, children, per_regency)
    villages = region.village_count if region else sum(c.village_count for c in children)

    now = stats.get(normal, {})
    changes: dict[str, list[tuple[dt.date, int]]] = {}
    for (at, measure), value in own.items():
        changes.setdefault(measure, []).append((at, value))

    def state_at(measure: str, at: dt.date) -> int:
        """A state at the end of month `at`: today's value less the changes of the months after."""
        return now.get(measure, 0) - sum(v for m, v in changes.get(measure, ()) if m > at)

    def flow(measure: str, at: dt.date) -> int:
        return own.get((at, measure), 0)

    previous = add_months(month, -1)
    figures: list[Figure] = []

    def state_figure(key: str, measures: list[str]) -> None:
        history = [sum(state_at(m, at) for m in measures) for at in months]
        figures.append(
            Figure(
                key=key,
                label=LABELS[key],
                value=history[-1],
                previous=sum(state_at(m, previous) for m in measures),
                history=[float(v) for v in history],
            )
        )

    for key in ("cooperatives", "legal_entity", "members_active", "units_operating"):
        state_figure(key, [key])
    covered = [state_at("villages_covered", at) for at in months]
    figures.append(
        Figure(
            key="villages_covered_percent",
            label=LABELS["villages_covered_percent"],
            value=_share(covered[-1], villages),
            previous=_share(state_at("villages_covered", previous), villages),
            unit="percent",
            history=[_share(v, villages) for v in covered],
        )
    )
    state_figure("products_ready", ["products:ready"])
    state_figure("products_curated", ["products:curated", "products:ready"])
    if total_target is not None:
        figures.append(
            Figure(
                key="featured",
                label=LABELS["featured"],
                value=flow("featured", month),
                previous=flow("featured", previous),
                target=total_target,
                history=[float(flow("featured", at)) for at in months],
            )
        )
    for key in SALES_KEYS:
        figures.append(
            Figure(
                key=key,
                label=LABELS[key],
                value=flow(key, month),
                previous=flow(key, previous),
                unit="rupiah" if key in ("gmv_paid", "display_sales") else "count",
                history=[float(flow(key, at)) for at in months],
            )
        )

    funnel = _funnel({m: state_at(m, month) for m in STAGE_MEASURES})
    series = [SeriesPoint(at, flow("gmv_paid", at), flow("orders_created", at)) for at in months]

    rows = []
    for child in children:
        counts = stats.get(child.code, {})
        flows = child_months.get(child.code, {})
        has_months = level <= 2
        rows.append(
            ChildRow(
                code=child.code,
                name=child.name,
                level=child.level,
                kind=child.kind,
                villages=child.village_count if child.level < 4 else 1,
                covered=counts.get("villages_covered", 0),
                cooperatives=counts.get("cooperatives", 0),
                featured=flows.get("featured", 0) if level <= 1 else None,
                target=child_targets.get(child.code),
                gmv_paid=flows.get("gmv_paid", 0) if has_months else None,
                orders_created=flows.get("orders_created", 0) if has_months else None,
                gmv_sold=sum(counts.get(m, 0) for m in SOLD_MEASURES),
            )
        )
    if level == 3 and rows:
        links = village_cooperative_links(village_codes=[row.code for row in rows])
        by_village = {link.village_id: _village_cooperative(link) for link in links}
        for row in rows:
            row.cooperative = by_village.get(row.code)

    if level <= 1:
        board = [BoardRow(r.name, r.featured or 0, r.target or 0, code=r.code) for r in rows]
        board_kind = "regions"
    elif level == 2:
        language = get_language()
        assert total_target is not None  # noqa: S101  (a regency has a target)
        board = [
            BoardRow(_month_label(at, language), flow("featured", at), total_target, month=at)
            for at in months
        ]
        board_kind = "months"
    else:
        board, board_kind = [], ""

    return Dashboard(
        region=region,
        ancestors=ancestors,
        month=month,
        current_month=current,
        villages=villages,
        figures=figures,
        funnel=funnel,
        series=series,
        board=board,
        board_kind=board_kind,
        lagging=_lagging(rows, level),
        children=rows,
    )


def _share(covered: int, villages: int) -> float:
    return round(100.0 * covered / villages, 2) if villages else 0.0


def _funnel(stages: dict[str, int]) -> list[FunnelStep]:
    steps = []
    reached = 0
    for stage in reversed(STAGES):
        at_stage = stages.get(f"stage:{stage}", 0)
        reached += at_stage
        steps.append(FunnelStep(stage, STAGE_LABELS[stage], at_stage, reached))
    return list(reversed(steps))


def _lagging(rows: list[ChildRow], level: int) -> Lagging:
    lagging = Lagging()
    with_villages = [r for r in rows if r.villages]
    lagging.coverage = sorted(with_villages, key=lambda r: (r.percent, r.code))[:LAGGING_SHOWN]
    behind = [r for r in rows if r.target and (r.featured or 0) < r.target]
    lagging.featured = sorted(behind, key=lambda r: (r.featured_share or 0.0, r.code))[:LAGGING_SHOWN]
    if level <= 2:
        quiet = [r for r in rows if not r.gmv_paid]
    else:
        # A district's villages keep no months: the cooperatives there that never sold.
        lagging.no_sales_basis = "ever"
        quiet = [r for r in rows if r.cooperative is not None and r.cooperative.is_seat and not r.gmv_sold]
    lagging.no_sales_count = len(quiet)
    lagging.no_sales = quiet[:NO_SALES_SHOWN]
    return lagging


def _village_dashboard(
    user,
    region: Region,
    ancestors: list[Region],
    month: dt.date,
    current: dt.date,
    first: dt.date,
    months: list[dt.date],
) -> Dashboard:
    """A village: its cooperative's figures (counted at its seat), states as they are now, and its
    sales read from that one cooperative's orders for those who may see its books."""
    link = _link_cooperative(region.code)
    cooperative = _village_cooperative(link) if link else None
    seat = cooperative.seat_code if cooperative else region.code
    stats = _region_stats(list({region.code, seat}), STATES)
    own, at_seat = stats.get(region.code, {}), stats.get(seat, {})
    sales_visible = link is not None and can(user, COOPERATIVE_SALES, link.cooperative)
    registry_url = (
        reverse("cooperatives:detail", args=[link.cooperative.pk])
        if link is not None and can(user, "cooperatives.view", link.cooperative)
        else ""
    )
    figures: list[Figure] = []
    now_note = "" if month == current else gettext_lazy("As it is now")
    for key in ("cooperatives", "legal_entity", "members_active", "units_operating"):
        # A cooperative's own counts sit at its seat (this village or the neighbour it shares).
        figures.append(Figure(key=key, label=LABELS[key], value=at_seat.get(key, 0), note=now_note))
    figures.append(
        Figure(
            key="products_ready",
            label=LABELS["products_ready"],
            value=own.get("products:ready", 0),
            note=now_note,
        )
    )
    figures.append(
        Figure(
            key="products_curated",
            label=LABELS["products_curated"],
            value=own.get("products:curated", 0) + own.get("products:ready", 0),
            note=now_note,
        )
    )
    series: list[SeriesPoint] = []
    if sales_visible:
        flows = _village_months(link.cooperative.pk, region.code, first)
        previous = add_months(month, -1)
        for key in SALES_KEYS:
            figures.append(
                Figure(
                    key=key,
                    label=LABELS[key],
                    value=flows.get((month, key), 0),
                    previous=flows.get((previous, key), 0),
                    unit="rupiah" if key in ("gmv_paid", "display_sales") else "count",
                    history=[float(flows.get((at, key), 0)) for at in months],
                )
            )
        series = [
            SeriesPoint(at, flows.get((at, "gmv_paid"), 0), flows.get((at, "orders_created"), 0))
            for at in months
        ]
    return Dashboard(
        region=region,
        ancestors=ancestors,
        month=month,
        current_month=current,
        villages=1,
        figures=figures,
        funnel=_funnel({m: at_seat.get(m, 0) for m in STAGE_MEASURES}),
        series=series,
        board=[],
        lagging=Lagging(no_sales_basis=""),
        children=[],
        cooperative=cooperative,
        cooperative_url=registry_url,
        sales_visible=sales_visible,
    )


def dashboard_home_code(user) -> str | None:
    """The region whose dashboard a person lands on: a national admin the nation (""), a province
    or regency admin, village head or mentor their region; None for anyone else."""
    from kopdes.accounts.choices import Role

    if not getattr(user, "is_authenticated", False):
        return None
    order = (Role.ADMIN_NATIONAL, Role.ADMIN_PROVINCE, Role.ADMIN_REGENCY, Role.VILLAGE_HEAD, Role.MENTOR)
    assignments = sorted(
        (a for a in user.active_roles() if a.role in order),
        key=lambda a: (order.index(a.role), a.region_id or ""),
    )
    if not assignments:
        return None
    first = assignments[0]
    return "" if first.role == Role.ADMIN_NATIONAL else (first.region_id or None)
