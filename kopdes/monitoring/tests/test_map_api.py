"""The map through the API (kopdes.monitoring.api_map, mounted under /api/v1/coverage)."""

from __future__ import annotations

import json

import pytest

from kopdes.core import policies

from .test_map_selectors import build_world


@pytest.fixture
def world(regions, kukar_admin):
    return build_world(kukar_admin)


def test_the_nation_map_is_one_area_feature_per_regency(client, world):
    response = client.get("/api/v1/coverage/map.geojson")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert data["properties"]["aggregated"] is True
    kukar = next(f for f in data["features"] if f["properties"]["code"] == "64.02")
    assert kukar["geometry"]["type"] == "Point" and len(kukar["geometry"]["coordinates"]) == 2
    assert kukar["properties"]["count"] == 5
    assert kukar["properties"]["stages"] == {"none": 2, "sosialisasi": 1}


def test_a_regency_map_lists_its_places(client, world):
    response = client.get("/api/v1/coverage/map/64.02.geojson")

    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["properties"]["region"] == {
        "code": "64.02",
        "name": "Kabupaten Kutai Kartanegara",
        "level": 2,
    }
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds == ["cooperative", "cooperative", "cooperative", "outlet", "display"]
    assert data["features"][1]["geometry"]["coordinates"] == [116.98, -0.42]


def test_a_bad_unknown_or_refused_region_is_an_api_error(client, world, monkeypatch):
    bad = client.get("/api/v1/coverage/map/abc.geojson")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_region_code"
    assert client.get("/api/v1/coverage/map/99.99.geojson").status_code == 404

    monkeypatch.setitem(policies._rules, "monitoring.map.view", lambda user, region: False)
    assert client.get("/api/v1/coverage/map/64.02.geojson").status_code == 403


def test_the_map_is_in_the_openapi_document(client, world):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert "/api/v1/coverage/map.geojson" in paths
    assert "/api/v1/coverage/map/{code}.geojson" in paths
