from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from kopdes.core import policies
from kopdes.monitoring import selectors_map

from .test_map_selectors import build_world


@pytest.fixture
def world(regions, kukar_admin):
    return build_world(kukar_admin)


TILES = {
    "TILES": [
        ("Peta", "https://tiles.example.id/{z}/{x}/{y}.png", {"attribution": "© Peta Contoh"}),
    ]
}


def head_assets(body: str) -> list[str]:
    """The addresses of every script and stylesheet the page loads."""
    return re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', body)


def test_the_nation_map_page_renders_without_tiles_and_lists_the_regencies(client, world):
    client.cookies["django_language"] = "en"

    response = client.get(reverse("monitoring:map"))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-tiles=""' in body and 'data-geojson="/peta/titik.geojson"' in body
    # Leaflet comes from django-leaflet's static files, served by us; nothing from elsewhere.
    assets = head_assets(body)
    assert "/static/leaflet/leaflet.js" in assets and "/static/leaflet/leaflet.css" in assets
    assert "/static/monitoring/map.js" in assets
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert "openstreetmap" not in body
    # The markers as a table, with a link down to each regency's map.
    assert 'href="/peta/64.02/">Kabupaten Kutai Kartanegara</a>' in body
    assert 'href="/peta/53.07/"' in body
    # The legend names every stage.
    for label in ("Not started", "Socialisation", "Musdesus", "Operating", "Display point"):
        assert label in body


def test_the_tile_server_is_a_setting(client, world, settings):
    settings.LEAFLET_CONFIG = TILES

    body = client.get(reverse("monitoring:map_region", args=["64"])).content.decode()

    assert 'data-tiles="https://tiles.example.id/{z}/{x}/{y}.png"' in body
    assert 'data-attribution="© Peta Contoh"' in body


def test_a_regency_map_page_lists_its_places_with_links(client, world):
    client.cookies["django_language"] = "en"

    response = client.get(reverse("monitoring:map_region", args=["64.02"]))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-geojson="/peta/64.02/titik.geojson"' in body
    assert '<a href="/k/6402061001/">Koperasi Kelurahan Merah Putih Jahab</a>' in body
    assert "Gerai Pasar Tangga Arung" in body and "Galeri Bandara" in body
    assert '<a href="/titik-pajang/galeri-bandara/">' in body
    assert "Bukit Biru" not in body  # no location
    assert "-0.42000, 116.98000" in body
    # Three located of the five registered cooperatives of the regency.
    assert "3 cooperatives with a recorded location" in body and "2 without one yet" in body
    assert [a.code for a in response.context["map"].ancestors] == ["64"]


def test_a_capped_map_says_so(client, world, monkeypatch):
    client.cookies["django_language"] = "en"
    monkeypatch.setattr(selectors_map, "POINT_CAP", 2)

    body = client.get(reverse("monitoring:map_region", args=["64.02"])).content.decode()

    assert "only the first 2 are shown" in body


def test_an_empty_map_says_why(client, world):
    client.cookies["django_language"] = "en"

    body = client.get(reverse("monitoring:map_region", args=["64.02.06.1003"])).content.decode()

    assert "No place here has a recorded location yet" in body


def test_the_geojson_of_the_page(client, world):
    response = client.get(reverse("monitoring:map_geojson", args=["64.02.06"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["kind"] for f in data["features"]] == ["cooperative", "cooperative", "outlet"]
    nation = json.loads(client.get(reverse("monitoring:map_geojson_nation")).content)
    assert {f["properties"]["code"] for f in nation["features"]} == {"64.02", "64.71", "53.07"}
    assert all(f["properties"]["kind"] == "area" for f in nation["features"])


def test_a_bad_code_is_a_400_and_an_unknown_one_a_404(client, world):
    assert client.get(reverse("monitoring:map_region", args=["abc"])).status_code == 400
    assert client.get(reverse("monitoring:map_region", args=["99.99"])).status_code == 404
    assert client.get(reverse("monitoring:map_geojson", args=["99.99"])).status_code == 404


def test_the_map_asks_the_policy_layer(client, world, monkeypatch):
    # The map is public (its rule says yes to everyone); a refusal would be a 403 everywhere.
    assert policies.can(None, "monitoring.map.view", None)
    monkeypatch.setitem(policies._rules, "monitoring.map.view", lambda user, region: False)

    assert client.get(reverse("monitoring:map")).status_code == 403
    assert client.get(reverse("monitoring:map_geojson", args=["64.02"])).status_code == 403


@pytest.mark.parametrize(
    ("name", "args", "queries"),
    [
        ("monitoring:map", [], 5),
        ("monitoring:map_region", ["64"], 6),
        ("monitoring:map_region", ["64.02"], 5),
        ("monitoring:map_geojson", ["64.02.06"], 5),
    ],
)
def test_a_map_page_costs_a_fixed_number_of_queries(
    client, world, name, args, queries, django_assert_max_num_queries
):
    client.get(reverse(name, args=args))  # the first request of a process fills caches of its own

    with django_assert_max_num_queries(queries):
        assert client.get(reverse(name, args=args)).status_code == 200
