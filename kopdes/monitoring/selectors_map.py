"""Reads for the map: cooperatives, outlets and display points that have a recorded location.

Nationally there are ~80,000 cooperatives: the map never sends them all. The nation's and a
province's maps show one marker per regency (how many points, their stage mix, and the mean of
their coordinates as the marker's place), from three grouped queries whose answers are bounded by
the number of regencies and stages, not by the number of points. A regency's, district's or village's
map shows the points themselves, at most `POINT_CAP` of them (and says so when there are more).
The grouped queries still read every located row (~0.5 s nationally), so their few hundred markers
are kept in the cache for `AREAS_SECONDS`: a stage change shows on the nation's map within minutes.

Only points with both coordinates are shown. They are public facts — a cooperative's office,
an outlet, a display point in an airport — with no personal data; the map is public like coverage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from kopdes.cooperatives.models import Cooperative
from kopdes.core.errors import NotFound
from kopdes.core.policies import require
from kopdes.market.choices import LocationKind
from kopdes.market.models import DisplayPoint, Location
from kopdes.regions.models import Region

from .measures import STAGE_LABELS, STAGES, codes_up
from .models import RegionStat
from .selectors import check_code

VIEW = "monitoring.map.view"
# The most points a regency's (or smaller region's) map sends; more are left out and said so.
POINT_CAP = 5000
# The nation's markers group every located place (~0.5 s on SQLite at national scale, for a few
# hundred rows): the nation's and provinces' markers are kept this long, and may be as old.
AREAS_SECONDS = 300
# A regency code is "pp.rr": the first five characters of any code below it.
REGENCY_CODE_LENGTH = 5

# One colour per formation stage, from grey (not started) through red and yellow to green
# (operating): ordered like the stages, and told apart by the legend's words as well as by colour.
STAGE_COLOURS: dict[str, str] = {
    "none": "#8c8c8c",
    "sosialisasi": "#d73027",
    "musdesus": "#f46d43",
    "rapat_pendirian": "#fdae61",
    "akta_notaris": "#e6c229",
    "badan_hukum": "#a6d96a",
    "nib": "#66bd63",
    "operasional": "#1a7f44",
}
# Display points belong to no cooperative (no stage): one colour of their own.
DISPLAY_COLOUR = "#6a3d9a"

KIND_COOPERATIVE = "cooperative"
KIND_DISPLAY = "display"
# Outlets and warehouses of cooperatives; a display point's shelf (a Location of kind "display")
# is the display point itself, shown once from DisplayPoint.
PLACE_KINDS = (LocationKind.OUTLET, LocationKind.WAREHOUSE)


def kind_labels() -> dict[str, StrOrPromise]:
    return {
        KIND_COOPERATIVE: _("Cooperative"),
        LocationKind.OUTLET.value: LocationKind.OUTLET.label,
        LocationKind.WAREHOUSE.value: LocationKind.WAREHOUSE.label,
        KIND_DISPLAY: _("Display point"),
    }


@dataclass
class LegendEntry:
    key: str
    label: StrOrPromise
    colour: str


def legend() -> list[LegendEntry]:
    """The stages' colours, then the display points' own, in the stages' order."""
    entries = [LegendEntry(s, STAGE_LABELS[s], STAGE_COLOURS[s]) for s in STAGES]
    return [*entries, LegendEntry(KIND_DISPLAY, _("Display point"), DISPLAY_COLOUR)]


@dataclass
class MapPoint:
    """One place on the map."""

    kind: str  # "cooperative", "outlet", "warehouse" or "display"
    name: str
    latitude: float
    longitude: float
    region_code: str  # the village (a display point: the region it was opened in)
    stage: str  # the cooperative's stage ("none" before the first); "" for a display point
    url: str  # the cooperative's microsite, or the display point's page
    cooperative: str = ""  # an outlet's or warehouse's cooperative
    display_kind: str = ""  # a display point's kind (airport, harbour, …)

    @property
    def colour(self) -> str:
        return STAGE_COLOURS.get(self.stage, DISPLAY_COLOUR) if self.stage else DISPLAY_COLOUR

    @property
    def kind_label(self) -> str:
        return str(kind_labels()[self.kind])

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.stage]) if self.stage else ""

    def feature(self) -> dict:
        properties = {
            "name": self.name,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "stage": self.stage,
            "stage_label": self.stage_label,
            "colour": self.colour,
            "url": self.url,
            "region_code": self.region_code,
        }
        if self.cooperative:
            properties["cooperative"] = self.cooperative
        if self.display_kind:
            properties["display_kind"] = self.display_kind
        return _feature(self.longitude, self.latitude, properties)


