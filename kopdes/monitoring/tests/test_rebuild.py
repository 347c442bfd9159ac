"""`rebuild_rollups` recomputes from the facts exactly what the subscribers keep current."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives import services as coop
from kopdes.cooperatives.choices import STAGE_ORDER, UnitKind, UnitStatus
from kopdes.cooperatives.models import Cooperative, StageRecord
from kopdes.core.models import AuditEvent
from kopdes.monitoring.models import MonthStat, RegionStat
from kopdes.monitoring.services import rollups_rebuild

from .conftest import add_member, advance, stats, table, village

PG = connection.vendor == "postgresql"

# Villages in three districts, two regencies and two provinces.
VILLAGES = ["64.02.06.1001", "64.02.06.1002", "64.02.06.1003", "64.02.01.2001", "53.07.01.2001"]


def test_a_rebuild_of_an_empty_registry_leaves_an_empty_table(regions):
    RegionStat.objects.create(region_code="53", measure="cooperatives", value=4)

    result = rollups_rebuild()

    assert RegionStat.objects.count() == 0
    assert result.cooperatives == 0 and result.rows == 0


def test_a_rebuild_gives_the_table_the_services_kept_current(regions, kukar_admin):
    first = coop.cooperative_create(
        actor=None, village=village("64.02.06.1001"), shared_villages=[village("64.02.06.1002")]
    )
    second = coop.cooperative_create(actor=None, village=village("64.02.06.1003"), scheme="develop")
    for stage in STAGE_ORDER[:5]:
        advance(admin=kukar_admin, cooperative=first, stage=stage)
    advance(admin=kukar_admin, cooperative=second, stage="sosialisasi", verify=False)
    members = [add_member(admin=kukar_admin, cooperative=first) for _ in range(3)]
    coop.member_update(actor=kukar_admin, member=members[0], status="resigned")
    for kind in UnitKind.values[:8]:
        coop.unit_create(actor=kukar_admin, cooperative=first, kind=kind, status=UnitStatus.OPERATING)
    kept = table()

    result = rollups_rebuild()

    assert table() == kept
    assert result.cooperatives == 2
    assert stats("64.02")["seven_units_operating"] == 1
    assert stats("64.02")["legal_entity"] == 1


def test_a_rebuild_repairs_a_damaged_table(regions):
    coop.cooperative_create(actor=None, village=village("53.07.01.2001"))
    kept = table()
    RegionStat.objects.filter(region_code="53").update(value=99)
    RegionStat.objects.filter(region_code="53.07", measure="stage:none").delete()
    RegionStat.objects.create(region_code="64", measure="cooperatives", value=3)

    result = rollups_rebuild()

    assert table() == kept
    assert (result.created, result.updated, result.deleted) == (1, 4, 1)
    event = AuditEvent.objects.get(action="monitoring.rollups.rebuild")
    assert event.changes == {"created": 1, "updated": 4, "deleted": 1}


def test_a_row_under_a_wrong_key_is_repaired_though_count_and_values_agree(regions):
    # The quick "nothing to repair" check compares counts and looks each computed row up: a row
    # moved to a key the facts do not have leaves both counts equal and every value equal.
    coop.cooperative_create(actor=None, village=village("53.07.01.2001"))
    rollups_rebuild()
    kept = table()
    RegionStat.objects.filter(region_code="53", measure="cooperatives").update(region_code="64")

    result = rollups_rebuild()

    assert table() == kept
    assert (result.created, result.updated, result.deleted) == (1, 0, 1)


def _constraints(table: str) -> dict[str, str]:
    """PostgreSQL: the constraints of `table`, definition → kind (p, u, …)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
            [table],
        )
        return {definition: kind for kind, definition in cursor.fetchall()}


def test_a_first_rebuild_leaves_the_tables_keys_and_storage_as_migrated(regions):
    # On PostgreSQL the first rebuild writes into empty tables with their primary key and unique
    # index dropped, and builds both again afterwards.
    coop.cooperative_create(actor=None, village=village("53.07.01.2001"))
    RegionStat.objects.all().delete()
    MonthStat.objects.all().delete()
    before = {t: _constraints(t) for t in ("monitoring_regionstat", "monitoring_monthstat")} if PG else {}

    result = rollups_rebuild()

    assert result.created == 5 * 4 and MonthStat.objects.exists()
    # The ids were numbered past the sequence, and it moved past them.
    extra = RegionStat.objects.create(region_code="91", measure="cooperatives", value=1)
    assert extra.pk > RegionStat.objects.exclude(pk=extra.pk).order_by("-pk").first().pk
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionStat.objects.create(region_code="53", measure="cooperatives", value=1)
    if PG:
        assert {t: _constraints(t) for t in before} == before
        assert "PRIMARY KEY (id)" in before["monitoring_monthstat"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, c.reloptions, a.attname, coll.collname FROM pg_class c "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname IN ('region_code', 'measure') "
                "JOIN pg_collation coll ON coll.oid = a.attcollation "
                "WHERE c.relname IN ('monitoring_monthstat', 'monitoring_regionstat')"
            )
            storage = {(table, column): (options, collation) for table, options, column, collation in cursor}
        assert storage[("monitoring_monthstat", "region_code")] == (["fillfactor=70"], "C")
        assert storage[("monitoring_regionstat", "measure")] == (["fillfactor=80"], "C")


def test_a_second_rebuild_writes_nothing(regions):
    coop.cooperative_create(actor=None, village=village("53.07.01.2001"))
    rollups_rebuild()

    result = rollups_rebuild()

    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert not AuditEvent.objects.filter(action="monitoring.rollups.rebuild").exists()
    assert result.rows == 5 * 4 and result.regions == 5


