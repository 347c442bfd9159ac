"""Database triggers that refuse UPDATE and DELETE on the audit trail, for code around the ORM."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    # kopdes_audit_purge() is registered on every Django connection and answers 0 except while
    # the test suite flushes its database; any other client lacks it, so its DELETE fails too.
    """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
       WHEN kopdes_audit_purge() = 0
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$""",
    """CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
       FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    "DROP FUNCTION IF EXISTS core_auditevent_append_only()",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
