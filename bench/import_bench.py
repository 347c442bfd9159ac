"""Import of 10,000 members from an XLSX, upload to done, on SQLite: the limit is 10 s.

    .venv/bin/python bench/import_bench.py

Builds a throw-away SQLite database in a temporary directory (KOPDES_VAR_DIR: migrated, with the
regions, copied from the benches' saved base when there is one), registers one cooperative in
Kutai Kartanegara and a regency admin, and writes a 10,000-member XLSX with openpyxl (NIK as text,
phone, village code on a third of the rows, an Excel date, a status). Then it times what a user
waits for: the upload (read, store, map, dry-run check of every row), the confirmation and the
import task run in this process (Django's immediate task backend), until the job is done. Prints
one line, `import_10k_members_xlsx_seconds=<float>`; details go to stderr. Exits 1 over the limit
or when the import does not create exactly 10,000 members, 2 when a step cannot run. A second
import of the same file must change nothing (0 created, 0 updated), or the run fails too.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _harness import django_on_base

ROOT = Path(__file__).resolve().parent.parent
ROWS = 10_000
LIMIT_SECONDS = 10.0
VILLAGE = "64.02.06.1001"  # Jahab, Tenggarong, Kutai Kartanegara
FIRST = ["Ani", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gede", "Hana", "Iwan", "Joko", "Kartini", "Lestari"]
LAST = ["Suryani", "Santoso", "Wijaya", "Hartono", "Siregar", "Nainggolan", "Pratama", "Saputra", "Lubis"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django(var_dir: str) -> None:
    os.environ["KOPDES_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"  # no query log: measure what production does
    for name in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "MEDIA_STORAGE", "KOPDES_TESTING"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))


def member_rows(count: int):
    """Distinct valid NIKs of Tenggarong (64.02.06): birth dates and serials vary."""
    import datetime as dt

    from lokal import is_valid_nik

    for n in range(count):
        day, serial = 1 + n // 9999, 1 + n % 9999
        nik = f"640206{day:02d}0390{serial:04d}"
        if not is_valid_nik(nik):
            raise RuntimeError(f"generated an invalid NIK at row {n}")
        name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n}"
        phone = f"0812{n:08d}"
        village = VILLAGE if n % 3 == 0 else ""
        joined = dt.datetime(2025, 1, 1) + dt.timedelta(days=n % 300)
        yield [nik, name, phone, village, joined, "aktif"]


def build_xlsx(count: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Anggota")
    sheet.append(["NIK", "Nama Lengkap", "No HP", "Kode Desa", "Tanggal Masuk", "Status"])
    for row in member_rows(count):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> int:
    var_dir = tempfile.mkdtemp(prefix="kopdes-import-bench-")
    try:
        started = time.perf_counter()
        setup_django(var_dir)
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import override_settings

        ready = django_on_base("sqlite", static=False)  # migrated, with the regions
        log(f"database ready in {time.perf_counter() - started:.1f} s ({var_dir}: {ready})")

        from kopdes.accounts.models import User
        from kopdes.accounts.services import role_grant
        from kopdes.cooperatives import imports, services
        from kopdes.cooperatives.choices import ImportKind, ImportStatus
        from kopdes.cooperatives.models import Member
        from kopdes.regions.models import Region

        admin = User.objects.create_user(phone="+6281299990001", password=None, full_name="Admin Kukar")
        role_grant(actor=None, user=admin, role="admin_regency", region=Region.objects.get(code="64.02"))
        coop = services.cooperative_create(actor=None, village=Region.objects.get(code=VILLAGE))
        started = time.perf_counter()
        data = build_xlsx(ROWS)
        log(
            f"{ROWS:,} members written to an XLSX of {len(data) / 1024:.0f} KB "
            f"in {time.perf_counter() - started:.1f} s"
        )
    except Exception as exc:  # a step that cannot run is not a measurement
        log(f"setup failed: {type(exc).__name__}: {exc}")
        shutil.rmtree(var_dir, ignore_errors=True)
        return 2

    def import_once():
        upload = SimpleUploadedFile("anggota.xlsx", data)
        began = time.perf_counter()
        job = imports.import_upload(actor=admin, kind=ImportKind.MEMBERS, file=upload, cooperative=coop)
        checked = time.perf_counter()
        # Outside a transaction the confirmation enqueues at once; the immediate backend runs it here.
        imports.import_confirm(actor=admin, job=job)
        job.refresh_from_db()
        done = time.perf_counter()
        return job, done - began, checked - began

    try:
        with override_settings(
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        ):
            job, seconds, upload_seconds = import_once()
            log(
                f"first import: {job.status}, {job.created_count:,} created, {job.error_count} errors; "
                f"upload and check {upload_seconds:.2f} s, total {seconds:.2f} s"
            )
            again, again_seconds, _ = import_once()
            log(
                f"same file again: {again.status}, {again.created_count} created, "
                f"{again.updated_count} updated, "
                f"{again.unchanged_count:,} unchanged in {again_seconds:.2f} s"
            )
        members = Member.objects.filter(cooperative=coop).count()
    except Exception as exc:
        log(f"import failed: {type(exc).__name__}: {exc}")
        shutil.rmtree(var_dir, ignore_errors=True)
        return 2
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)

    print(f"import_10k_members_xlsx_seconds={seconds:.2f}")
    ok = (
        job.status == ImportStatus.DONE
        and job.created_count == ROWS
        and members == ROWS
        and again.status == ImportStatus.DONE
        and (again.created_count, again.updated_count) == (0, 0)
    )
    if not ok:
        log(
            f"FAIL: expected {ROWS:,} members created once and nothing changed the second time "
            f"({members:,} stored)"
        )
        return 1
    if seconds > LIMIT_SECONDS:
        log(f"FAIL: {seconds:.2f} s is over the limit of {LIMIT_SECONDS:.0f} s")
        return 1
    log(f"PASS: {seconds:.2f} s ≤ {LIMIT_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
