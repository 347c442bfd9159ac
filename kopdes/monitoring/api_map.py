"""The map through the API: the same GeoJSON as /peta/…/titik.geojson, public like the map.

Mounted under /api/v1/coverage: /coverage/map.geojson (the nation) and
/coverage/map/{code}.geojson. The nation's and a province's maps hold one feature per regency
(kind "area": count, stage mix, the mean position of its places); a regency's, district's or
village's map the places themselves (at most 5,000; `properties.capped` says when there are more).
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema

from . import selectors_map

router = Router(tags=["coverage"])


class PointGeometry(Schema):
    type: Literal["Point"]
    coordinates: list[float]  # [longitude, latitude] (RFC 7946)


class MapFeature(Schema):
    type: Literal["Feature"]
    geometry: PointGeometry
    # kind: "area" (a regency's places), "cooperative", "outlet", "warehouse" or "display";
    # name, stage, colour and url (the microsite, the display point's page or the regency's map).
    properties: dict[str, Any]


class MapOut(Schema):
    type: Literal["FeatureCollection"]
    features: list[MapFeature]
    properties: dict[str, Any]  # region, aggregated, count, capped, cap


def _geojson(request: HttpRequest, code: str) -> JsonResponse:
    data = selectors_map.map_get(user=request.user, code=code)
    return JsonResponse(
        data.feature_collection(),
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )


@router.get("/map.geojson", response=MapOut, auth=None)
def nation_map(request):
    """The nation's map: one feature per regency with located places (count, stage mix, position)."""
    return _geojson(request, "")


@router.get("/map/{code}.geojson", response=MapOut, auth=None)
def region_map(request, code: str):
    """A region's map: per regency for a province; the places themselves (cooperatives, outlets,
    warehouses, display points) for a regency, district or village, at most 5,000."""
    return _geojson(request, code)
