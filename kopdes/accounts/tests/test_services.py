from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kopdes.accounts import services
from kopdes.accounts.choices import OrgKind, Role
from kopdes.accounts.models import ApiToken, RoleAssignment, User
from kopdes.accounts.tests.factories import PASSWORD, OrganizationFactory, person
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.core.request_context import channel
from kopdes.regions.models import Region


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


def test_registration_normalises_the_phone_and_grants_the_buyer_role(regions):
    user = services.user_register(phone="0812-3456-7890", full_name=" Ani ", password=PASSWORD)

    assert user.phone == "+6281234567890"
    assert user.full_name == "Ani"
    assert [a.role for a in user.active_roles()] == [Role.BUYER]
    assert AuditEvent.objects.filter(action="accounts.user.register", object_id=str(user.pk)).exists()


@pytest.mark.parametrize("same_number", ["+62 812 3456 7890", "6281234567890", "081234567890"])
def test_the_same_phone_number_in_another_form_cannot_register_twice(regions, same_number):
    services.user_register(phone="0812-3456-7890", full_name="Ani", password=PASSWORD)

    with pytest.raises(DomainError) as exc:
        services.user_register(phone=same_number, full_name="Budi", password=PASSWORD)

    assert "phone" in exc.value.fields
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("x" * 65, "too long"),
        ("12345678901", "numeric"),
    ],
)
def test_weak_passwords_are_refused_and_nothing_is_saved(regions, password, reason):
    with pytest.raises(DomainError) as exc:
        services.user_register(phone="081234567890", full_name="Ani", password=password)

    assert exc.value.code == "weak_password", reason
    assert not User.objects.exists()


def test_a_malformed_phone_number_is_refused_with_a_field_message(regions):
    with pytest.raises(DomainError) as exc:
        services.user_register(phone="12345", full_name="Ani", password=PASSWORD)

    assert exc.value.fields["phone"]


def test_an_admin_creates_accounts_inside_their_region_only(sikka_admin):
    inside = services.user_create(
        actor=sikka_admin,
        full_name="Yohanes",
        region=Region.objects.get(code="53.07.01.2001"),
        phone="081299990000",
    )
    assert inside.region_id == "53.07.01.2001"

    with pytest.raises(PolicyDenied):
        services.user_create(
            actor=sikka_admin,
            full_name="Outsider",
            region=Region.objects.get(code="64.02"),
            phone="081299990001",
        )
    assert not User.objects.filter(full_name="Outsider").exists()


def test_granting_a_role_records_who_when_and_from_where(sikka_admin):
    target = person(region="53.07.01.2001")

    with channel("web", ip="10.1.2.3"):
        assignment = services.role_grant(
            actor=sikka_admin,
            user=target,
            role=Role.MENTOR,
            region=Region.objects.get(code="53.07"),
        )

    event = AuditEvent.objects.get(action="accounts.role.grant", object_id=str(assignment.pk))
    assert event.actor_id == sikka_admin.pk
    assert event.ip == "10.1.2.3"
    assert event.channel == "web"
    assert event.region_code == "53.07"
    assert event.changes["role"] == Role.MENTOR


def test_a_role_cannot_be_granted_twice_in_the_same_scope(sikka_admin):
    target = person(region="53.07.01.2001")
    sikka = Region.objects.get(code="53.07")
    services.role_grant(actor=sikka_admin, user=target, role=Role.MENTOR, region=sikka)

    with pytest.raises(Conflict):
        services.role_grant(actor=sikka_admin, user=target, role=Role.MENTOR, region=sikka)

    assert RoleAssignment.objects.filter(user=target, role=Role.MENTOR).count() == 1


@pytest.mark.parametrize(
    ("role", "scope_code", "with_org"),
    [
        (Role.ADMIN_REGENCY, "53", False),  # a regency admin needs a regency
        (Role.VILLAGE_HEAD, "53.07", False),  # a village head needs a village
        (Role.MENTOR, None, False),  # a mentor needs a region
        (Role.KETUA, None, False),  # an officer needs a cooperative
        (Role.KETUA, "53.07", True),  # not both
    ],
)
def test_a_role_needs_a_scope_of_the_right_kind(regions, role, scope_code, with_org):
    target = person(region="53.07.01.2001")
    org = OrganizationFactory(region=Region.objects.get(code="53.07.01.2001")) if with_org else None

    with pytest.raises(DomainError) as exc:
        services.role_grant(
            actor=None,
            user=target,
            role=role,
            region=Region.objects.get(code=scope_code) if scope_code else None,
            organization=org,
        )

    assert exc.value.code == "invalid_scope"


def test_an_officer_role_cannot_be_held_in_a_lender(regions):
    bank = OrganizationFactory(kind=OrgKind.LENDER, name="Bank Uji")

    with pytest.raises(DomainError):
        services.role_grant(actor=None, user=person(), role=Role.BENDAHARA, organization=bank)


def test_revoking_keeps_the_row_and_ends_the_access(sikka_admin):
    target = person(region="53.07.01.2001")
    assignment = services.role_grant(
        actor=sikka_admin, user=target, role=Role.MENTOR, region=Region.objects.get(code="53.07")
    )

    services.role_revoke(actor=sikka_admin, assignment=assignment)

    assignment.refresh_from_db()
    assert assignment.revoked_at is not None and assignment.revoked_by == sikka_admin
    assert User.objects.get(pk=target.pk).active_roles() == []
    assert AuditEvent.objects.filter(action="accounts.role.revoke").count() == 1


def test_an_admin_cannot_revoke_their_own_role(sikka_admin):
    own = sikka_admin.active_roles()[0]

    with pytest.raises(PolicyDenied):
        services.role_revoke(actor=sikka_admin, assignment=own)


def test_suspending_an_account_is_recorded(sikka_admin):
    target = person(region="53.07.01.2001")

    services.user_set_active(actor=sikka_admin, user=target, active=False)

    assert not User.objects.get(pk=target.pk).is_active
    assert AuditEvent.objects.filter(action="accounts.user.suspend", object_id=str(target.pk)).exists()


def test_an_organisation_name_is_unique_within_its_region(sikka_admin):
    village = Region.objects.get(code="53.07.01.2001")
    services.organization_create(actor=sikka_admin, kind=OrgKind.PRODUCER, name="Tenun Ikat", region=village)

    with pytest.raises(Conflict):
        services.organization_create(
            actor=sikka_admin, kind=OrgKind.PRODUCER, name="tenun ikat", region=village
        )


def test_a_token_is_shown_once_and_stored_only_as_a_hash(regions):
    user = person()

    token, key = services.token_create(actor=user, name="sync", days=30)

    assert key.startswith("kd_") and len(key) > 40
    assert key not in (token.key_hash, token.prefix)
    assert services.token_authenticate(key=key) == (user, "ok")


def test_expired_revoked_and_unknown_tokens_are_refused_with_their_reason(regions):
    user = person()
    _, expired_key = services.token_create(actor=user, name="old", days=1)
    ApiToken.objects.filter(name="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_key = services.token_create(actor=user, name="gone", days=1)
    services.token_revoke(actor=user, token=revoked)

    assert services.token_authenticate(key=expired_key) == (None, "expired")
    assert services.token_authenticate(key=revoked_key) == (None, "revoked")
    assert services.token_authenticate(key="kd_nonsense") == (None, "invalid")


def test_nobody_revokes_another_persons_token(regions):
    owner, other = person(), person(Role.ADMIN_NATIONAL)
    token, _ = services.token_create(actor=owner, name="mine")

    with pytest.raises(PolicyDenied):
        services.token_revoke(actor=other, token=token)
