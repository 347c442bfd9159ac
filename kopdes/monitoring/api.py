"""Coverage through the API: the same numbers as the coverage pages, public like them."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

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
@paginate(PageNumberPagination)
def villages_without_cooperative(request, code: str):
    """The villages of a province, regency or district that have no cooperative yet."""
    region, _ancestors = selectors.region_for_gaps(user=request.user, code=code)
    return selectors.villages_without_cooperative(user=request.user, region=region)
