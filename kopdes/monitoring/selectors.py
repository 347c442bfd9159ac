"""Reads of coverage: a region's totals and its children's, from the rollups (`RegionStat`).

A coverage page costs two queries whatever the region: the region with its ancestors and
children, then every measure of those regions (`region_code IN (...)`). A district's page adds
one for its villages' cooperatives, a village's page one for its cooperative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from kopdes.accounts.choices import Role
from kopdes.cooperatives.selectors import village_cooperative_links, villages_served
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.policies import require
from kopdes.regions.codes import normalize_code
from kopdes.regions.models import Region

from .measures import COLUMNS, codes_up
from .models import RegionStat

VIEW = "cooperatives.coverage.view"
_REGION_FIELDS = ("code", "name", "level", "kind", "parent_id", "village_count")
# The measures after the "% covered" column, in the table's order.
COUNT_MEASURES: list[str] = [c.key for c in COLUMNS[3:]]


@dataclass
class VillageCooperative:
    """The cooperative a village has (its seat, or one it shares with a small neighbour)."""

    id: int
    name: str
    slug: str
    scheme: str
    scheme_label: str
    stage: str
    stage_label: str
    stage_status: str
    stage_status_label: str
    seat_code: str
    is_seat: bool

    @property
    def public_url(self) -> str:
        try:
            return reverse("cooperatives:microsite", args=[self.slug])
        except NoReverseMatch:  # the microsite is another part of the app; links wait for it
            return ""


@dataclass
class CoverageRow:
    code: str  # "" for the nation
    name: str
    level: int  # 0 for the nation, 1 to 4 for province … village
    kind: str
    villages: int
    stats: dict[str, int] = field(default_factory=dict)
    cooperative: VillageCooperative | None = None

    def value(self, measure: str) -> int:
        return self.stats.get(measure, 0)

    @property
    def covered(self) -> int:
        return self.value("villages_covered")

    @property
    def without(self) -> int:
        return max(self.villages - self.covered, 0)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.villages if self.villages else 0.0

    @property
    def percent_text(self) -> str:
        """45.25 -> '45,3' (Indonesian decimal comma, like every number on the site)."""
        return f"{self.percent:.1f}".replace(".", ",")

    @property
    def bar(self) -> str:
        """The bar's width out of 100 for an SVG attribute (a dot, never localised)."""
        return f"{min(self.percent, 100.0):.1f}"

    @property
    def counts(self) -> list[int]:
        return [self.stats.get(m, 0) for m in COUNT_MEASURES]

    @property
    def url(self) -> str:
        return reverse("monitoring:region", args=[self.code]) if self.code else reverse("monitoring:coverage")


@dataclass
class Coverage:
    region: Region | None  # None: the nation
    ancestors: list[Region]
    total: CoverageRow
    children: list[CoverageRow]
    # A village page: the cooperative the village has, and the counts of that cooperative's seat.
    cooperative: VillageCooperative | None = None
    seat: CoverageRow | None = None

    @property
    def code(self) -> str:
        return self.region.code if self.region else ""

    @property
    def level(self) -> int:
        return self.region.level if self.region else 0


def check_code(code: str) -> str:
    """A well-formed Kemendagri code, or a 400 the page and the API both show."""
    normal = normalize_code(code)
    if normal is None:
        message = _("Not a Kemendagri region code (e.g. 53 or 53.07.01.2001).")
        raise DomainError(message, code="invalid_region_code", fields={"code": [message]})
    return normal


def _unknown(code: str) -> NotFound:
    return NotFound(_("Unknown region code: %(code)s") % {"code": code}, code="unknown_region")


def _row(region: Region, stats: dict[str, dict[str, int]]) -> CoverageRow:
    return CoverageRow(
        code=region.code,
        name=region.name,
        level=region.level,
        kind=region.kind,
        villages=region.village_count if region.level < 4 else 1,
        stats=stats.get(region.code, {}),
    )


def _stats(codes: list[str]) -> dict[str, dict[str, int]]:
    """Every measure of these regions, in one query."""
    found: dict[str, dict[str, int]] = {}
    rows = RegionStat.objects.filter(region_code__in=codes).values_list("region_code", "measure", "value")
    for code, measure, value in rows:
        found.setdefault(code, {})[measure] = value
    return found


