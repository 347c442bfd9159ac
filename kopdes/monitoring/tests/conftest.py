from __future__ import annotations

import datetime as dt
import itertools

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives import services as coop
from kopdes.monitoring.measures import read
from kopdes.monitoring.models import RegionStat
from kopdes.regions.models import Region

_serial = itertools.count(1)


def nik() -> str:
    """A valid NIK of a Kukar resident (district 64.02.06), different every call."""
    return f"640206010190{next(_serial) % 9999 + 1:04d}"


def stats(code: str) -> dict[str, int]:
    """The rollup of one region ("" the nation), without zero rows."""
    rows = RegionStat.objects.filter(region_code=code).values_list("measure", "value", "amount")
    return {m: v for row in rows for m, v in read(*row) if v}


def table() -> dict[tuple[str, str], int]:
    """The whole rollup table, without zero rows."""
    rows = RegionStat.objects.values_list("region_code", "measure", "value", "amount")
    return {(c, m): v for c, *row in rows for m, v in read(*row) if v}


def village(code: str) -> Region:
    return Region.objects.get(code=code)


def advance(*, admin, cooperative, stage: str, verify: bool = True):
    record = coop.stage_record(
        actor=admin, cooperative=cooperative, stage=stage, happened_on=dt.date(2026, 1, 5)
    )
    if verify:
        coop.stage_verify(actor=admin, record=record)
    cooperative.refresh_from_db()
    return record


def add_member(*, admin, cooperative, name: str = "Anggota"):
    return coop.member_add(
        actor=admin, cooperative=cooperative, nik=nik(), full_name=name, joined_on=dt.date(2026, 1, 5)
    )


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


@pytest.fixture
def buyer(regions):
    return person(Role.BUYER)
