from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from kopdes.core.audit import audit_record, diff
from kopdes.core.masking import mask_nik, mask_sensitive
from kopdes.core.models import AppendOnlyError, AuditEvent
from kopdes.core.request_context import channel
from kopdes.core.sqlite import audit_purge_allowed


@pytest.fixture
def event(db):
    with channel("api", ip="203.0.113.7"):
        return audit_record(
            actor=None, action="test.thing", object_type="x", object_id="1", object_repr="thing"
        )


def test_an_event_records_when_in_utc_and_from_where(event):
    assert event.at.utcoffset().total_seconds() == 0
    assert (event.ip, event.channel) == ("203.0.113.7", "api")


def test_the_orm_refuses_to_change_or_delete_an_event(event):
    event.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.parametrize(
    "statement", ["UPDATE core_auditevent SET action = 'rewritten'", "DELETE FROM core_auditevent"]
)
def test_the_database_refuses_to_change_or_delete_events_behind_the_orms_back(event, statement):
    with (
        audit_purge_allowed(False),
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert AuditEvent.objects.get(pk=event.pk).action == "test.thing"


def test_a_nik_in_an_event_is_masked(db):
    event = audit_record(
        actor=None,
        action="test.nik",
        object_repr="Member 5310123456780001",
        changes={"nik": ["5310123456780001", None]},
    )

    assert event.object_repr == "Member 5310********0001"
    assert event.changes == {"nik": ["5310********0001", None]}


def test_nik_masking_shows_only_the_frame():
    assert mask_nik("5310123456780001") == "5310********0001"
    assert mask_nik("53.10.12.345678.0001") == "5310********0001"
    assert mask_nik("123") == "***"
    assert mask_sensitive({"a": ["x 5310123456780001 y"]}) == {"a": ["x 5310********0001 y"]}
    assert mask_sensitive("phone +6281234567890") == "phone +6281234567890"  # 13 digits: not a NIK


def test_diff_lists_only_changed_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


def test_a_nik_in_a_log_message_is_masked(caplog):
    import logging

    from kopdes.core.logging import MaskNikFilter

    logger = logging.getLogger("kopdes.test.nik")
    logger.addFilter(MaskNikFilter())
    with caplog.at_level(logging.INFO, logger="kopdes.test.nik"):
        logger.info("searched %s", "5310123456780001")
        logger.info("member 5310123456780002 added")

    assert "5310123456780001" not in caplog.text and "5310123456780002" not in caplog.text
    assert "5310********0001" in caplog.text
