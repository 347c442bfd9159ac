#!/usr/bin/env python3
"""The coverage page at national scale: a cooperative in every one of the 83,762 villages.

For SQLite (a temporary KOPDES_VAR_DIR) and PostgreSQL (a new database `kopdes_covbench_<pid>`,
dropped afterwards), in a child process each, so that each gets its own settings:
  1. migrate, load the regions, collect the static files (copied from the benches' saved base
     and shared folder when they are there: `django_on_base`);
  2. bulk-create an organisation, a cooperative (schemes and stages varied) and its village row
     for every village, operating units for every tenth and members for every fifth (bench data:
     straight into the tables, not through the services), then `manage.py rebuild_rollups`;
  3. ask the coverage page of the nation, a province (53) and a regency (64.02) through Django's
     test Client in-process with DEBUG off, and report the median of 20 requests' server time
     and the queries one request runs.

Prints lines like `coverage_nation_sqlite_ms=7.9 queries=2`. Exits 1 when a page takes more than
50 ms or runs more than 10 queries, 2 when a step could not run.

    .venv/bin/python bench/coverage_bench.py            # both databases
    BENCH_SKIP_PG=1 .venv/bin/python bench/coverage_bench.py
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432 (the default; trust authentication)
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from _harness import child_main, django_on_base, is_child, raw_insert, run_both

LIMIT_MS = 50.0
LIMIT_QUERIES = 10
REQUESTS = 20
PAGES = [("nation", "/cakupan/"), ("province", "/cakupan/53/"), ("regency", "/cakupan/64.02/")]
# Informational: the same pages for a logged-in national admin (session, user and roles added).
LOGGED_IN = [
    ("nation_logged_in", "/cakupan/"),
    ("district_logged_in", "/cakupan/64.02.06/"),
    ("village_logged_in", "/cakupan/64.02.06.1001/"),
    ("without_regency_logged_in", "/cakupan/64.02/tanpa-koperasi/"),
    ("excel_nation", "/cakupan/excel"),
]

# --- The child: one database -------------------------------------------------------------------


def _load_cooperatives() -> int:
    """A cooperative in every village, straight into the tables (bench data, no services)."""
    from django.db import transaction

    from kopdes.accounts.choices import OrgKind
    from kopdes.accounts.models import Organization
    from kopdes.cooperatives.choices import SEVEN_UNITS, STAGE_ORDER, Scheme, UnitStatus
    from kopdes.cooperatives.models import BusinessUnit, Cooperative, CooperativeVillage, Member
    from kopdes.regions.models import Region

    villages = list(Region.objects.filter(level=4).order_by("code").values_list("code", "name", "kind"))
    names = {
        code: f"Koperasi {'Kelurahan' if kind == 'kelurahan' else 'Desa'} Merah Putih {name}"
        for code, name, kind in villages
    }
    schemes = list(Scheme.values)
    stages = ["", *STAGE_ORDER]
    with transaction.atomic():
        raw_insert(
            Organization,
            ["kind", "name", "region"],
            [(OrgKind.COOPERATIVE.value, names[c], c) for c, *_ in villages],
        )
        org_of = dict(
            Organization.objects.filter(kind=OrgKind.COOPERATIVE).order_by().values_list("region_id", "id")
        )
        rows = []
        for index, (code, *_) in enumerate(villages):
            stage = stages[index % len(stages)]
            status = ("verified" if index % 3 else "submitted") if stage else ""
            rows.append(
                (
                    org_of[code],
                    code,
                    names[code],
                    code.replace(".", ""),
                    schemes[index % len(schemes)],
                    stage,
                    status,
                )
            )
        raw_insert(
            Cooperative, ["organization", "village", "name", "slug", "scheme", "stage", "stage_status"], rows
        )
        coop_of = dict(Cooperative.objects.order_by().values_list("village_id", "id"))
        raw_insert(
            CooperativeVillage,
            ["cooperative", "village", "is_seat"],
            [(coop_of[c], c, True) for c, *_ in villages],
        )
        raw_insert(
            BusinessUnit,
            ["cooperative", "kind", "status"],
            [
                (coop_of[c], kind, UnitStatus.OPERATING.value)
                for c, *_ in villages[::10]
                for kind in SEVEN_UNITS
            ],
        )
        raw_insert(
            Member,
            ["cooperative", "nik", "full_name", "village", "joined_on"],
            [
                (coop_of[c], f"640206010190{serial % 10000:04d}", "Anggota", c, "2026-01-05")
                for index, (c, *_) in enumerate(villages[::5])
                for serial in (2 * index, 2 * index + 1)
            ],
        )
    return len(villages)


def _measure(client, url: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: templates compiled, connection open
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), len(queries), response.status_code


def run_child(label: str) -> int:
    started = time.perf_counter()
    ready = django_on_base(label)  # migrated, regions, static files (from the saved base if kept)
    print(f"setup_{label}_s={time.perf_counter() - started:.1f} ({ready})", flush=True)
    from django.core.management import call_command
    from django.test import Client

    from kopdes.accounts.choices import Role
    from kopdes.accounts.models import User
    from kopdes.accounts.services import role_grant
    from kopdes.monitoring.selectors import coverage_get

    started = time.perf_counter()
    count = _load_cooperatives()
    print(f"bulk_cooperatives_{label}_s={time.perf_counter() - started:.1f} cooperatives={count}", flush=True)

    started = time.perf_counter()
    call_command("rebuild_rollups", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"rebuild_rollups_{label}_s={time.perf_counter() - started:.2f}", flush=True)
    started = time.perf_counter()
    call_command("rebuild_rollups", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(
        f"rebuild_rollups_again_{label}_s={time.perf_counter() - started:.2f} (nothing to change)", flush=True
    )

    nation = coverage_get(user=None, code="")
    if nation.total.covered != count or nation.total.value("cooperatives") != count:
        print(f"FAIL coverage says {nation.total.covered} villages covered, expected {count}", flush=True)
        return 1

    failed = False
    client = Client()
    for name, url in PAGES:
        ms, queries, _status = _measure(client, url)
        ok = ms <= LIMIT_MS and queries <= LIMIT_QUERIES
        failed |= not ok
        mark = "" if ok else f"  FAIL (limit {LIMIT_MS:.0f} ms, {LIMIT_QUERIES} queries)"
        print(f"coverage_{name}_{label}_ms={ms:.1f} queries={queries}{mark}", flush=True)

    admin = User.objects.create(full_name="Bench admin", phone="+6281100009999")
    role_grant(actor=None, user=admin, role=Role.ADMIN_NATIONAL)
    client.force_login(admin)
    for name, url in LOGGED_IN:
        ms, queries, _status = _measure(client, url)
        print(f"coverage_{name}_{label}_ms={ms:.1f} queries={queries} (informational)", flush=True)
    return 1 if failed else 0


# --- The parent: both databases ------------------------------------------------------------------


def main() -> int:
    return run_both(__file__, tag="covbench", title="coverage bench")


if __name__ == "__main__":
    if is_child():
        child_main(run_child)
    sys.exit(main())
