"""PostgreSQL only: how the rollup tables are stored (ADR 13, "The rollups' storage").

- Their codes and measures compare byte by byte (`COLLATE "C"`): they are ASCII keys, and the
  database's linguistic collation makes every index build and key comparison several times
  slower. Django's `db_collation` cannot say it for PostgreSQL alone (SQLite has no "C"), so it
  is said here; an `AlterField` of these columns would have to say it again.
- Their pages keep room (`fillfactor`) for a new version of the rows a fold moves, so that the
  fold's updates stay on their page (HOT) and write no index entry.
"""

from django.db import migrations

TABLES = {
    # table: (fillfactor, [(column, type)])
    "monitoring_monthstat": (70, [("region_code", "varchar(13)"), ("measure", "varchar(40)")]),
    "monitoring_regionstat": (80, [("region_code", "varchar(13)"), ("measure", "varchar(40)")]),
    "monitoring_rollupdelta": (100, [("region_code", "varchar(13)"), ("measure", "varchar(40)")]),
}


def storage(apps, schema_editor, *, undo: bool = False) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (fillfactor, columns) in TABLES.items():
        collation = "" if undo else ' COLLATE "C"'
        changes = [f"ALTER COLUMN {column} TYPE {kind}{collation}" for column, kind in columns]
        if fillfactor < 100:
            changes.append("RESET (fillfactor)" if undo else f"SET (fillfactor = {fillfactor})")
        schema_editor.execute(f"ALTER TABLE {table} {', '.join(changes)}")


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_report_jobs")]

    operations = [
        migrations.RunPython(storage, lambda apps, editor: storage(apps, editor, undo=True), elidable=False),
    ]