@dataclass
class MapArea:
    """A regency's points on a nation's or province's map: one marker at their mean position."""

    code: str
    name: str
    stages: dict[str, int]  # cooperatives by stage
    outlets: int  # outlets and warehouses
    displays: int
    latitude: float
    longitude: float

    @property
    def cooperatives(self) -> int:
        return sum(self.stages.values())

    @property
    def count(self) -> int:
        return self.cooperatives + self.outlets + self.displays

    @property
    def stage(self) -> str:
        """The most common stage of its cooperatives (the marker's colour); "" with none."""
        if not self.cooperatives:
            return ""
        return max(STAGES, key=lambda s: (self.stages.get(s, 0), STAGES.index(s)))

    @property
    def colour(self) -> str:
        return STAGE_COLOURS[self.stage] if self.stage else DISPLAY_COLOUR

    @property
    def stage_mix(self) -> list[tuple[str, StrOrPromise, str, int]]:
        """(stage, label, colour, count) for the stages it has, in the stages' order."""
        return [(s, STAGE_LABELS[s], STAGE_COLOURS[s], self.stages[s]) for s in STAGES if self.stages.get(s)]

    @property
    def url(self) -> str:
        return reverse("monitoring:map_region", args=[self.code])

    def feature(self) -> dict:
        return _feature(
            self.longitude,
            self.latitude,
            {
                "name": self.name,
                "kind": "area",
                "code": self.code,
                "count": self.count,
                "cooperatives": self.cooperatives,
                "outlets": self.outlets,
                "displays": self.displays,
                "stages": {s: self.stages[s] for s in STAGES if self.stages.get(s)},
                "stage": self.stage,
                "stage_label": str(STAGE_LABELS[self.stage]) if self.stage else "",
                "colour": self.colour,
                "url": self.url,
            },
        )


@dataclass
class RegionMap:
    region: Region | None  # None: the nation
    ancestors: list[Region]
    areas: list[MapArea] = field(default_factory=list)  # the nation's and a province's map
    points: list[MapPoint] = field(default_factory=list)  # a regency's map and below
    capped: bool = False  # more points than POINT_CAP: the first POINT_CAP are shown
    cap: int = POINT_CAP
    cooperatives_registered: int = 0  # every cooperative of the region, located or not (rollups)

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
    def aggregated(self) -> bool:
        return self.level <= 1

    @property
    def cooperatives_located(self) -> int:
        if self.aggregated:
            return sum(a.cooperatives for a in self.areas)
        return sum(1 for p in self.points if p.kind == KIND_COOPERATIVE)

    @property
    def count(self) -> int:
        return sum(a.count for a in self.areas) if self.aggregated else len(self.points)

    def feature_collection(self) -> dict:
        features = (
            [a.feature() for a in self.areas] if self.aggregated else [p.feature() for p in self.points]
        )
        return {
            "type": "FeatureCollection",
            "features": features,
            "properties": {
                "region": {"code": self.code, "name": self.name, "level": self.level},
                "aggregated": self.aggregated,
                "count": len(features),
                "capped": self.capped,
                "cap": self.cap,
            },
        }


def _feature(longitude: float, latitude: float, properties: dict) -> dict:
    # GeoJSON orders a position longitude first (RFC 7946 §3.1.1).
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(longitude, 6), round(latitude, 6)]},
        "properties": properties,
    }


def _degrees(value: Decimal | None) -> float:
    # Only located rows are read (both coordinates set), so a None never comes here.
    return float(value) if value is not None else 0.0


