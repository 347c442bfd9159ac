from __future__ import annotations

import datetime as dt

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.demo import demo_world_load
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives import services
from kopdes.cooperatives.demo import demo_cooperatives_load
from kopdes.cooperatives.models import Cooperative, Member, Officer
from kopdes.cooperatives.selectors import cooperative_measures
from kopdes.core.events import subscribe, unsubscribe
from kopdes.regions.models import Region


def test_the_demo_builds_every_kukar_cooperative_once(regions):
    demo_world_load()

    demo_cooperatives_load()
    second, _ = demo_cooperatives_load()

    assert Cooperative.objects.filter(village__code__startswith="64.02.").count() == 237
    assert second.startswith("0 cooperatives, 0 members")
    assert Officer.objects.count() == 5
    assert Member.objects.count() > 30
    assert {c.stage for c in Cooperative.objects.all()} >= {"", "sosialisasi", "operasional"}


@pytest.fixture
def announced():
    seen: list[dict] = []

    def remember(**payload):
        seen.append(payload)

    subscribe("cooperatives.changed")(remember)
    yield seen
    unsubscribe("cooperatives.changed", remember)


def test_services_announce_what_changed_for_the_read_models(regions, announced):
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    village = Region.objects.get(code="64.02.06.1001")

    coop = services.cooperative_create(actor=None, village=village)
    record = services.stage_record(
        actor=admin, cooperative=coop, stage="sosialisasi", happened_on=dt.date(2026, 1, 5)
    )
    services.stage_verify(actor=admin, record=record)

    created = announced[0]
    assert created["village_code"] == "64.02.06.1001" and created["before"] == {}
    assert created["after"]["cooperatives"] == 1 and created["after"]["stage:none"] == 1
    coop.refresh_from_db()
    assert announced[-1]["after"] == cooperative_measures(cooperative=coop)
    assert announced[-1]["after"]["stage:sosialisasi"] == 1
