"""The registry's rules as the services enforce them: formation order, who verifies, reasons,
identity checks, members' NIKs, officers' roles, units, and what each person may reach."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kopdes.accounts.choices import Role
from kopdes.accounts.models import Organization, RoleAssignment
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives import selectors, services
from kopdes.cooperatives.choices import (
    MemberStatus,
    Position,
    Scheme,
    Stage,
    StageStatus,
    UnitKind,
    UnitStatus,
)
from kopdes.cooperatives.models import Cooperative, CooperativeVillage, Member, StageRecord
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.models import AuditEvent
from kopdes.regions.models import Region

JAHAB = "64.02.06.1001"  # a kelurahan in Tenggarong, Kutai Kartanegara
LOA_IPUH = "64.02.06.1002"
BUKIT_BIRU = "64.02.06.1003"
MASABEWA = "53.07.01.2001"  # a desa in Paga, Sikka
NIK = "6402065508900002"
NIK_2 = "5307011508900001"
# A static QRIS built to the EMVCo layout with a valid checksum.
STATIC_QRIS = (
    "00020101021126660014ID.CO.QRIS.WWW01189360001400000000010215ID12345678901230303UMI"
    "51440014ID.CO.QRIS.WWW0215ID12345678901230303UMI5204541153033605802ID"
    "5918KOPDES MERAH PUTIH6010TENGGARONG6105755116304A0A5"
)
DAY = dt.date(2025, 6, 2)


def village(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


@pytest.fixture
def coop(regions):
    return services.cooperative_create(actor=None, village=village(JAHAB))


@pytest.fixture
def village_head(regions):
    return person(Role.VILLAGE_HEAD, region=JAHAB, scope=JAHAB)


def appoint(admin, coop, position=Position.KETUA):
    user = person(region=JAHAB)
    services.officer_appoint(actor=admin, cooperative=coop, user=user, position=position, term_start=DAY)
    user.forget_roles()
    return user


@pytest.fixture
def ketua(kukar_admin, coop):
    return appoint(kukar_admin, coop)


def record(actor, coop, stage, day=DAY, **extra) -> StageRecord:
    coop.refresh_from_db()
    return services.stage_record(actor=actor, cooperative=coop, stage=stage, happened_on=day, **extra)


def walk_to(coop, admin, village_head, ketua, last: str) -> None:
    """Record and verify every stage up to and including `last`, each by the right person."""
    order = list(Stage.values)
    for index, stage in enumerate(order[: order.index(last) + 1]):
        who = village_head if stage in (Stage.SOSIALISASI, Stage.MUSDESUS) else ketua
        services.stage_verify(actor=admin, record=record(who, coop, stage, DAY + dt.timedelta(days=index)))
    coop.refresh_from_db()


# --- Registry ---------------------------------------------------------------------------------


def test_the_proposed_name_follows_the_kind_of_village(regions):
    assert services.propose_name(village(JAHAB)) == "Koperasi Kelurahan Merah Putih Jahab"
    assert services.propose_name(village(MASABEWA)) == "Koperasi Desa Merah Putih Masabewa"


def test_a_cooperative_gets_the_proposed_name_its_organisation_and_its_seat(kukar_admin):
    coop = services.cooperative_create(actor=kukar_admin, village=village(JAHAB), scheme=Scheme.REVITALIZE)

    assert coop.name == "Koperasi Kelurahan Merah Putih Jahab"
    assert coop.organization.name == coop.name and coop.organization.region_id == JAHAB
    assert coop.slug == "6402061001"
    assert coop.stage == "" and coop.scheme == Scheme.REVITALIZE
    assert list(coop.villages.values_list("village_id", "is_seat")) == [(JAHAB, True)]
    assert AuditEvent.objects.filter(action="cooperatives.create", object_id=str(coop.pk)).exists()


def test_small_villages_may_share_a_cooperative(kukar_admin):
    coop = services.cooperative_create(
        actor=kukar_admin, village=village(JAHAB), shared_villages=[village(LOA_IPUH), village(BUKIT_BIRU)]
    )

    assert set(coop.villages.values_list("village_id", flat=True)) == {JAHAB, LOA_IPUH, BUKIT_BIRU}


def test_a_village_that_already_has_a_cooperative_is_refused_a_second(kukar_admin, coop):
    with pytest.raises(Conflict) as caught:
        services.cooperative_create(actor=kukar_admin, village=village(JAHAB))

    assert "village" in caught.value.fields
    assert Cooperative.objects.count() == 1


def test_a_village_already_sharing_a_cooperative_cannot_seat_another(kukar_admin):
    services.cooperative_create(
        actor=kukar_admin, village=village(JAHAB), shared_villages=[village(LOA_IPUH)]
    )
    organizations = Organization.objects.count()

    with pytest.raises(Conflict):
        services.cooperative_create(
            actor=kukar_admin, village=village(BUKIT_BIRU), shared_villages=[village(LOA_IPUH)]
        )

    assert Cooperative.objects.count() == 1
    assert Organization.objects.count() == organizations
    assert not CooperativeVillage.objects.filter(village_id=BUKIT_BIRU).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("npwp", "12.345"),
        ("phone", "12345"),
        ("qris_payload", "000201010211not-a-qris"),
        ("nib", "12345"),
    ],
)
def test_an_invalid_identifier_is_refused_and_nothing_is_saved(kukar_admin, field, value):
    organizations = Organization.objects.count()

    with pytest.raises(DomainError) as caught:
        services.cooperative_create(actor=kukar_admin, village=village(JAHAB), **{field: value})

    assert field in caught.value.fields
    assert Cooperative.objects.count() == 0
    assert Organization.objects.count() == organizations
    assert not CooperativeVillage.objects.exists()


def test_valid_identifiers_are_stored_in_their_normal_form(kukar_admin):
    coop = services.cooperative_create(
        actor=kukar_admin,
        village=village(JAHAB),
        npwp="01.234.567.8-901.000",
        phone="0812-3456-7890",
        nib="1234567890123",
        qris_payload=STATIC_QRIS,
    )

    assert coop.npwp == "0012345678901000"
    assert coop.phone == "+6281234567890"
    assert coop.qris_payload == STATIC_QRIS


def test_an_invalid_identifier_in_an_update_changes_nothing(kukar_admin, coop):
    with pytest.raises(DomainError):
        services.cooperative_update(actor=kukar_admin, cooperative=coop, address="Jl. Baru 1", npwp="999")

    coop.refresh_from_db()
    assert coop.address == "" and coop.npwp == ""


def test_a_regency_admin_cannot_register_a_cooperative_in_another_regency(sikka_admin):
    with pytest.raises(PermissionDenied):
        services.cooperative_create(actor=sikka_admin, village=village(JAHAB))

    assert Cooperative.objects.count() == 0


# --- Formation lifecycle ----------------------------------------------------------------------


def test_the_first_stage_is_the_socialisation_and_it_awaits_verification(coop, village_head):
    entry = record(village_head, coop, Stage.SOSIALISASI, notes="Balai desa")

    coop.refresh_from_db()
    assert entry.status == StageStatus.SUBMITTED and entry.recorded_by == village_head
    assert (coop.stage, coop.stage_status) == (Stage.SOSIALISASI, StageStatus.SUBMITTED)


def test_stages_cannot_be_skipped(coop, kukar_admin):
    with pytest.raises(DomainError) as caught:
        record(kukar_admin, coop, Stage.MUSDESUS)

    assert caught.value.code == "stage_order"
    assert not coop.stage_records.exists()


def test_a_stage_waits_for_the_previous_one_to_be_verified(coop, kukar_admin, village_head):
    record(village_head, coop, Stage.SOSIALISASI)

    with pytest.raises(DomainError) as caught:
        record(village_head, coop, Stage.MUSDESUS)

    assert caught.value.code == "stage_pending"


def test_a_stage_cannot_be_recorded_again_once_verified(coop, kukar_admin, village_head):
    services.stage_verify(actor=kukar_admin, record=record(village_head, coop, Stage.SOSIALISASI))

    with pytest.raises(DomainError) as caught:
        record(village_head, coop, Stage.SOSIALISASI)

    assert caught.value.code == "stage_order"


def test_recording_an_earlier_stage_does_not_move_the_cooperative_backwards(
    coop, kukar_admin, village_head, ketua
):
    walk_to(coop, kukar_admin, village_head, ketua, Stage.RAPAT_PENDIRIAN)

    with pytest.raises(DomainError):
        record(kukar_admin, coop, Stage.MUSDESUS)

    coop.refresh_from_db()
    assert coop.stage == Stage.RAPAT_PENDIRIAN


def test_the_village_head_records_the_musdesus_and_an_officer_may_not(coop, kukar_admin, village_head, ketua):
    services.stage_verify(actor=kukar_admin, record=record(village_head, coop, Stage.SOSIALISASI))

    with pytest.raises(PermissionDenied):
        record(ketua, coop, Stage.MUSDESUS)
    entry = record(village_head, coop, Stage.MUSDESUS)

    assert entry.recorded_by == village_head


def test_a_village_head_of_another_village_cannot_record_a_stage(coop):
    other_head = person(Role.VILLAGE_HEAD, region=LOA_IPUH, scope=LOA_IPUH)

    with pytest.raises(PermissionDenied):
        record(other_head, coop, Stage.SOSIALISASI)


def test_the_regency_admin_verifies_a_stage(coop, kukar_admin, village_head):
    entry = services.stage_verify(actor=kukar_admin, record=record(village_head, coop, Stage.SOSIALISASI))

    coop.refresh_from_db()
    assert entry.status == StageStatus.VERIFIED and entry.decided_by == kukar_admin
    assert coop.stage_status == StageStatus.VERIFIED


@pytest.mark.parametrize("who", ["ketua", "village_head", "sikka_admin"])
def test_only_the_regency_admin_of_the_cooperative_verifies(request, coop, village_head, who):
    entry = record(village_head, coop, Stage.SOSIALISASI)
    actor = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        services.stage_verify(actor=actor, record=entry)

    entry.refresh_from_db()
    assert entry.status == StageStatus.SUBMITTED


def test_an_admin_who_is_also_an_officer_cannot_verify_their_own_cooperative(coop, kukar_admin, village_head):
    services.officer_appoint(
        actor=kukar_admin, cooperative=coop, user=kukar_admin, position=Position.KETUA, term_start=DAY
    )
    kukar_admin.forget_roles()
    entry = record(village_head, coop, Stage.SOSIALISASI)

    with pytest.raises(PermissionDenied):
        services.stage_verify(actor=kukar_admin, record=entry)


def test_a_stage_is_decided_once(coop, kukar_admin, village_head):
    entry = services.stage_verify(actor=kukar_admin, record=record(village_head, coop, Stage.SOSIALISASI))

    with pytest.raises(DomainError) as caught:
        services.stage_send_back(actor=kukar_admin, record=entry, reason="Late objection")

    assert caught.value.code == "stage_decided"


def test_sending_back_needs_a_reason(coop, kukar_admin, village_head):
    entry = record(village_head, coop, Stage.SOSIALISASI)

    with pytest.raises(DomainError) as caught:
        services.stage_send_back(actor=kukar_admin, record=entry, reason="   ")

    assert "reason" in caught.value.fields
    entry.refresh_from_db()
    assert entry.status == StageStatus.SUBMITTED


def test_a_stage_sent_back_is_recorded_again_and_nothing_else(coop, kukar_admin, village_head):
    entry = record(village_head, coop, Stage.SOSIALISASI)
    services.stage_send_back(actor=kukar_admin, record=entry, reason="The attendance list is missing.")
    coop.refresh_from_db()
    assert coop.stage_status == StageStatus.SENT_BACK

    with pytest.raises(DomainError):
        record(village_head, coop, Stage.MUSDESUS)
    again = record(village_head, coop, Stage.SOSIALISASI, notes="With the attendance list")

    entry.refresh_from_db()
    assert entry.reason == "The attendance list is missing." and entry.decided_by == kukar_admin
    assert again.status == StageStatus.SUBMITTED


def test_a_stage_date_cannot_be_in_the_future_or_before_the_previous_stage(coop, kukar_admin, village_head):
    with pytest.raises(DomainError):
        record(village_head, coop, Stage.SOSIALISASI, day=timezone.localdate() + dt.timedelta(days=1))
    services.stage_verify(actor=kukar_admin, record=record(village_head, coop, Stage.SOSIALISASI, day=DAY))

    with pytest.raises(DomainError):
        record(village_head, coop, Stage.MUSDESUS, day=DAY - dt.timedelta(days=1))


def test_the_regency_admin_rolls_back_to_an_earlier_verified_stage_with_a_reason(
    coop, kukar_admin, village_head, ketua
):
    walk_to(coop, kukar_admin, village_head, ketua, Stage.AKTA_NOTARIS)

    entry = services.stage_roll_back(
        actor=kukar_admin,
        cooperative=coop,
        to_stage=Stage.MUSDESUS,
        reason="The musdesus quorum was not met.",
    )

    coop.refresh_from_db()
    assert (coop.stage, coop.stage_status) == (Stage.MUSDESUS, StageStatus.VERIFIED)
    assert entry.status == StageStatus.ROLLED_BACK and entry.reason == "The musdesus quorum was not met."
    # The history keeps every earlier row; the next stage to record is the founding meeting again.
    assert coop.stage_records.filter(status=StageStatus.VERIFIED).count() == 4
    again = record(ketua, coop, Stage.RAPAT_PENDIRIAN, timezone.localdate())
    assert again.status == StageStatus.SUBMITTED


def test_a_rollback_needs_a_reason_an_earlier_stage_and_one_that_was_verified(
    coop, kukar_admin, village_head, ketua
):
    walk_to(coop, kukar_admin, village_head, ketua, Stage.MUSDESUS)

    with pytest.raises(DomainError) as no_reason:
        services.stage_roll_back(actor=kukar_admin, cooperative=coop, to_stage=Stage.SOSIALISASI, reason="")
    with pytest.raises(DomainError) as not_earlier:
        services.stage_roll_back(actor=kukar_admin, cooperative=coop, to_stage=Stage.NIB, reason="Why not")

    assert "reason" in no_reason.value.fields and "to_stage" in not_earlier.value.fields
    coop.refresh_from_db()
    assert coop.stage == Stage.MUSDESUS


@pytest.mark.parametrize("who", ["ketua", "village_head", "sikka_admin"])
def test_nobody_but_the_regency_admin_rolls_back(request, coop, kukar_admin, village_head, ketua, who):
    walk_to(coop, kukar_admin, village_head, ketua, Stage.MUSDESUS)

    with pytest.raises(PermissionDenied):
        services.stage_roll_back(
            actor=request.getfixturevalue(who), cooperative=coop, to_stage=Stage.SOSIALISASI, reason="Because"
        )

    coop.refresh_from_db()
    assert coop.stage == Stage.MUSDESUS


def test_the_legal_entity_counts_from_the_verified_ahu_decree(coop, kukar_admin, village_head, ketua):
    walk_to(coop, kukar_admin, village_head, ketua, Stage.AKTA_NOTARIS)
    assert not coop.has_legal_entity

    entry = record(ketua, coop, Stage.BADAN_HUKUM, DAY + dt.timedelta(days=10))
    coop.refresh_from_db()
    assert not coop.has_legal_entity
    services.stage_verify(actor=kukar_admin, record=entry)

    coop.refresh_from_db()
    assert coop.has_legal_entity


# --- Officers ---------------------------------------------------------------------------------


def test_appointing_an_officer_grants_the_role_scoped_to_the_cooperative(kukar_admin, coop):
    user = person(region=JAHAB)

    officer = services.officer_appoint(
        actor=kukar_admin, cooperative=coop, user=user, position=Position.BENDAHARA, term_start=DAY
    )

    assignment = RoleAssignment.objects.get(user=user, revoked_at__isnull=True)
    assert assignment.role == Role.BENDAHARA and assignment.organization_id == coop.organization_id
    assert officer.role_assignment == assignment


def test_ending_a_term_revokes_the_role(kukar_admin, coop):
    user = person(region=JAHAB)
    officer = services.officer_appoint(
        actor=kukar_admin, cooperative=coop, user=user, position=Position.SEKRETARIS, term_start=DAY
    )

    services.officer_end(actor=kukar_admin, officer=officer)

    officer.refresh_from_db()
    assert officer.ended_at is not None and officer.term_end is not None
    assert not RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert list(selectors.officer_list(cooperative=coop)) == []


def test_a_term_cannot_end_before_it_starts(kukar_admin, coop):
    with pytest.raises(DomainError):
        services.officer_appoint(
            actor=kukar_admin,
            cooperative=coop,
            user=person(region=JAHAB),
            position=Position.KETUA,
            term_start=DAY,
            term_end=DAY - dt.timedelta(days=1),
        )

    assert not coop.officers.exists()


def test_only_the_chair_among_officers_appoints(kukar_admin, coop):
    treasurer = appoint(kukar_admin, coop, Position.BENDAHARA)
    chair = appoint(kukar_admin, coop, Position.KETUA)

    with pytest.raises(PermissionDenied):
        services.officer_appoint(
            actor=treasurer, cooperative=coop, user=person(), position=Position.PENGAWAS, term_start=DAY
        )
    services.officer_appoint(
        actor=chair, cooperative=coop, user=person(), position=Position.PENGAWAS, term_start=DAY
    )

    assert coop.officers.filter(position=Position.PENGAWAS).count() == 1


# --- Members ----------------------------------------------------------------------------------


def test_an_officer_registers_a_member_with_a_valid_nik(kukar_admin, coop, ketua):
    member = services.member_add(
        actor=ketua, cooperative=coop, nik="6402 0655 0890 0002", full_name="Siti Aminah", joined_on=DAY
    )

    assert member.nik == NIK and member.village_id == JAHAB
    assert member.status == MemberStatus.ACTIVE


def test_an_invalid_nik_is_refused_and_nothing_is_saved(kukar_admin, coop):
    with pytest.raises(DomainError) as caught:
        services.member_add(
            actor=kukar_admin, cooperative=coop, nik="1234567890123456", full_name="Budi", joined_on=DAY
        )

    assert "nik" in caught.value.fields
    assert not Member.objects.exists()


def test_a_nik_is_unique_within_a_cooperative_but_not_across_cooperatives(kukar_admin, coop):
    other = services.cooperative_create(actor=None, village=village(LOA_IPUH))
    services.member_add(actor=kukar_admin, cooperative=coop, nik=NIK, full_name="Siti", joined_on=DAY)

    with pytest.raises(Conflict):
        services.member_add(
            actor=kukar_admin, cooperative=coop, nik=NIK, full_name="Siti lagi", joined_on=DAY
        )
    services.member_add(actor=kukar_admin, cooperative=other, nik=NIK, full_name="Siti", joined_on=DAY)

    assert Member.objects.filter(nik=NIK).count() == 2
    assert coop.members.count() == 1


def test_an_officer_of_one_cooperative_cannot_touch_anothers_members(kukar_admin, coop, ketua):
    other = services.cooperative_create(actor=None, village=village(LOA_IPUH))
    member = services.member_add(
        actor=kukar_admin, cooperative=other, nik=NIK, full_name="Siti", joined_on=DAY
    )

    with pytest.raises(PermissionDenied):
        services.member_add(actor=ketua, cooperative=other, nik=NIK_2, full_name="Budi", joined_on=DAY)
    with pytest.raises(PermissionDenied):
        services.member_update(actor=ketua, member=member, status=MemberStatus.RESIGNED)
    with pytest.raises(PermissionDenied):
        selectors.member_list(user=ketua, cooperative=other)
    with pytest.raises(PermissionDenied):
        selectors.member_get(user=ketua, pk=member.pk)

    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE and other.members.count() == 1


def test_a_supervisor_sees_the_members_but_does_not_change_them(kukar_admin, coop):
    pengawas = appoint(kukar_admin, coop, Position.PENGAWAS)
    services.member_add(actor=kukar_admin, cooperative=coop, nik=NIK, full_name="Siti", joined_on=DAY)

    assert selectors.member_list(user=pengawas, cooperative=coop).count() == 1
    with pytest.raises(PermissionDenied):
        services.member_add(actor=pengawas, cooperative=coop, nik=NIK_2, full_name="Budi", joined_on=DAY)


def test_a_member_who_resigns_gets_the_date_of_the_change(kukar_admin, coop):
    member = services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIK, full_name="Siti", joined_on=DAY
    )

    services.member_update(actor=kukar_admin, member=member, status=MemberStatus.RESIGNED)

    member.refresh_from_db()
    assert member.status == MemberStatus.RESIGNED and member.status_changed_on == timezone.localdate()
    assert selectors.member_counts(cooperative=coop) == {MemberStatus.RESIGNED: 1}


def test_an_unknown_member_status_is_refused(kukar_admin, coop):
    member = services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIK, full_name="Siti", joined_on=DAY
    )

    with pytest.raises(DomainError):
        services.member_update(actor=kukar_admin, member=member, status="missing")

    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


def test_a_member_sees_their_own_record_and_no_one_elses(kukar_admin, coop):
    own_account = person(region=JAHAB)
    mine = services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIK, full_name="Siti", joined_on=DAY, user=own_account
    )
    theirs = services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIK_2, full_name="Budi", joined_on=DAY
    )

    assert selectors.member_get(user=own_account, pk=mine.pk) == mine
    assert list(selectors.own_memberships(user=own_account)) == [mine]
    with pytest.raises(PermissionDenied):
        selectors.member_get(user=own_account, pk=theirs.pk)


def test_the_nik_is_masked_in_the_audit_trail(kukar_admin, coop):
    member = services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIK, full_name="Siti", joined_on=DAY
    )
    services.member_update(actor=kukar_admin, member=member, full_name="Siti Aminah")

    events = AuditEvent.objects.filter(action__startswith="cooperatives.member")
    assert events.count() == 2
    for event in events:
        assert NIK not in f"{event.object_repr} {event.changes}"
    assert "6402********0002" in str(events.get(action="cooperatives.member.add").changes)


# --- Units ------------------------------------------------------------------------------------


def test_a_unit_that_starts_operating_gets_todays_opening_date(kukar_admin, coop):
    unit = services.unit_create(actor=kukar_admin, cooperative=coop, kind=UnitKind.GERAI_SEMBAKO)
    assert unit.status == UnitStatus.PLANNED and unit.opened_on is None

    services.unit_update(actor=kukar_admin, unit=unit, status=UnitStatus.BUILDING)
    services.unit_update(actor=kukar_admin, unit=unit, status=UnitStatus.OPERATING)

    unit.refresh_from_db()
    assert unit.status == UnitStatus.OPERATING and unit.opened_on == timezone.localdate()


def test_a_given_opening_date_is_kept(kukar_admin, coop):
    opened = dt.date(2025, 9, 1)
    unit = services.unit_create(
        actor=kukar_admin,
        cooperative=coop,
        kind=UnitKind.KLINIK,
        status=UnitStatus.OPERATING,
        opened_on=opened,
    )
    services.unit_update(actor=kukar_admin, unit=unit, status=UnitStatus.STOPPED)
    services.unit_update(actor=kukar_admin, unit=unit, status=UnitStatus.OPERATING)

    unit.refresh_from_db()
    assert unit.opened_on == opened


def test_the_seven_units_show_which_are_operating(kukar_admin, coop):
    services.unit_create(
        actor=kukar_admin, cooperative=coop, kind=UnitKind.KANTOR, status=UnitStatus.OPERATING
    )
    services.unit_create(
        actor=kukar_admin, cooperative=coop, kind=UnitKind.APOTEK, status=UnitStatus.BUILDING
    )
    services.unit_create(
        actor=kukar_admin, cooperative=coop, kind=UnitKind.AGEN_LPG, status=UnitStatus.OPERATING
    )

    seven = {kind: operating for kind, _label, operating in selectors.seven_units(cooperative=coop)}

    assert len(seven) == 7
    assert seven[UnitKind.KANTOR] and not seven[UnitKind.APOTEK]
    assert UnitKind.AGEN_LPG not in seven


def test_an_officer_of_another_cooperative_cannot_add_a_unit(kukar_admin, coop, ketua):
    other = services.cooperative_create(actor=None, village=village(LOA_IPUH))

    with pytest.raises(PermissionDenied):
        services.unit_create(actor=ketua, cooperative=other, kind=UnitKind.KANTOR)

    assert not other.units.exists()


# --- Scoping ----------------------------------------------------------------------------------


def test_a_regency_admin_sees_only_its_regencys_cooperatives(kukar_admin, sikka_admin, coop):
    sikka = services.cooperative_create(actor=None, village=village(MASABEWA))

    assert list(selectors.cooperative_list(user=kukar_admin)) == [coop]
    assert list(selectors.cooperative_list(user=sikka_admin)) == [sikka]
    with pytest.raises(PermissionDenied):
        selectors.cooperative_get(user=kukar_admin, pk=sikka.pk)


def test_an_officer_sees_only_their_own_cooperative(kukar_admin, coop, ketua):
    services.cooperative_create(actor=None, village=village(LOA_IPUH))

    assert list(selectors.cooperative_list(user=ketua)) == [coop]


def test_a_buyer_may_not_list_cooperatives(regions):
    with pytest.raises(PermissionDenied):
        selectors.cooperative_list(user=person(Role.BUYER))


def test_the_registry_filters_by_region_stage_scheme_and_name(kukar_admin, coop, village_head):
    services.cooperative_create(actor=None, village=village(LOA_IPUH), scheme=Scheme.DEVELOP)
    record(village_head, coop, Stage.SOSIALISASI)

    def names(**filters):
        return [c.village_id for c in selectors.cooperative_list(user=kukar_admin, **filters)]

    assert names(stage=Stage.SOSIALISASI) == [JAHAB]
    assert names(stage="none") == [LOA_IPUH]
    assert names(scheme=Scheme.DEVELOP) == [LOA_IPUH]
    assert names(query="jahab") == [JAHAB]
    assert names(region="64.02.06") == [JAHAB, LOA_IPUH]
    assert names(region="53") == []
