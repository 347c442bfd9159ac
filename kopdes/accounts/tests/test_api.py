from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kopdes.accounts.choices import Role
from kopdes.accounts.models import ApiToken, RoleAssignment, User
from kopdes.accounts.tests.factories import OrganizationFactory, bearer, person
from kopdes.core.models import AuditEvent
from kopdes.regions.models import Region


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_me_answers_with_the_roles_for_a_token(client, sikka_admin):
    response = client.get("/api/v1/me", **bearer(sikka_admin))

    assert response.status_code == 200
    assert response.json()["roles"][0]["role"] == "admin_regency"
    assert response.json()["roles"][0]["region_code"] == "53.07"


def test_without_credentials_the_api_answers_401_in_the_error_format(client, regions):
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


def test_an_expired_token_gets_its_own_code_and_is_recorded(client, sikka_admin):
    headers = bearer(sikka_admin)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    assert_error(client.get("/api/v1/me", **headers), 401, "token_expired")
    assert AuditEvent.objects.filter(action="auth.token_rejected").exists()


def test_a_revoked_token_stops_working_at_once(client, sikka_admin):
    headers = bearer(sikka_admin)
    token_id = ApiToken.objects.get().pk

    assert client.delete(f"/api/v1/tokens/{token_id}", **headers).status_code == 200
    assert_error(client.get("/api/v1/me", **headers), 401, "token_revoked")


def test_tokens_are_created_through_the_api_and_the_key_shown_once(client, sikka_admin):
    headers = bearer(sikka_admin)

    created = client.post(
        "/api/v1/tokens", {"name": "sync", "days": 7}, content_type="application/json", **headers
    )
    listed = client.get("/api/v1/tokens", **headers)

    assert created.status_code == 201 and created.json()["key"].startswith("kd_")
    assert all("key" not in t for t in listed.json())


def test_session_authentication_needs_the_csrf_token_for_writes(sikka_admin):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(sikka_admin)

    assert browser.get("/api/v1/me").status_code == 200
    refused = browser.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")

    assert refused.status_code in (401, 403)


def test_users_are_listed_paginated_within_the_admins_region(client, sikka_admin):
    for _ in range(3):
        person(region="53.07.01.2001")
    person(region="64.02.06.1001", full_name="Orang Kukar")

    response = client.get("/api/v1/users?page_size=2", **bearer(sikka_admin))

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 4  # three residents and the admin, who lives in Sikka
    assert len(body["items"]) == 2
    everyone = client.get("/api/v1/users?page_size=50", **bearer(sikka_admin)).json()["items"]
    assert "Orang Kukar" not in {u["full_name"] for u in everyone}


def test_a_non_admin_is_refused_the_user_list(client, regions):
    buyer = person(Role.BUYER)

    assert_error(client.get("/api/v1/users", **bearer(buyer)), 403, "forbidden")


def test_another_regions_account_is_forbidden(client, sikka_admin):
    outsider = person(region="64.02.06.1001")

    assert_error(client.get(f"/api/v1/users/{outsider.pk}", **bearer(sikka_admin)), 403, "forbidden")


def test_creating_an_account_validates_every_field(client, sikka_admin):
    response = client.post(
        "/api/v1/users",
        {"full_name": "Maria", "phone": "12", "region_code": "53.07.01.2001"},
        content_type="application/json",
        **bearer(sikka_admin),
    )

    error = assert_error(response, 400, "invalid")
    assert error["fields"]["phone"]
    assert not User.objects.filter(full_name="Maria").exists()


def test_creating_an_account_in_an_unknown_region_is_a_clear_4xx(client, sikka_admin):
    response = client.post(
        "/api/v1/users",
        {"full_name": "Maria", "phone": "081355551234", "region_code": "99.99"},
        content_type="application/json",
        **bearer(sikka_admin),
    )

    error = assert_error(response, 400, "unknown_region")
    assert error["fields"]["region_code"]


def test_a_missing_field_is_a_validation_error_with_the_field_named(client, sikka_admin):
    response = client.post(
        "/api/v1/users", {"phone": "0813"}, content_type="application/json", **bearer(sikka_admin)
    )

    error = assert_error(response, 422, "validation_error")
    assert "full_name" in error["fields"]


def test_an_admin_grants_and_revokes_a_role_through_the_api(client, sikka_admin):
    target = person(region="53.07.01.2001")
    headers = bearer(sikka_admin)

    granted = client.post(
        f"/api/v1/users/{target.pk}/roles",
        {"role": "mentor", "region_code": "53.07"},
        content_type="application/json",
        **headers,
    )
    assignment_id = granted.json()["id"]
    revoked = client.delete(f"/api/v1/roles/{assignment_id}", **headers)

    assert granted.status_code == 201
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert RoleAssignment.objects.get(pk=assignment_id).revoked_by == sikka_admin


def test_granting_outside_the_admins_region_is_forbidden_and_recorded(client, sikka_admin):
    target = person(region="53.07.01.2001")

    response = client.post(
        f"/api/v1/users/{target.pk}/roles",
        {"role": "mentor", "region_code": "64.02"},
        content_type="application/json",
        **bearer(sikka_admin),
    )

    assert_error(response, 403, "forbidden")
    assert not RoleAssignment.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(
        action="access.denied", changes__attempted="accounts.role.grant"
    ).exists()


def test_an_officer_role_names_its_cooperative(client, regions):
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    coop = OrganizationFactory(region=Region.objects.get(code="64.02.06.1001"))
    target = person(region="64.02.06.1001")

    response = client.post(
        f"/api/v1/users/{target.pk}/roles",
        {"role": "bendahara", "organization_id": coop.pk},
        content_type="application/json",
        **bearer(admin),
    )

    assert response.status_code == 201 and response.json()["organization_id"] == coop.pk


def test_suspending_through_patch(client, sikka_admin):
    target = person(region="53.07.01.2001")

    response = client.patch(
        f"/api/v1/users/{target.pk}",
        {"is_active": False},
        content_type="application/json",
        **bearer(sikka_admin),
    )

    assert response.status_code == 200 and response.json()["is_active"] is False


@pytest.mark.parametrize("name", [None, "   "])
def test_a_name_sent_empty_is_refused_and_kept(client, sikka_admin, name):
    target = person(full_name="Maria Goreti", region="53.07.01.2001")

    response = client.patch(
        f"/api/v1/users/{target.pk}",
        {"full_name": name},
        content_type="application/json",
        **bearer(sikka_admin),
    )

    assert_error(response, 400, "invalid")
    assert "full_name" in response.json()["error"]["fields"]
    target.refresh_from_db()
    assert target.full_name == "Maria Goreti"


def test_the_audit_listing_is_for_admins_and_scoped(client, sikka_admin):
    AuditEvent.objects.create(action="test.inside", region_code="53.07.01.2001")
    AuditEvent.objects.create(action="test.outside", region_code="64.02")

    body = client.get("/api/v1/audit?action=test.", **bearer(sikka_admin)).json()

    assert [e["action"] for e in body["items"]] == ["test.inside"]
    assert_error(client.get("/api/v1/audit", **bearer(person(Role.BUYER))), 403, "forbidden")


def test_error_messages_follow_the_requested_language(client, regions):
    indonesian = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="id").json()["error"]["message"]
    english = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]

    assert english == "Log in or send a valid API token."
    assert indonesian != english
