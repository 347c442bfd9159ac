"""The map pages: /peta/ (the nation) down to a village, and their points as GeoJSON.

The page is whole without JavaScript and without tiles: the legend and a table of the markers are
plain HTML; the Leaflet map (django-leaflet's copy, from our own static files) draws the same
markers from the GeoJSON address on top, over tiles only when MAP_TILES_URL is set.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from kopdes.core.paging import paginate

from . import selectors_map

GEOJSON = "application/geo+json"


def tile_layer() -> dict[str, str]:
    """The first tile layer of LEAFLET_CONFIG["TILES"] ((name, url, options)), or none at all."""
    tiles = getattr(settings, "LEAFLET_CONFIG", {}).get("TILES") or []
    if not tiles:
        return {"url": "", "attribution": ""}
    _name, url, options = tiles[0]
    return {
        "url": url,
        "attribution": (options or {}).get("attribution", "") if isinstance(options, dict) else "",
    }


def geojson_url(code: str) -> str:
    return (
        reverse("monitoring:map_geojson", args=[code]) if code else reverse("monitoring:map_geojson_nation")
    )


@require_GET
def region_map(request: HttpRequest, code: str = "") -> HttpResponse:
    """The map of the nation or of a region, with its markers as a table below it."""
    data = selectors_map.map_get(user=request.user, code=code)
    page = paginate(request, data.areas if data.aggregated else data.points)
    context = {
        "map": data,
        "page": page,
        "legend": selectors_map.legend(),
        "tiles": tile_layer(),
        "geojson_url": geojson_url(data.code),
        "without_location": max(data.cooperatives_registered - data.cooperatives_located, 0),
    }
    return render(request, "monitoring/map/page.html", context)


@require_GET
def region_map_geojson(request: HttpRequest, code: str = "") -> HttpResponse:
    """The markers of the page as a GeoJSON FeatureCollection."""
    data = selectors_map.map_get(user=request.user, code=code)
    return JsonResponse(
        data.feature_collection(), content_type=GEOJSON, json_dumps_params={"ensure_ascii": False}
    )
