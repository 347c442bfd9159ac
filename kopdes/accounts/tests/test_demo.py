from __future__ import annotations

from django.contrib.auth import authenticate
from django.test import RequestFactory

from kopdes.accounts.choices import Role
from kopdes.accounts.demo import DEMO_PASSWORD, demo_world_load
from kopdes.accounts.models import Organization, RoleAssignment, User


def test_the_demo_world_has_a_login_for_every_role_and_loads_once(regions):
    first = demo_world_load()
    second = demo_world_load()

    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    assert (second.users, second.roles, second.organizations) == (0, 0, 0)
    assert first.users == User.objects.count()


def test_the_demo_covers_ntts_regencies_and_kukars_villages(regions):
    demo_world_load()

    regency_admins = RoleAssignment.objects.filter(role=Role.ADMIN_REGENCY, region__code__startswith="53.")
    assert regency_admins.count() == 22
    assert (
        RoleAssignment.objects.filter(role=Role.VILLAGE_HEAD, region__code__startswith="64.02.").count()
        == 237
    )
    assert Organization.objects.filter(kind="cooperative", region__code__startswith="64.02.").count() == 237


def test_every_documented_demo_login_works(regions):
    result = demo_world_load()

    for _who, phone, password in result.logins:
        assert password == DEMO_PASSWORD
        request = RequestFactory().post("/masuk/")
        assert authenticate(request, username=phone, password=password) is not None, phone
