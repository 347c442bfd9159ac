"""Coverage through the API: the same numbers as the coverage pages, public like them."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.pagination import paginate

from kopdes.accounts.api_auth import API_AUTH
from kopdes.core.pagination import Pages

from . import selectors
from .measures import SCHEMES, STAGES

router = Router(tags=["coverage"])


class RegionRef(Schema):
    code: str
    name: str
    level: int


class VillageCooperativeOut(Schema):
    id: int
    name: str
    slug: str
    scheme: str
    stage: str
    stage_status: str
    seat_code: str
    is_seat: bool


class CoverageRowOut(Schema):
    code: str  # "" for the nation
    name: str
    level: int  # 0 nation, 1 province, 2 regency/city, 3 district, 4 village
    villages: int
    villages_covered: int
    percent_covered: float
    cooperatives: int
    schemes: dict[str, int]
    stages: dict[str, int]
    legal_entity: int
    members_active: int
    units_operating: int
    seven_units_operating: int
    cooperative: VillageCooperativeOut | None = None


class CoverageOut(Schema):
    region: CoverageRowOut
    ancestors: list[RegionRef]
    children: list[CoverageRowOut]


class VillageOut(Schema):
    code: str
    name: str
    kind: str
    path: str


def _row(row: selectors.CoverageRow) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "villages": row.villages,
        "villages_covered": row.covered,
        "percent_covered": round(row.percent, 2),
        "cooperatives": row.value("cooperatives"),
        "schemes": {s: row.value(f"scheme:{s}") for s in SCHEMES},
        "stages": {s: row.value(f"stage:{s}") for s in STAGES},
        "legal_entity": row.value("legal_entity"),
        "members_active": row.value("members_active"),
        "units_operating": row.value("units_operating"),
        "seven_units_operating": row.value("seven_units_operating"),
        "cooperative": row.cooperative,
    }


def _coverage(request, code: str) -> dict:
    data = selectors.coverage_get(user=request.user, code=code)
    return {
        "region": _row(data.total),
        "ancestors": data.ancestors,
        "children": [_row(child) for child in data.children],
    }


@router.get("/", response=CoverageOut, auth=None)
def nation_coverage(request):
    """Coverage of the whole nation, with a row per province."""
    return _coverage(request, "")


@router.get("/{code}", response=CoverageOut, auth=None)
def region_coverage(request, code: str):
    """Coverage of a region (province, regency/city, district or village), with a row per child."""
    return _coverage(request, code)


@router.get("/{code}/without-cooperative", response=list[VillageOut], auth=None)
@paginate(Pages)
def villages_without_cooperative(request, code: str):
    """The villages of a province, regency or district that have no cooperative yet."""
    region, _ancestors = selectors.region_for_gaps(user=request.user, code=code)
    return selectors.villages_without_cooperative(user=request.user, region=region)


# --- Dashboards: every figure of the /dasbor/ pages ---------------------------------------------


class FigureOut(Schema):
    key: str
    label: str
    unit: str  # "count", "rupiah" (whole rupiah) or "percent"
    value: float | None  # None: not shown to this caller (a village cooperative's sales)
    previous: float | None  # the month before (states: at its end); None where not known
    change: float | None
    target: int | None = None  # featured products: the month's target
    history: list[float]  # the last 12 months, oldest first (states: at each month's end)


class FunnelStepOut(Schema):
    stage: str
    label: str
    at_stage: int
    reached: int  # at this stage or further


class SeriesPointOut(Schema):
    month: str  # YYYY-MM
    gmv_paid: int
    orders_created: int


class BoardRowOut(Schema):
    code: str  # the child region ("" for a month of a regency's own board)
    label: str
    month: str | None = None
    featured: int
    target: int


class DashboardChildOut(Schema):
    code: str
    name: str
    level: int
    villages: int
    villages_covered: int
    percent_covered: float
    cooperatives: int  # current states
    featured: int | None  # the month's flows (None where the rollups keep none: villages)
    target: int | None
    orders_created: int | None
    gmv_paid: int | None
    gmv_sold: int  # paid orders not cancelled or returned, to date
    cooperative: VillageCooperativeOut | None = None


class LaggingOut(Schema):
    coverage: list[str]  # codes of the children with the lowest coverage
    featured: list[str]  # furthest behind their featured target
    no_sales: list[str]
    no_sales_count: int
    no_sales_basis: str  # "month": nothing paid in the month; "ever": a village cooperative never sold


class DashboardOut(Schema):
    region: RegionRef
    ancestors: list[RegionRef]
    month: str
    current_month: str
    villages: int
    figures: list[FigureOut]
    funnel: list[FunnelStepOut]
    series: list[SeriesPointOut]
    board_kind: str
    board: list[BoardRowOut]
    lagging: LaggingOut
    children: list[DashboardChildOut]
    cooperative: VillageCooperativeOut | None = None
    sales_visible: bool


def _anyone(request) -> bool:
    return True


# Public, but a bearer token (or a session) still says who asks: a village cooperative's own sales
# are shown to those who may see its books. A token that is not valid is refused, never ignored.
OPTIONAL_AUTH = [*API_AUTH, _anyone]


def _dashboard(request, code: str, month: str | None) -> dict:
    from . import selectors_dashboard as dash

    data = dash.dashboard_get(user=request.user, code=code, month=dash.parse_month(month))
    lag = data.lagging
    return {
        "region": {"code": data.code, "name": data.name, "level": data.level},
        "ancestors": data.ancestors,
        "month": f"{data.month:%Y-%m}",
        "current_month": f"{data.current_month:%Y-%m}",
        "villages": data.villages,
        "figures": [
            {
                "key": f.key,
                "label": str(f.label),
                "unit": f.unit,
                "value": f.value,
                "previous": f.previous,
                "change": f.change,
                "target": f.target,
                "history": f.history,
            }
            for f in data.figures
        ],
        "funnel": [
            {"stage": s.stage, "label": str(s.label), "at_stage": s.at_stage, "reached": s.reached}
            for s in data.funnel
        ],
        "series": [
            {"month": f"{p.month:%Y-%m}", "gmv_paid": p.gmv_paid, "orders_created": p.orders_created}
            for p in data.series
        ],
        "board_kind": data.board_kind,
        "board": [
            {
                "code": b.code,
                "label": b.label,
                "month": f"{b.month:%Y-%m}" if b.month else None,
                "featured": b.featured,
                "target": b.target,
            }
            for b in data.board
        ],
        "lagging": {
            "coverage": [r.code for r in lag.coverage],
            "featured": [r.code for r in lag.featured],
            "no_sales": [r.code for r in lag.no_sales],
            "no_sales_count": lag.no_sales_count,
            "no_sales_basis": lag.no_sales_basis,
        },
        "children": [
            {
                "code": r.code,
                "name": r.name,
                "level": r.level,
                "villages": r.villages,
                "villages_covered": r.covered,
                "percent_covered": round(r.percent, 2),
                "cooperatives": r.cooperatives,
                "featured": r.featured,
                "target": r.target,
                "orders_created": r.orders_created,
                "gmv_paid": r.gmv_paid,
                "gmv_sold": r.gmv_sold,
                "cooperative": r.cooperative,
            }
            for r in data.children
        ],
        "cooperative": data.cooperative,
        "sales_visible": data.sales_visible,
    }


@router.get("/dashboard/", response=DashboardOut, auth=OPTIONAL_AUTH)
def nation_dashboard(request, month: str | None = None):
    """The nation's dashboard for `month` (YYYY-MM; this month by default): key figures with the
    month before, the formation funnel, 12 months of sales, featured products against target per
    province, the provinces that lag, and a row per province."""
    return _dashboard(request, "", month)


@router.get("/dashboard/{code}", response=DashboardOut, auth=OPTIONAL_AUTH)
def region_dashboard(request, code: str, month: str | None = None):
    """A province's, regency's, district's or village's dashboard, with a row per child region.
    A village's cooperative's own sales are shown only to those who may see its books."""
    return _dashboard(request, code, month)
