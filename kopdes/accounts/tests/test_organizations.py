"""Organisations and self-service account pages: allowed and refused, on the web and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.accounts.models import Organization, User
from kopdes.accounts.services import token_create
from kopdes.accounts.tests.factories import PASSWORD, OrganizationFactory, bearer, person
from kopdes.regions.models import Region


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


def test_an_admin_registers_an_organisation_in_their_region_on_the_web(client, kukar_admin):
    client.force_login(kukar_admin)

    response = client.post(
        reverse("accounts:organizations"),
        {
            "kind": "producer",
            "name": "Kelompok Amplang Tenggarong",
            "region__1": "64",
            "region__2": "64.02",
            "region__3": "64.02.06",
        },
    )

    assert response.status_code == 302
    assert Organization.objects.get(name="Kelompok Amplang Tenggarong").region_id == "64.02.06"


def test_an_organisation_outside_the_admins_region_is_refused_and_not_saved(client, kukar_admin):
    client.force_login(kukar_admin)

    response = client.post(
        reverse("accounts:organizations"),
        {"kind": "producer", "name": "Tenun Sikka", "region__1": "53", "region__2": "53.07"},
    )

    assert response.status_code == 403
    assert not Organization.objects.filter(name="Tenun Sikka").exists()


def test_the_organisation_list_is_scoped(client, kukar_admin):
    OrganizationFactory(name="Di Kukar")
    OrganizationFactory(name="Di Sikka", region=Region.objects.get(code="53.07.01.2001"))
    client.force_login(kukar_admin)

    names = {o.name for o in client.get(reverse("accounts:organizations")).context["page"].object_list}

    assert "Di Kukar" in names and "Di Sikka" not in names


def test_a_buyer_may_not_see_organisations(client, regions):
    client.force_login(person(Role.BUYER))

    assert client.get(reverse("accounts:organizations")).status_code == 403


def test_organisations_through_the_api_allowed_and_refused(client, kukar_admin):
    headers = bearer(kukar_admin)

    created = client.post(
        "/api/v1/organizations",
        {"kind": "partner", "name": "PT Mitra Kukar", "region_code": "64.02"},
        content_type="application/json",
        **headers,
    )
    refused = client.post(
        "/api/v1/organizations",
        {"kind": "partner", "name": "PT Mitra Sikka", "region_code": "53.07"},
        content_type="application/json",
        **headers,
    )
    duplicate = client.post(
        "/api/v1/organizations",
        {"kind": "partner", "name": "pt mitra kukar", "region_code": "64.02"},
        content_type="application/json",
        **headers,
    )
    bad_kind = client.post(
        "/api/v1/organizations",
        {"kind": "bank", "name": "X", "region_code": "64.02"},
        content_type="application/json",
        **headers,
    )
    listed = client.get("/api/v1/organizations", **headers).json()

    assert created.status_code == 201
    assert refused.status_code == 403
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "duplicate_organization"
    assert bad_kind.status_code == 422
    assert [o["name"] for o in listed["items"]] == ["PT Mitra Kukar"]
    assert client.get("/api/v1/organizations", **bearer(person(Role.BUYER))).status_code == 403


def test_a_person_changes_their_own_password(client, regions):
    user = person(Role.BUYER)
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"), {"action": "password", "pw-password": "Another-pass-2027"}
    )

    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("Another-pass-2027")
    # Still logged in after the change.
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_a_common_new_password_is_refused_on_the_profile_page(client, regions):
    user = person(Role.BUYER)
    client.force_login(user)

    response = client.post(reverse("accounts:profile"), {"action": "password", "pw-password": "password"})

    assert response.status_code == 200
    assert response.context["password_form"].errors
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_a_person_cannot_revoke_someone_elses_token_on_the_profile_page(client, regions):
    owner, other = person(Role.BUYER), person(Role.BUYER)
    token, _ = token_create(actor=owner, name="mine")
    client.force_login(other)

    response = client.post(reverse("accounts:profile"), {"action": "revoke", "token": token.pk})

    token.refresh_from_db()
    assert response.status_code == 403 and token.revoked_at is None


def test_the_profile_page_needs_a_login(client, regions):
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_an_admin_cannot_move_an_account_into_another_region_through_the_api(client, kukar_admin):
    resident = person(region="64.02.06.1001")

    moved = client.patch(
        f"/api/v1/users/{resident.pk}",
        {"region_code": "53.07"},
        content_type="application/json",
        **bearer(kukar_admin),
    )
    renamed = client.patch(
        f"/api/v1/users/{resident.pk}",
        {"full_name": "Nama Baru"},
        content_type="application/json",
        **bearer(kukar_admin),
    )

    assert moved.status_code == 403
    assert renamed.status_code == 200 and renamed.json()["full_name"] == "Nama Baru"
    assert User.objects.get(pk=resident.pk).region_id == "64.02.06.1001"


def test_token_endpoints_need_authentication(client, regions):
    assert client.get("/api/v1/tokens").status_code == 401
    assert client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json").status_code == 401