def _urls(name: str) -> Callable[[str], str]:
    """slug -> the page's address, reversing once (thousands of points would reverse thousands of
    times)."""
    try:
        pattern = reverse(name, args=[_SLUG])
    except NoReverseMatch:  # pages of other apps; the map still shows the point without a link
        return lambda slug: ""
    return lambda slug: pattern.replace(_SLUG, slug)


_SLUG = "slug-placeholder"


# --- Reading -------------------------------------------------------------------------------------

_REGION_FIELDS = ("code", "name", "level", "kind", "parent_id")
LOCATED = Q(latitude__isnull=False, longitude__isnull=False)


def _region(normal: str) -> tuple[Region, list[Region]]:
    """The region and its ancestors (the breadcrumb), in one query."""
    found = list(Region.objects.filter(code__in=codes_up(normal)[1:]).only(*_REGION_FIELDS).order_by("code"))
    region = next((r for r in found if r.code == normal), None)
    if region is None:
        raise NotFound(_("Unknown region code: %(code)s") % {"code": normal}, code="unknown_region")
    return region, [r for r in found if r.code != normal]


def _villages(region: Region) -> QuerySet[Region, Any] | list[str]:
    """The codes of the villages in a region, as nested subqueries that walk the tree down by
    parent: each step an index lookup on both databases, where a text prefix or range on a code
    may scan (LIKE on PostgreSQL outside the C collation) or order differently (the collation)."""
    if region.level == 4:
        return [region.code]
    codes = Region.objects.filter(parent_id=region.code).values("code")
    for _level in range(region.level, 3):
        codes = Region.objects.filter(parent_id__in=codes).values("code")
    return codes


def _in_region(field_name: str, region: Region | None) -> Q:
    """A display point's region at any level: the region itself or any region below it."""
    if region is None:
        return Q()
    # `region__code` is the foreign key's own column: no join.
    return Q(**{f"{field_name}__code": region.code}) | Q(
        **{f"{field_name}__code__startswith": region.code + "."}
    )


def _registered(code: str) -> int:
    row = RegionStat.objects.filter(region_code=code, measure="cooperatives").values_list("value", flat=True)
    return next(iter(row), 0)


@dataclass
class _Sum:
    count: int = 0
    latitude: Decimal = Decimal(0)
    longitude: Decimal = Decimal(0)


def _areas(region: Region | None) -> list[MapArea]:
    """One marker per regency: three grouped queries (cooperatives by regency and stage, outlets
    and display points by regency) and one for the regencies' names."""
    cooperatives = Cooperative.objects.filter(LOCATED)
    places = Location.objects.filter(LOCATED, kind__in=PLACE_KINDS, is_active=True)
    displays = DisplayPoint.objects.filter(LOCATED, _in_region("region", region), is_active=True)
    if region is not None:
        villages = _villages(region)
        cooperatives = cooperatives.filter(village_id__in=villages)
        places = places.filter(village_id__in=villages)

    # Per regency: count, sum of latitudes, sum of longitudes, and the stage mix.
    sums: dict[str, _Sum] = {}
    stages: dict[str, dict[str, int]] = {}
    outlets: dict[str, int] = {}
    shown: dict[str, int] = {}

    def add(area: str, n: int, lat: Decimal | None, lon: Decimal | None) -> None:
        total = sums.setdefault(area, _Sum())
        total.count += n
        total.latitude += lat or 0
        total.longitude += lon or 0

    def grouped(queryset: QuerySet, code_field: str, *extra: str) -> QuerySet:
        return (
            queryset.order_by()
            .annotate(area=Substr(code_field, 1, REGENCY_CODE_LENGTH))
            .values("area", *extra)
            .annotate(n=Count("pk"), lat=Sum("latitude"), lon=Sum("longitude"))
            .values_list("area", *extra, "n", "lat", "lon")
        )

    for area, stage, n, lat, lon in grouped(cooperatives, "village_id", "stage"):
        add(area, n, lat, lon)
        key = stage or "none"
        stages.setdefault(area, {})[key] = stages.get(area, {}).get(key, 0) + n
    for area, n, lat, lon in grouped(places, "village_id"):
        add(area, n, lat, lon)
        outlets[area] = outlets.get(area, 0) + n
    for area, n, lat, lon in grouped(displays, "region_id"):
        # A display point opened at a province's level has no regency: it stands at the province.
        add(area, n, lat, lon)
        shown[area] = shown.get(area, 0) + n

    names = dict(Region.objects.filter(code__in=list(sums)).values_list("code", "name"))
    areas = []
    for area, total in sums.items():
        areas.append(
            MapArea(
                code=area,
                name=names.get(area, area),
                stages=stages.get(area, {}),
                outlets=outlets.get(area, 0),
                displays=shown.get(area, 0),
                latitude=float(total.latitude) / total.count,
                longitude=float(total.longitude) / total.count,
            )
        )
    return sorted(areas, key=lambda a: a.code)


