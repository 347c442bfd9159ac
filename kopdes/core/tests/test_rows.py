"""Hand-written statements with the ORM's columns, conversions and signals (kopdes/core/rows.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kopdes.core import rows
from kopdes.core.models import AuditEvent, Generation
from kopdes.market.models import Cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def saves():
    """(signal, model, primary key when sent, created) for every save signal sent."""
    sent = []

    def pre(sender, instance, **kwargs):
        sent.append(("pre", sender.__name__, instance.pk, None))

    def post(sender, instance, created, **kwargs):
        sent.append(("post", sender.__name__, instance.pk, created))

    pre_save.connect(pre, dispatch_uid="test_rows.pre")
    post_save.connect(post, dispatch_uid="test_rows.post")
    yield sent
    pre_save.disconnect(dispatch_uid="test_rows.pre")
    post_save.disconnect(dispatch_uid="test_rows.post")


def event(action: str) -> AuditEvent:
    return AuditEvent(
        action=action, ip="10.0.0.1", channel="web", changes={"total": 1_250_000, "nik": "masked"}
    )


def test_insert_writes_the_rows_as_save_would_and_sets_their_keys_in_order(saves):
    events = [event(f"test.{n}") for n in range(3)]

    rows.insert(events)

    assert [e.pk for e in events] == list(
        AuditEvent.objects.filter(action__startswith="test.").order_by("id").values_list("id", flat=True)
    )
    assert all(not e._state.adding and e._state.db == "default" for e in events)
    stored = AuditEvent.objects.get(pk=events[1].pk)
    assert (stored.action, stored.ip, stored.changes) == (
        "test.1",
        "10.0.0.1",
        {"total": 1_250_000, "nik": "masked"},
    )
    assert stored.at == events[1].at  # the default made at construction, kept
    assert [s for s in saves if s[1] == "AuditEvent"] == [
        *[("pre", "AuditEvent", None, None)] * 3,
        *[("post", "AuditEvent", e.pk, True) for e in events],
    ]


def test_insert_together_writes_each_group_and_gives_each_its_own_keys(saves):
    events = [event(f"together.{n}") for n in range(3)]
    counters = [Generation(name="together-a", value=5), Generation(name="together-b", value=7)]

    with CaptureQueriesContext(connection) as queries:
        rows.insert_together(events, [], counters)

    # One statement on PostgreSQL (a WITH of INSERTs), one per group elsewhere.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert [e.pk for e in events] == list(
        AuditEvent.objects.filter(action__startswith="together.").order_by("id").values_list("id", flat=True)
    )
    assert [c.pk for c in counters] == ["together-a", "together-b"]
    assert dict(Generation.objects.values_list("name", "value")) == {"together-a": 5, "together-b": 7}
    posted = [(model, pk) for kind, model, pk, _created in saves if kind == "post"]
    assert posted == [*(("AuditEvent", e.pk) for e in events), *(("Generation", c.pk) for c in counters)]


def test_a_failing_group_writes_nothing():
    from django.db import IntegrityError, transaction

    Generation.objects.create(name="taken", value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert_together([event("lost.0")], [Generation(name="taken", value=2)])
    assert not AuditEvent.objects.filter(action="lost.0").exists()
    assert Generation.objects.get(name="taken").value == 1


def test_rows_read_by_hand_are_the_instances_the_orm_makes_for_only():
    cart = Cart.objects.create(updated_at=timezone.now() - dt.timedelta(days=2))
    fields = ("id", "token", "user_id", "created_at", "updated_at")

    [mine] = rows.select(
        Cart, fields, "token = %s", [Cart._meta.get_field("token").get_db_prep_value(cart.token, connection)]
    )
    orm = Cart.objects.only(*fields).get(pk=cart.pk)

    for name in fields:
        assert getattr(mine, name) == getattr(orm, name) and type(getattr(mine, name)) is type(
            getattr(orm, name)
        )
    assert isinstance(mine.token, uuid.UUID)  # converted as the ORM converts it (text on SQLite)
    assert mine.get_deferred_fields() == orm.get_deferred_fields()
    assert not mine._state.adding and mine._state.db == "default"
    assert rows.select(Cart, fields, "id = %s", [-1]) == []


def _drawn() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('core_auditevent', 'id'))")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a statement of many parts is PostgreSQL's")
def test_a_statement_writes_rows_under_keys_drawn_before_and_from_another_parts_row(
    saves, django_capture_on_commit_callbacks
):
    drawn = _drawn()
    parent, taken = event("statement.keyed"), event("statement.taken")
    statement = rows.Statement()
    statement.insert([parent], keys=[drawn])
    found = statement.write("SELECT 'from-a-part' AS label, %s AS code", ["62"])
    statement.insert([taken], source=found, taken={"object_repr": "label", "region_code": "code"})
    called = []
    statement.on_commit(lambda: called.append("committed"))
    assert called == []  # not even outside a transaction: the statement has not run

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as hooks:
        statement.run()

    assert len(queries) == 1 and len(hooks) == 1  # handed to the transaction once run
    assert parent.pk == drawn and AuditEvent.objects.filter(pk=drawn, action="statement.keyed").exists()
    stored = AuditEvent.objects.get(pk=taken.pk)
    assert (stored.object_repr, stored.region_code, taken.object_repr) == ("from-a-part", "62", "from-a-part")
    # pre_save for both before their keys, post_save once written
    assert [s for s in saves if s[1] == "AuditEvent"] == [
        ("pre", "AuditEvent", None, None),
        ("pre", "AuditEvent", None, None),
        ("post", "AuditEvent", drawn, True),
        ("post", "AuditEvent", taken.pk, True),
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a statement of many parts is PostgreSQL's")
def test_an_insert_whose_source_finds_no_row_fails_the_whole_statement(
    saves, django_capture_on_commit_callbacks
):
    from django.db import transaction

    drawn = _drawn()
    parent, taken, skipped = event("statement.keyed"), event("statement.taken"), event("statement.skipped")
    statement = rows.Statement()
    statement.insert([parent], keys=[drawn])
    found = statement.write("SELECT 'from-a-part' AS label")
    nothing = statement.write("SELECT 'never' AS label WHERE false")
    statement.insert([taken], source=found, taken={"object_repr": "label"})
    statement.insert([skipped], source=nothing, taken={"object_repr": "label"})
    statement.on_commit(lambda: None)

    with django_capture_on_commit_callbacks() as hooks, pytest.raises(rows.Incomplete), transaction.atomic():
        statement.run()

    assert hooks == []
    assert not AuditEvent.objects.filter(action__startswith="statement.").exists()
    assert all(obj._state.adding for obj in (parent, taken, skipped))
    assert [s[0] for s in saves if s[1] == "AuditEvent"] == ["pre", "pre", "pre"]  # no post_save


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a statement of many parts is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_statement_outside_a_transaction_commits_as_it_ends_and_its_hooks_follow():
    """Outside `transaction.atomic` one statement is a transaction of its own: all or nothing,
    and its hooks are called once it has committed (another connection sees its rows then)."""
    other = connection.copy()

    def seen(action: str) -> bool:
        with other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM core_auditevent WHERE action = %s", [action])
            return cursor.fetchone()[0] == 1

    try:
        failing = rows.Statement()
        failing.insert([event("statement.alone")])
        failing.insert([event("statement.never")], source=failing.write("SELECT 1 WHERE false"))
        failing.on_commit(lambda: pytest.fail("a hook of a failed statement was called"))
        with pytest.raises(rows.Incomplete):
            failing.run()
        assert not AuditEvent.objects.filter(action__startswith="statement.").exists()

        statement = rows.Statement()
        statement.insert([event("statement.alone")])
        statement.insert([event("statement.sourced")], source=statement.write("SELECT 1"))
        called = []
        statement.on_commit(lambda: called.append(seen("statement.alone") and seen("statement.sourced")))
        statement.run()
        assert called == [True]
    finally:
        other.close()


def test_a_failing_part_writes_nothing_of_the_statement():
    from django.db import IntegrityError, transaction

    first, second = event("statement.first"), event("statement.second")
    statement = rows.Statement()
    statement.insert([first])
    statement.insert([Generation(name="statement-dup", value=1), Generation(name="statement-dup", value=2)])
    statement.insert([second])

    with pytest.raises(IntegrityError), transaction.atomic():
        statement.run()

    assert not AuditEvent.objects.filter(action__startswith="statement.").exists()
    assert not Generation.objects.filter(name="statement-dup").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner settings")
def test_session_settings_hold_inside_and_are_given_back_even_after_a_failure():
    def current() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('work_mem')")
            return cursor.fetchone()

    before = current()
    assert before[0] == "on"
    with rows.session_settings(connection, enable_seqscan="off", work_mem="16MB"):
        assert current() == ("off", "16MB")
    assert current() == before
    with pytest.raises(RuntimeError), rows.session_settings(connection, enable_seqscan="off"):
        raise RuntimeError
    assert current() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner settings")
def test_a_statement_failing_inside_session_settings_keeps_its_own_error():
    """Inside a transaction the failure aborts it: the settings go back with its rollback, and
    the error raised is the statement's, not the reset's."""
    from django.db import DataError, transaction

    with (
        pytest.raises(DataError, match="division by zero"),
        transaction.atomic(),
        rows.session_settings(connection, enable_seqscan="off"),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1 / 0")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan')")
        assert cursor.fetchone()[0] == "on"
