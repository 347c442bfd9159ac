"""The rollups follow every change the cooperative services make, in the same transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from kopdes.cooperatives import services as coop
from kopdes.cooperatives.choices import SEVEN_UNITS, UnitStatus
from kopdes.monitoring.services import region_stats_add

from .conftest import add_member, advance, stats, village

UP_FROM_JAHAB = ["64.02.06.1001", "64.02.06", "64.02", "64", ""]


def test_a_new_cooperative_counts_in_its_village_and_every_region_above_it(regions):
    coop.cooperative_create(actor=None, village=village("64.02.06.1001"))

    for code in UP_FROM_JAHAB:
        assert stats(code) == {"cooperatives": 1, "villages_covered": 1, "scheme:new": 1, "stage:none": 1}
    assert stats("64.02.01") == {}
    assert stats("53") == {}


def test_villages_sharing_a_cooperative_are_covered_where_the_seat_is(regions):
    coop.cooperative_create(
        actor=None,
        village=village("64.02.06.1001"),
        shared_villages=[village("64.02.06.1002")],
        scheme="revitalize",
    )

    assert stats("64.02.06")["villages_covered"] == 2
    assert stats("64.02.06")["cooperatives"] == 1
    assert stats("64.02.06")["scheme:revitalize"] == 1
    assert stats("64.02.06.1002") == {}


def test_cooperatives_in_two_provinces_add_up_in_the_nation_only(regions):
    coop.cooperative_create(actor=None, village=village("64.02.06.1001"))
    coop.cooperative_create(actor=None, village=village("53.07.01.2001"), scheme="develop")

    assert stats("")["cooperatives"] == 2
    assert stats("")["scheme:new"] == 1 and stats("")["scheme:develop"] == 1
    assert stats("64")["cooperatives"] == 1 and "scheme:develop" not in stats("64")
    assert stats("53.07")["scheme:develop"] == 1


def test_recording_a_stage_moves_the_cooperative_to_that_stage_column(regions, kukar_admin):
    cooperative = coop.cooperative_create(actor=None, village=village("64.02.06.1001"))

    record = advance(admin=kukar_admin, cooperative=cooperative, stage="sosialisasi", verify=False)

    assert "stage:none" not in stats("64.02")
    assert stats("64.02")["stage:sosialisasi"] == 1
    coop.stage_verify(actor=kukar_admin, record=record)
    advance(admin=kukar_admin, cooperative=cooperative, stage="musdesus", verify=False)
    assert stats("")["stage:musdesus"] == 1
    assert "stage:sosialisasi" not in stats("")


def test_legal_entity_status_counts_once_the_ahu_decree_is_verified(regions, kukar_admin):
    cooperative = coop.cooperative_create(actor=None, village=village("64.02.06.1001"))
    for stage in ("sosialisasi", "musdesus", "rapat_pendirian", "akta_notaris"):
        advance(admin=kukar_admin, cooperative=cooperative, stage=stage)

    record = advance(admin=kukar_admin, cooperative=cooperative, stage="badan_hukum", verify=False)
    assert "legal_entity" not in stats("64")

    coop.stage_verify(actor=kukar_admin, record=record)
    assert stats("64")["legal_entity"] == 1
    assert stats("64")["stage:badan_hukum"] == 1


def test_sending_a_stage_back_keeps_the_stage_but_not_the_legal_entity(regions, kukar_admin):
    cooperative = coop.cooperative_create(actor=None, village=village("64.02.06.1001"))
    for stage in ("sosialisasi", "musdesus", "rapat_pendirian", "akta_notaris"):
        advance(admin=kukar_admin, cooperative=cooperative, stage=stage)
    record = advance(admin=kukar_admin, cooperative=cooperative, stage="badan_hukum", verify=False)

    coop.stage_send_back(actor=kukar_admin, record=record, reason="The decree is unreadable.")

    assert stats("")["stage:badan_hukum"] == 1
    assert "legal_entity" not in stats("")


def test_members_who_join_count_and_those_who_resign_stop_counting(regions, kukar_admin):
    cooperative = coop.cooperative_create(actor=None, village=village("64.02.06.1001"))
    members = [add_member(admin=kukar_admin, cooperative=cooperative, name=f"Anggota {i}") for i in range(3)]

    assert stats("64.02")["members_active"] == 3
    coop.member_update(actor=kukar_admin, member=members[0], status="resigned")
    coop.member_update(actor=kukar_admin, member=members[1], status="deceased")

    for code in UP_FROM_JAHAB:
        assert stats(code)["members_active"] == 1


def test_units_count_when_operating_and_all_seven_count_the_cooperative_once(regions, kukar_admin):
    cooperative = coop.cooperative_create(actor=None, village=village("64.02.06.1001"))
    units = [
        coop.unit_create(actor=kukar_admin, cooperative=cooperative, kind=kind, status=UnitStatus.OPERATING)
        for kind in SEVEN_UNITS[:6]
    ]
    coop.unit_create(actor=kukar_admin, cooperative=cooperative, kind="agen_lpg", status=UnitStatus.OPERATING)
    assert stats("64")["units_operating"] == 7
    assert "seven_units_operating" not in stats("64")

    last = coop.unit_create(actor=kukar_admin, cooperative=cooperative, kind=SEVEN_UNITS[6])
    coop.unit_update(actor=kukar_admin, unit=last, status=UnitStatus.OPERATING)
    assert stats("64")["units_operating"] == 8
    assert stats("64")["seven_units_operating"] == 1

    coop.unit_update(actor=kukar_admin, unit=units[0], status=UnitStatus.STOPPED)
    assert stats("")["units_operating"] == 7
    assert "seven_units_operating" not in stats("")


def test_a_change_rolled_back_leaves_the_rollups_as_they_were(regions):
    with pytest.raises(RuntimeError), transaction.atomic():
        coop.cooperative_create(actor=None, village=village("64.02.06.1001"))
        raise RuntimeError("the caller fails after the service")

    assert stats("") == {}


def test_deltas_of_several_measures_apply_in_one_step_and_zero_deltas_write_nothing(
    regions, django_assert_num_queries
):
    with django_assert_num_queries(0):
        region_stats_add(region_code="53.07.01.2001", deltas={"cooperatives": 0})

    region_stats_add(region_code="53.07.01.2001", deltas={"cooperatives": 2, "members_active": 5})
    region_stats_add(region_code="53.07.01.2001", deltas={"cooperatives": -1, "members_active": 3})

    assert stats("53.07") == {"cooperatives": 1, "members_active": 8}
    assert stats("") == {"cooperatives": 1, "members_active": 8}


def test_a_change_costs_a_fixed_number_of_statements_for_any_number_of_regions_and_measures(
    regions, django_assert_max_num_queries
):
    deltas = {"cooperatives": 1, "members_active": 40, "stage:none": 1, "units_operating": 3}

    with django_assert_max_num_queries(3):  # the lock (PostgreSQL), insert the missing rows, update
        region_stats_add(region_code="53.07.01.2001", deltas=deltas)

    assert stats("53.07.01.2001") == deltas
