"""The policy layer as a matrix of roles by scopes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from kopdes.accounts.choices import Role
from kopdes.accounts.models import RoleAssignment
from kopdes.accounts.tests.factories import OrganizationFactory, person
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied, can, registered_actions, require
from kopdes.regions.models import Region

SIKKA_VILLAGE = "53.07.01.2001"
KUKAR_VILLAGE = "64.02.06.1001"


@pytest.fixture
def cast(regions):
    coop = OrganizationFactory(region=Region.objects.get(code=KUKAR_VILLAGE))
    return {
        "national": person(Role.ADMIN_NATIONAL),
        "province_ntt": person(Role.ADMIN_PROVINCE, region="53", scope="53"),
        "regency_sikka": person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"),
        "regency_kukar": person(Role.ADMIN_REGENCY, region="64.02", scope="64.02"),
        "village_head": person(Role.VILLAGE_HEAD, region=KUKAR_VILLAGE, scope=KUKAR_VILLAGE),
        "officer": person(Role.KETUA, region=KUKAR_VILLAGE, org=coop),
        "buyer": person(Role.BUYER),
        "anonymous": AnonymousUser(),
        "coop": coop,
    }


@pytest.fixture
def residents(regions):
    return {
        "sikka": person(region=SIKKA_VILLAGE),
        "kukar": person(region=KUKAR_VILLAGE),
        "nowhere": person(),
    }


VIEW_MATRIX = {
    #                sikka  kukar  nowhere
    "national": (True, True, True),
    "province_ntt": (True, False, False),
    "regency_sikka": (True, False, False),
    "regency_kukar": (False, True, False),
    "village_head": (False, False, False),
    "officer": (False, False, False),
    "buyer": (False, False, False),
    "anonymous": (False, False, False),
}


@pytest.mark.parametrize("actor", VIEW_MATRIX)
def test_who_may_view_and_manage_which_account(cast, residents, actor):
    expected = VIEW_MATRIX[actor]
    user = cast[actor]

    seen = tuple(can(user, "accounts.user.view", residents[r]) for r in ("sikka", "kukar", "nowhere"))
    managed = tuple(can(user, "accounts.user.manage", residents[r]) for r in ("sikka", "kukar", "nowhere"))

    assert seen == expected
    assert managed == expected


@pytest.mark.parametrize("actor", ["village_head", "officer", "buyer"])
def test_everyone_may_view_their_own_account_but_not_manage_it(cast, actor):
    user = cast[actor]

    assert can(user, "accounts.user.view", user)
    assert not can(user, "accounts.user.manage", user)


@pytest.mark.parametrize(
    ("actor", "role", "scope", "allowed"),
    [
        ("national", Role.ADMIN_PROVINCE, "53", True),
        ("national", Role.ADMIN_NATIONAL, None, False),
        ("province_ntt", Role.ADMIN_REGENCY, "53.07", True),
        ("province_ntt", Role.ADMIN_PROVINCE, "53", False),
        ("province_ntt", Role.ADMIN_REGENCY, "64.02", False),
        ("regency_sikka", Role.MENTOR, "53.07", True),
        ("regency_sikka", Role.VILLAGE_HEAD, SIKKA_VILLAGE, True),
        ("regency_sikka", Role.ADMIN_REGENCY, "53.07", False),
        ("regency_sikka", Role.MENTOR, "64.02", False),
        ("regency_sikka", Role.CURATOR, "53", False),
        ("regency_kukar", Role.MENTOR, "53.07", False),
        ("village_head", Role.MENTOR, SIKKA_VILLAGE, False),
        ("officer", Role.MENTOR, SIKKA_VILLAGE, False),
        ("buyer", Role.MENTOR, SIKKA_VILLAGE, False),
    ],
)
def test_who_may_grant_which_role_where(cast, residents, actor, role, scope, allowed):
    target = residents["sikka"]
    assignment = RoleAssignment(
        user=target, role=role, region=Region.objects.get(code=scope) if scope else None
    )

    assert can(cast[actor], "accounts.role.grant", assignment) is allowed


def test_organisation_roles_follow_the_organisations_region(cast, residents):
    kukar_member = RoleAssignment(user=residents["kukar"], role=Role.MEMBER, organization=cast["coop"])

    assert can(cast["regency_kukar"], "accounts.role.grant", kukar_member)
    assert not can(cast["regency_sikka"], "accounts.role.grant", kukar_member)
    assert not can(cast["officer"], "accounts.role.grant", kukar_member)


def test_an_admin_does_not_manage_an_admin_of_the_same_rank_in_their_region(cast):
    colleague = person(Role.ADMIN_REGENCY, region="53.07.01.2001", scope="53.07")

    assert not can(cast["regency_sikka"], "accounts.user.manage", colleague)
    assert can(cast["province_ntt"], "accounts.user.manage", colleague)


def test_a_suspended_admin_may_do_nothing(cast, residents):
    admin = cast["national"]
    admin.is_active = False

    assert not can(admin, "accounts.user.view", residents["sikka"])


def test_a_refusal_raises_and_is_recorded_in_the_audit_trail(cast, residents):
    with pytest.raises(PolicyDenied):
        require(cast["regency_kukar"], "accounts.user.view", residents["sikka"])

    event = AuditEvent.objects.filter(action="access.denied").latest("id")
    assert event.actor_id == cast["regency_kukar"].pk
    assert event.changes == {"attempted": "accounts.user.view"}
    assert event.region_code == SIKKA_VILLAGE


def test_asking_about_an_action_without_a_rule_is_a_programming_error(cast):
    with pytest.raises(LookupError):
        can(cast["national"], "no.such.action")


def test_every_registered_action_answers_for_an_anonymous_visitor():
    # No rule may crash on a visitor who is not logged in (the object is irrelevant here).
    public = {a for a in registered_actions() if can(AnonymousUser(), a, None)}

    assert public == {
        "core.home.view",
        "regions.view",
        "cooperatives.coverage.view",
        "cooperatives.microsite.view",
        "products.potential.view",
        "products.product.public",
        "products.boards.view",
        "market.catalog.view",
        "market.cart.use",
        "market.checkout.place",
        "market.payment.callback",
        "market.display.list",
        "monitoring.dashboard.view",
        "monitoring.map.view",
    }
