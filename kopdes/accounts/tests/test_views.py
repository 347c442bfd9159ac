from __future__ import annotations

import pytest
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.accounts.models import RoleAssignment, User
from kopdes.accounts.tests.factories import OrganizationFactory, person
from kopdes.core.models import AuditEvent
from kopdes.regions.models import Region


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


@pytest.fixture
def people(regions):
    return {
        "sikka": [
            person(
                Role.MEMBER,
                region="53.07.01.2001",
                org=OrganizationFactory(region=Region.objects.get(code="53.07.01.2001")),
            )
            for _ in range(3)
        ],
        "kukar": person(region="64.02.06.1001", full_name="Orang Kukar"),
    }


def test_the_users_page_lists_only_people_in_the_admins_region(client, sikka_admin, people):
    client.force_login(sikka_admin)

    response = client.get(reverse("accounts:users"))

    names = {u.full_name for u in response.context["page"].object_list}
    assert response.status_code == 200
    assert {u.full_name for u in people["sikka"]} <= names
    assert "Orang Kukar" not in names


def test_the_users_page_runs_a_fixed_number_of_queries(
    client, sikka_admin, people, django_assert_max_num_queries
):
    for _ in range(10):
        person(
            Role.MEMBER,
            region="53.07.01.2001",
            org=OrganizationFactory(region=Region.objects.get(code="53.07.01.2001")),
        )
    client.force_login(sikka_admin)

    with django_assert_max_num_queries(7):
        response = client.get(reverse("accounts:users"))

    assert len(response.context["page"].object_list) == 14


@pytest.mark.parametrize("role", [Role.BUYER, Role.KETUA, Role.MENTOR])
def test_people_without_an_admin_role_are_refused_the_users_page(client, regions, role):
    org = OrganizationFactory() if role == Role.KETUA else None
    scope = "64.02" if role == Role.MENTOR else None
    client.force_login(person(role, org=org, scope=scope))

    response = client.get(reverse("accounts:users"))

    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, regions):
    response = client.get(reverse("accounts:users"))

    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_an_admin_cannot_open_an_account_in_another_region(client, sikka_admin, people):
    client.force_login(sikka_admin)

    response = client.get(reverse("accounts:user_detail", args=[people["kukar"].pk]))

    assert response.status_code == 403


def test_an_admin_grants_a_role_through_the_page(client, sikka_admin, people):
    target = people["sikka"][0]
    client.force_login(sikka_admin)

    response = client.post(
        reverse("accounts:user_detail", args=[target.pk]),
        {
            "action": "grant",
            "grant-role": Role.MENTOR,
            "grant-region__1": "53",
            "grant-region__2": "53.07",
        },
    )

    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=target, role=Role.MENTOR, region_id="53.07").exists()


def test_granting_a_role_outside_the_admins_region_shows_a_refusal_and_saves_nothing(
    client, sikka_admin, people
):
    target = people["sikka"][0]
    client.force_login(sikka_admin)

    response = client.post(
        reverse("accounts:user_detail", args=[target.pk]),
        {
            "action": "grant",
            "grant-role": Role.MENTOR,
            "grant-region__1": "64",
            "grant-region__2": "64.02",
        },
    )

    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=target, role=Role.MENTOR).exists()


def test_an_admin_creates_an_account_with_the_region_picker(client, sikka_admin):
    client.force_login(sikka_admin)

    response = client.post(
        reverse("accounts:user_create"),
        {
            "full_name": "Maria",
            "phone": "0813-5555-1234",
            "region__1": "53",
            "region__2": "53.07",
            "region__3": "53.07.01",
            "region__4": "53.07.01.2001",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(phone="+6281355551234").region_id == "53.07.01.2001"


def test_a_bad_phone_on_the_new_account_form_is_shown_and_nothing_saved(client, sikka_admin):
    client.force_login(sikka_admin)

    response = client.post(
        reverse("accounts:user_create"),
        {"full_name": "Maria", "phone": "99", "region__1": "53", "region__2": "53.07"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not User.objects.filter(full_name="Maria").exists()


def test_the_profile_page_creates_a_token_and_shows_it_once(client, regions):
    user = person(Role.BUYER)
    client.force_login(user)

    created = client.post(
        reverse("accounts:profile"), {"action": "token", "token-name": "sync", "token-days": 30}
    )
    again = client.get(reverse("accounts:profile"))

    assert created.context["new_key"].startswith("kd_")
    assert created.context["new_key"] in created.content.decode()
    assert again.context["new_key"] is None
    assert user.api_tokens.count() == 1


def test_the_audit_page_shows_the_trail_of_the_admins_region_only(client, sikka_admin, people):
    AuditEvent.objects.create(action="test.inside", region_code="53.07.01.2001")
    AuditEvent.objects.create(action="test.outside", region_code="64.02.06.1001")
    client.force_login(sikka_admin)

    response = client.get(reverse("accounts:audit"))

    actions = {e.action for e in response.context["page"].object_list}
    assert "test.inside" in actions and "test.outside" not in actions


def test_navigation_shows_admin_pages_to_admins_only(client, sikka_admin, regions):
    client.force_login(sikka_admin)
    admin_home = client.get("/").content.decode()
    client.force_login(person(Role.BUYER))
    buyer_home = client.get("/").content.decode()

    assert reverse("accounts:users") in admin_home
    assert reverse("accounts:users") not in buyer_home


def test_the_grant_form_offers_the_organisations_of_the_persons_regency(client, regions):
    admin = person(Role.ADMIN_PROVINCE, region="64", scope="64")
    target = person(region="64.02.06.1001")
    nearby = OrganizationFactory(region=Region.objects.get(code="64.02.06.1001"))
    elsewhere = OrganizationFactory(region=Region.objects.get(code="64.01.01.2009"))
    client.force_login(admin)

    offered = client.get(reverse("accounts:user_detail", args=[target.pk])).context["grant_form"]
    response = client.post(
        reverse("accounts:user_detail", args=[target.pk]),
        {"action": "grant", "grant-role": Role.BENDAHARA, "grant-organization": nearby.pk},
    )

    choices = set(offered.fields["organization"].queryset)
    assert nearby in choices and elsewhere not in choices
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=target, role=Role.BENDAHARA, organization=nearby).exists()
