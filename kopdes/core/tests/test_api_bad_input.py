"""Input no client should send still gets a 4xx with the API's error body, never a 500. Each case
was found by fuzzing the OpenAPI schema with schemathesis against the demo data (2026-11-24)."""

from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.models import ApiToken
from kopdes.accounts.tests.factories import bearer, person

pytestmark = pytest.mark.django_db


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert body["code"] == code
    return body


@pytest.mark.parametrize("page", [10**6, 10**9])
def test_a_page_past_the_end_is_empty(client, regions, page):
    response = client.get("/api/v1/regions/64/children", {"page": page})
    assert response.status_code == 200
    assert response.json()["items"] == [] and response.json()["count"] > 0


@pytest.mark.parametrize("query", [{"page": 10**20}, {"page": 0}, {"page_size": 10**20}])
def test_a_page_number_no_table_reaches_is_refused(client, regions, query):
    # An offset beyond 64 bits failed in the database ("datatype mismatch" on SQLite).
    body = error_of(client.get("/api/v1/regions/64/children", query), 422, "validation_error")
    assert list(body["fields"]) == [next(iter(query))]


def test_every_paginated_list_bounds_its_page(client):
    admin = person(Role.ADMIN_NATIONAL)
    for path in ("/api/v1/users", "/api/v1/audit", "/api/v1/products", "/api/v1/market/orders"):
        error_of(client.get(path, {"page": 10**20}, **bearer(admin)), 422, "validation_error")


def test_a_multipart_body_without_its_boundary_is_a_bad_request(client):
    admin = person(Role.ADMIN_NATIONAL)
    body = b"--x\r\n\r\n--x--\r\n"
    response = client.generic(
        "POST", "/api/v1/imports", body, content_type="multipart/form-data", **bearer(admin)
    )
    assert error_of(response, 400, "bad_request")["message"]


@pytest.mark.parametrize("year", [-15752418, 1999, 2101])
def test_a_board_of_a_year_out_of_range_is_refused(client, regions, year):
    body = error_of(
        client.get("/api/v1/licences/boards/province/64", {"year": year}), 422, "validation_error"
    )
    assert list(body["fields"]) == ["year"]
    assert client.get("/api/v1/licences/boards/province/64", {"year": 2026}).status_code == 200


NUL_REQUESTS = [
    ("get", "/api/v1/display-points?region=%00", None),
    ("get", "/api/v1/licences/featured?regency=64%00", None),
    ("get", "/api/v1/regions/64%00", None),
    ("post", "/api/v1/tokens", '{"name": "laporan\\u0000harian"}'),
]


@pytest.mark.parametrize(("method", "path", "body"), NUL_REQUESTS)
def test_a_nul_character_anywhere_in_an_api_request_is_refused(client, regions, method, path, body):
    # PostgreSQL cannot hold or compare a NUL in text: each of these was a 500 there.
    headers = bearer(person(Role.ADMIN_NATIONAL))
    tokens = ApiToken.objects.count()
    extra = {"data": body, "content_type": "application/json"} if body else {}

    response = getattr(client, method)(path, **extra, **headers)

    error_of(response, 400, "invalid_characters")
    assert ApiToken.objects.count() == tokens


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(client):
    admin = person(Role.ADMIN_NATIONAL)
    response = client.post(
        "/api/v1/tokens", '{"name": "C:\\\\u0000"}', content_type="application/json", **bearer(admin)
    )
    assert response.status_code == 201, response.content
    assert ApiToken.objects.get(name="C:\\u0000")


@pytest.mark.parametrize("query", ["action=%00", "actor=x%00y"])
def test_a_nul_in_a_pages_query_is_a_bad_request_page(client, query):
    # The audit trail's filters reached PostgreSQL with it: a 500 there (a crawl, 2026-11-24).
    client.force_login(person(Role.ADMIN_NATIONAL))

    response = client.get(f"/audit/?{query}")

    assert response.status_code == 400
    assert "NUL" in response.content.decode()
