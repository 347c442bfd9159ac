from __future__ import annotations

import pytest


def test_a_region_by_code_with_its_ancestors(client, regions):
    response = client.get("/api/v1/regions/53.07.01.2001")

    body = response.json()
    assert response.status_code == 200
    assert body["level"] == 4 and body["parent_code"] == "53.07.01"
    assert [a["code"] for a in body["ancestors"]] == ["53", "53.07", "53.07.01"]
    assert len(body["postal_code"]) == 5


def test_the_listing_without_a_parent_gives_the_provinces(client, regions):
    body = client.get("/api/v1/regions/?page_size=100").json()

    assert body["count"] == 38 and len(body["items"]) == 38


def test_children_are_paginated(client, regions):
    first = client.get("/api/v1/regions/64.02/children?page_size=5").json()
    second = client.get("/api/v1/regions/64.02/children?page_size=5&page=2").json()

    assert first["count"] == 20
    assert len(first["items"]) == 5
    assert {r["code"] for r in first["items"]}.isdisjoint(r["code"] for r in second["items"])


def test_a_name_search_within_a_province(client, regions):
    body = client.get("/api/v1/regions/?q=alok&parent=53").json()

    assert body["count"] >= 1
    assert all(r["code"].startswith("53.") for r in body["items"])


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/regions/99", 404, "unknown_region"),
        ("/api/v1/regions/12345", 404, "unknown_region"),
        ("/api/v1/regions/?parent=5x", 400, "invalid_region_code"),
        ("/api/v1/regions/?level=7", 400, "invalid"),
        ("/api/v1/regions/?page=0", 422, "validation_error"),
    ],
)
def test_bad_region_requests_get_a_clear_4xx_in_the_error_format(client, regions, url, status, code):
    response = client.get(url)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