def test_the_command_reports_what_it_rebuilt(regions):
    coop.cooperative_create(actor=None, village=village("53.07.01.2001"))
    out = StringIO()

    call_command("rebuild_rollups", stdout=out)

    assert "from 1 cooperatives" in out.getvalue()
    assert stats("")["cooperatives"] == 1


# --- Random histories ------------------------------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"), st.sampled_from(VILLAGES), st.sampled_from(["new", "develop", "revitalize"])
        ),
        st.tuples(st.just("stage"), st.integers(0, 4), st.sampled_from(["verify", "send_back", "roll_back"])),
        st.tuples(st.just("member"), st.integers(0, 4), st.booleans()),
        st.tuples(st.just("unit"), st.integers(0, 4), st.sampled_from(UnitKind.values), st.booleans()),
    ),
    min_size=1,
    max_size=25,
)


def _stage_step(admin, cooperative: Cooperative, decision: str) -> None:
    if cooperative.stage_status == "submitted":
        record = cooperative.stage_records.filter(status="submitted").latest("id")
        if decision == "send_back":
            coop.stage_send_back(actor=admin, record=record, reason="Fix the minutes.")
        else:
            coop.stage_verify(actor=admin, record=record)
        return
    verified = list(
        StageRecord.objects.filter(cooperative=cooperative, status="verified").values_list("stage", flat=True)
    )
    if decision == "roll_back" and cooperative.stage and len(set(verified)) > 1:
        earlier = [s for s in verified if STAGE_ORDER.index(s) < STAGE_ORDER.index(cooperative.stage)]
        if earlier:
            coop.stage_roll_back(actor=admin, cooperative=cooperative, to_stage=earlier[0], reason="Redo it.")
            return
    if not cooperative.stage:
        following = "sosialisasi"
    elif cooperative.stage_status == "sent_back":
        following = cooperative.stage
    elif cooperative.stage == STAGE_ORDER[-1]:
        return
    else:
        following = STAGE_ORDER[STAGE_ORDER.index(cooperative.stage) + 1]
    coop.stage_record(actor=admin, cooperative=cooperative, stage=following, happened_on=dt.date(2026, 1, 5))


def _play(admin, history) -> None:
    cooperatives: list[Cooperative] = []
    for op in history:
        if op[0] == "create":
            if not any(c.village_id == op[1] for c in cooperatives):
                cooperatives.append(coop.cooperative_create(actor=None, village=village(op[1]), scheme=op[2]))
            continue
        if not cooperatives:
            continue
        cooperative = Cooperative.objects.get(pk=cooperatives[op[1] % len(cooperatives)].pk)
        if op[0] == "stage":
            _stage_step(admin, cooperative, op[2])
        elif op[0] == "member":
            active = cooperative.members.filter(status="active").first()
            if op[2] or active is None:
                add_member(admin=admin, cooperative=cooperative)
            else:
                coop.member_update(actor=admin, member=active, status="resigned")
        else:
            unit = cooperative.units.filter(kind=op[2]).first()
            status = UnitStatus.OPERATING if op[3] else UnitStatus.STOPPED
            if unit is None:
                coop.unit_create(actor=admin, cooperative=cooperative, kind=op[2], status=status)
            else:
                coop.unit_update(actor=admin, unit=unit, status=status)


@pytest.fixture
def national_admin(regions):
    return person(Role.ADMIN_NATIONAL)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=operations)
def test_after_any_history_of_service_calls_the_kept_table_equals_a_rebuild(national_admin, history):
    with transaction.atomic():
        _play(national_admin, history)
        kept = table()

        rollups_rebuild()

        assert table() == kept
        assert all(v >= 0 for v in kept.values())
        transaction.set_rollback(True)  # the next example starts from an empty registry


MOMENTS = [
    dt.datetime(2026, 1, 31, 16, 59, 59, 999999, tzinfo=dt.UTC),  # 23:59 in Jakarta: January
    dt.datetime(2026, 1, 31, 17, 0, tzinfo=dt.UTC),  # midnight in Jakarta: February
    dt.datetime(2026, 2, 28, 17, 30, tzinfo=dt.UTC),  # March
    dt.datetime(2028, 2, 28, 17, 30, tzinfo=dt.UTC),  # a leap year: still February
    dt.datetime(2028, 2, 29, 18, 0, tzinfo=dt.UTC),  # March
    dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC),  # the next year
    dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 15, 12, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 4, 27, 23, 59, tzinfo=dt.UTC),
]


@pytest.mark.django_db
@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.isoformat())
def test_the_rebuilds_month_of_a_moment_is_the_local_month(moment):
    """The rebuild's SQL for a timestamp's month (on SQLite from its seconds: date() rounds the
    milliseconds) gives the month of the moment in the server's zone, as the listeners do."""
    from kopdes.monitoring.facts import month_of
    from kopdes.monitoring.rollup_sql import month_of_day, month_of_moment

    if connection.vendor == "postgresql":
        source, value = "SELECT %s::timestamptz AS t, %s::date AS d", moment
    else:
        source, value = "SELECT %s AS t, %s AS d", connection.ops.adapt_datetimefield_value(moment)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {month_of_moment('x.t')}, {month_of_day('x.d')} FROM ({source}) x",  # noqa: S608
            [value, moment.date().isoformat()],
        )
        month, day_month = cursor.fetchone()
    assert str(month) == month_of(moment).isoformat()
    assert str(day_month) == moment.date().replace(day=1).isoformat()
