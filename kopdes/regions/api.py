from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from kopdes.core.errors import DomainError
from kopdes.core.pagination import Pages
from kopdes.core.policies import require

from .codes import normalize_code
from .selectors import region_ancestors, region_children, region_get, region_search

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    kind: str
    postal_code: str
    child_count: int
    village_count: int


class RegionRef(Schema):
    code: str
    name: str
    level: int


class RegionDetailOut(RegionOut):
    path: str
    parent_code: str | None
    ancestors: list[RegionRef]


class RegionFilter(Schema):
    parent: str | None = None
    q: str | None = None
    level: int | None = None


def _check_code(code: str | None, field: str) -> str | None:
    if code is None or code == "":
        return None
    normal = normalize_code(code)
    if normal is None:
        message = _("Not a Kemendagri region code (e.g. 53 or 53.07.01.2001).")
        raise DomainError(message, code="invalid_region_code", fields={field: [message]})
    return normal


@router.get("/", response=list[RegionOut], auth=None)
@paginate(Pages)
def list_regions(request, filters: Query[RegionFilter]):
    """Children of `parent` (the provinces without it), or a name search with `q`."""
    require(request.user, "regions.view")
    parent = _check_code(filters.parent, "parent")
    if filters.level is not None and filters.level not in (1, 2, 3, 4):
        raise DomainError(_("Level is 1 to 4."), code="invalid", fields={"level": [_("Level is 1 to 4.")]})
    if filters.q:
        return region_search(query=filters.q[:100], level=filters.level, within=parent, limit=200)
    return region_children(parent=region_get(code=parent) if parent else None)


@router.get("/{code}", response=RegionDetailOut, auth=None)
def get_region(request, code: str):
    region = region_get(code=code)
    require(request.user, "regions.view", region)
    return {
        **{f: getattr(region, f) for f in RegionOut.model_fields},
        "path": region.path,
        "parent_code": region.parent_id,
        "ancestors": region_ancestors(region=region),
    }


@router.get("/{code}/children", response=list[RegionOut], auth=None)
@paginate(Pages)
def list_children(request, code: str):
    region = region_get(code=code)
    require(request.user, "regions.view", region)
    return region_children(parent=region)