def _points(region: Region, cap: int) -> tuple[list[MapPoint], bool]:
    """The region's points, cooperatives first, then outlets and warehouses, then display points;
    at most `cap` (three queries, each asking for one more than it may show to know if it is cut)."""
    villages = _villages(region)
    microsite = _urls("cooperatives:microsite")
    cooperatives = (
        Cooperative.objects.filter(LOCATED, village_id__in=villages)
        .order_by("village_id")
        .values_list("name", "slug", "stage", "village_id", "latitude", "longitude")[: cap + 1]
    )
    points = [
        MapPoint(
            kind=KIND_COOPERATIVE,
            name=name,
            latitude=_degrees(lat),
            longitude=_degrees(lon),
            region_code=village,
            stage=stage or "none",
            url=microsite(slug),
        )
        for name, slug, stage, village, lat, lon in cooperatives
    ]
    if len(points) < cap + 1:
        places = (
            Location.objects.filter(LOCATED, village_id__in=villages, kind__in=PLACE_KINDS, is_active=True)
            .order_by("village_id", "id")
            .values_list(
                "kind",
                "name",
                "village_id",
                "latitude",
                "longitude",
                "cooperative__name",
                "cooperative__slug",
                "cooperative__stage",
            )[: cap + 1 - len(points)]
        )
        points += [
            MapPoint(
                kind=kind,
                name=name,
                latitude=_degrees(lat),
                longitude=_degrees(lon),
                region_code=village,
                stage=stage or "none",
                url=microsite(slug),
                cooperative=coop_name,
            )
            for kind, name, village, lat, lon, coop_name, slug, stage in places
        ]
    if len(points) < cap + 1:
        displays = (
            DisplayPoint.objects.filter(LOCATED, _in_region("region", region), is_active=True)
            .order_by("region_id", "name")
            .values_list("name", "slug", "kind", "region_id", "latitude", "longitude")[
                : cap + 1 - len(points)
            ]
        )
        page = _urls("market:display_point")
        kinds = dict(DisplayPoint._meta.get_field("kind").flatchoices)
        points += [
            MapPoint(
                kind=KIND_DISPLAY,
                name=name,
                latitude=_degrees(lat),
                longitude=_degrees(lon),
                region_code=code,
                stage="",
                url=page(slug),
                display_kind=str(kinds.get(kind, kind)),
            )
            for name, slug, kind, code, lat, lon in displays
        ]
    return points[:cap], len(points) > cap


def map_get(*, user, code: str = "") -> RegionMap:
    """The map of the nation (code "") or of a region: per-regency markers for the nation and a
    province, the points themselves (at most POINT_CAP) for a regency, district or village."""
    region, ancestors = (None, []) if not code else _region(check_code(code))
    require(user, VIEW, region)
    found = RegionMap(
        region=region,
        ancestors=ancestors,
        cap=POINT_CAP,
        cooperatives_registered=_registered(region.code if region else ""),
    )
    if region is None or region.level == 1:
        found.areas = cache.get_or_set(  # type: ignore[assignment]  # a list of MapArea, or its cached copy
            f"monitoring:map:areas:{found.code}", lambda: _areas(region), AREAS_SECONDS
        )
    else:
        found.points, found.capped = _points(region, POINT_CAP)
    return found