def _village_cooperatives(codes: list[str]) -> dict[str, VillageCooperative]:
    links = village_cooperative_links(village_codes=codes)
    found = {}
    for link in links:
        coop = link.cooperative
        found[link.village_id] = VillageCooperative(
            id=coop.pk,
            name=coop.name,
            slug=coop.slug,
            scheme=coop.scheme,
            scheme_label=str(coop.get_scheme_display()),
            stage=coop.stage or "none",
            stage_label=str(coop.get_stage_display()) if coop.stage else _("Not started"),
            stage_status=coop.stage_status,
            stage_status_label=str(coop.get_stage_status_display()) if coop.stage_status else "",
            seat_code=coop.village_id,
            is_seat=link.is_seat,
        )
    return found


def coverage_get(*, user, code: str = "") -> Coverage:
    """Coverage of the nation (code "") or of a region, with a row for each of its children."""
    if not code:
        require(user, VIEW, None)
        children = list(Region.objects.filter(level=1).only(*_REGION_FIELDS).order_by("code"))
        stats = _stats(["", *(c.code for c in children)])
        rows = [_row(child, stats) for child in children]
        total = CoverageRow(
            code="",
            name="Indonesia",
            level=0,
            kind="",
            villages=sum(c.villages for c in rows),
            stats=stats.get("", {}),
        )
        return Coverage(region=None, ancestors=[], total=total, children=rows)

    normal = check_code(code)
    # The region, its ancestors (the breadcrumb) and its children (the table) in one query.
    found = list(
        Region.objects.filter(Q(code__in=codes_up(normal)[1:]) | Q(parent_id=normal))
        .only(*_REGION_FIELDS)
        .order_by("code")
    )
    region = next((r for r in found if r.code == normal), None)
    if region is None:
        raise _unknown(code)
    require(user, VIEW, region)
    above = set(codes_up(normal)[1:-1])
    ancestors = [r for r in found if r.code in above]
    children = [r for r in found if r.parent_id == normal]

    if region.level == 4:
        cooperative = _village_cooperatives([normal]).get(normal)
        seat_code = cooperative.seat_code if cooperative else normal
        stats = _stats(list({normal, seat_code}))
        total = _row(region, stats)
        total.cooperative = cooperative
        # The cooperative's own figures are counted at its seat (this village or a neighbour).
        seat = CoverageRow(
            code=seat_code, name="", level=4, kind="", villages=1, stats=stats.get(seat_code, {})
        )
        return Coverage(
            region=region,
            ancestors=ancestors,
            total=total,
            children=[],
            cooperative=cooperative,
            seat=seat if cooperative else None,
        )

    stats = _stats([normal, *(c.code for c in children)])
    rows = [_row(child, stats) for child in children]
    if region.level == 3:
        # The district's villages by their codes, already at hand: the unique index on the village,
        # no join, and no text range (which a database's collation could order differently).
        cooperatives = _village_cooperatives([row.code for row in rows])
        for row in rows:
            row.cooperative = cooperatives.get(row.code)
    return Coverage(region=region, ancestors=ancestors, total=_row(region, stats), children=rows)


def region_for_gaps(*, user, code: str) -> tuple[Region, list[Region]]:
    """A province, regency or district whose villages without a cooperative are asked for, with its
    ancestors (the breadcrumb)."""
    normal = check_code(code)
    found = list(Region.objects.filter(code__in=codes_up(normal)[1:]).only(*_REGION_FIELDS).order_by("code"))
    region = next((r for r in found if r.code == normal), None)
    if region is None:
        raise _unknown(code)
    require(user, VIEW, region)
    if region.level == 4:
        message = _("Choose a province, regency or district: a village has no villages below it.")
        raise DomainError(message, code="invalid_region_level", fields={"code": [message]})
    return region, [r for r in found if r.code != normal]


def villages_without_cooperative(*, user, region: Region) -> QuerySet[Region]:
    """The villages of a region that no cooperative serves yet (one anti-join), by code."""
    require(user, VIEW, region)
    served = villages_served(village=OuterRef("code"))
    return (
        Region.objects.filter(level=4, code__startswith=region.code + ".")
        .filter(~Exists(served))
        .only("code", "name", "kind", "path", "parent_id", "level")
        .order_by("code")
    )


@dataclass
class AdminGap:
    region: Region
    without: int


def admin_gaps(*, user) -> list[AdminGap]:
    """For a regency or province admin's home page: each of their regions and how many of its
    villages have no cooperative yet."""
    if not getattr(user, "is_authenticated", False):
        return []
    gaps = []
    for assignment in user.active_roles():
        if assignment.role in (Role.ADMIN_REGENCY, Role.ADMIN_PROVINCE) and assignment.region_id:
            region = assignment.region
            gaps.append(AdminGap(region, villages_without_cooperative(user=user, region=region).count()))
    return gaps
