#!/usr/bin/env python3
"""The monitoring rollups and dashboards at national scale (issue 6, "Measure").

On the real region tree, for SQLite and PostgreSQL, each in a child process with its own settings
(bench/_harness.py):
  0. build the dataset straight into the tables (COPY on PostgreSQL, executemany in chunks on
     SQLite; plain indexes and foreign-key checks off while loading): a cooperative in every
     village (national) or in every village of NTT (small), with members and business units;
     products with their current version, listings, orders with their lines (statuses spread,
     paid ones with `paid_at`), display-point sales and featured products, over 24 months.
     Both databases are built at the same time; the measures then run one database after the other;
  1. `rollups_rebuild()` from scratch: seconds and rows (target <= 60 s);
  2. 10,000 new orders placed now, 40% of them paid afterwards; for each, what the listeners of
     kopdes/monitoring/facts.py record on `Order.save()` (`order_contribution()` before and
     after, written by `record_many()`, the bulk form of `record()`), in one transaction; then
     `rollups_fold()` alone is timed. Three such batches one after another at national scale
     (one at small scale): the figure is the median fold (target <= 1 s); the first fold after
     the rebuilds, which also pays once for what they left behind, is reported beside it;
  3. the dashboard of the nation, a province (53) and a regency (53.07): `dashboard_get()` as it
     is served (kept in the worker's memory until the rollups change; `dashboard.<level>`) and
     read from the rollups every time (`dashboard.<level>.from_rollups`), and the page GET
     /dasbor/<code>/ through Django's test Client, p95 of 30 runs each (target <= 50 ms),
     and the same figures computed from the raw tables (`raw_figures` below: COUNT/SUM over
     cooperatives, members, units, products, orders, order lines, display sales and featured
     products, filtered by region and month), median of a few runs: ratio target >= 50x. The two
     sets of figures are compared one by one (they must be equal).

Results go to var/bench/results.json (bench/results.py) and a table on screen. Exit 1 when a
target is missed or the figures differ, 2 when a step could not run.

    .venv/bin/python bench/monitoring_bench.py --scale small      # about 2 minutes
    .venv/bin/python bench/monitoring_bench.py --scale national   # 1M products, 1M orders
    BENCH_REUSE=1 ...   # keep the built databases (var/bench/monbench-<scale>-sqlite/, PostgreSQL
                        # kopdes_monbench[_small]) and use them again next time
    BENCH_BUILD_ONLY=1  # with BENCH_REUSE=1: build the datasets, measure nothing
    BENCH_SCALE=small|national  BENCH_SKIP_PG=1  BENCH_SKIP_SQLITE=1  BENCH_RUNS=30  BENCH_RAW_RUNS=1
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432 (the default; trust authentication)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _harness import (
    PYTHON,
    ROOT,
    base_fingerprint,
    base_restore,
    base_save,
    child_env,
    child_main,
    collect_static_once,
    env_flag,
    is_child,
    pg_database,
    pg_exists,
    raw_insert,
    shared_static,
    skip_pg,
    spawn,
)

SCALES = {
    # province: where the cooperatives are (None: every village of the country).
    "national": {
        "province": None,
        "products": 1_000_000,
        "orders": 1_000_000,
        "listings": 200_000,
        "display_sales": 100_000,
    },
    "small": {
        "province": "53",
        "products": 20_000,
        "orders": 20_000,
        "listings": 5_000,
        "display_sales": 2_000,
    },
}
REGIONS = [("nation", ""), ("province", "53"), ("regency", "53.07")]
NEW_ORDERS = 10_000
FOLD_BATCHES = 3  # batches of NEW_ORDERS folded one after another (national scale)
MONTHS = 24
CHUNK = 100_000
LIMIT_REBUILD_S, LIMIT_FOLD_S, LIMIT_MS, LIMIT_RATIO = 60.0, 1.0, 50.0, 50.0
LIMIT_TOTAL_S = {"national": 1800.0, "small": 120.0}


def _int_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def log(message: str) -> None:
    print(message, flush=True)


# --- The dataset (child) -----------------------------------------------------------------------


class Clock:
    """Timestamps as the database takes them in a plain INSERT/COPY: UTC text."""

    def __init__(self, pg: bool) -> None:
        self.now = int(time.time())
        self.start = self.now - MONTHS * 30 * 86400 - 10 * 86400
        self.suffix = "+00" if pg else ""
        self.days: dict[int, str] = {}

    def text(self, t: float) -> str:
        t = int(t)
        day, rest = divmod(t, 86400)
        head = self.days.get(day)
        if head is None:
            head = self.days[day] = time.strftime("%Y-%m-%d ", time.gmtime(day * 86400))
        return f"{head}{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}{self.suffix}"

    def recent(self, u: float) -> float:
        """A moment in the 24 months, more of them lately (a programme that grows)."""
        return self.start + (self.now - 60 - self.start) * u**0.5


@contextlib.contextmanager
def bulk_loading(models: list) -> object:
    """Plain indexes of these tables dropped and built again afterwards; no foreign-key checks
    while loading (the generator makes consistent rows)."""
    from django.db import connection

    tables = [m._meta.db_table for m in models]
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if pg:
            cursor.execute(
                """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname = ANY(%s) AND NOT x.indisprimary AND NOT x.indisunique
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
                [tables],
            )
            indexes = cursor.fetchall()
            cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                f"AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN ({marks})",
                tables,
            )
            indexes = cursor.fetchall()
            cursor.execute("PRAGMA foreign_keys = OFF")  # outside a transaction, or it does nothing
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -400000")
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            if pg:
                cursor.execute("SET session_replication_role = DEFAULT")
                cursor.execute("SET maintenance_work_mem = '512MB'")
            else:
                cursor.execute("PRAGMA foreign_keys = ON")
                cursor.execute("PRAGMA synchronous = FULL")
            for _name, sql in indexes:
                cursor.execute(sql)
        log(f"  {len(indexes)} indexes built again in {time.perf_counter() - started:.1f} s")


def columns(text: str) -> list[str]:
    return text.split()


def write(model, fields: list[str], rows: list[tuple]) -> None:
    from django.db import transaction

    with transaction.atomic():
        for start in range(0, len(rows), CHUNK):
            raw_insert(model, fields, rows[start : start + CHUNK])


def build(scale: str) -> dict:
    """The dataset, straight into the tables (bench data, no services): what was made."""
    from django.core.management.color import no_style
    from django.db import connection

    from kopdes.accounts.choices import OrgKind
    from kopdes.accounts.models import Organization
    from kopdes.cooperatives.choices import SEVEN_UNITS, STAGE_ORDER, Scheme, UnitStatus
    from kopdes.cooperatives.models import BusinessUnit, Cooperative, CooperativeVillage, Member
    from kopdes.market.models import (
        Checkout,
        DisplayPoint,
        DisplaySale,
        Listing,
        ListingTotals,
        Location,
        Order,
        OrderLine,
    )
    from kopdes.products.choices import Category, ProductStatus
    from kopdes.products.models import FeaturedProduct, Producer, Product, ProductVersion
    from kopdes.regions.models import Region

    size = SCALES[scale]
    pg = connection.vendor == "postgresql"
    clock = Clock(pg)
    rng = random.Random(20261122)  # noqa: S311 - bench data, the same every run
    rand = rng.random
    made: dict[str, int] = {}
    started = time.perf_counter()

    villages = Region.objects.filter(level=4).order_by("code")
    if size["province"]:
        villages = villages.filter(code__startswith=size["province"] + ".")
    villages = list(villages.values_list("code", "name", "kind"))
    names = {
        c: f"Koperasi {'Kelurahan' if k == 'kelurahan' else 'Desa'} Merah Putih {n}" for c, n, k in villages
    }
    schemes, stages = list(Scheme.values), ["", *STAGE_ORDER]
    # Cooperatives registered over the 24 months, most early on (the programme's first push).
    registered = {c: clock.text(clock.start + (clock.now - clock.start) * rand() ** 2) for c, *_ in villages}
    write(
        Organization,
        ["kind", "name", "region", "created_at"],
        [(OrgKind.COOPERATIVE.value, names[c], c, registered[c]) for c, *_ in villages],
    )
    org_of = dict(
        Organization.objects.filter(kind=OrgKind.COOPERATIVE).order_by().values_list("region_id", "id")
    )
    coop_rows = []
    for index, (code, *_) in enumerate(villages):
        stage = stages[index % len(stages)]
        status = ("verified" if index % 3 else "submitted") if stage else ""
        scheme = schemes[index % len(schemes)]
        coop_rows.append(
            (org_of[code], code, names[code], code.replace(".", ""), scheme, stage, status, registered[code])
        )
    write(
        Cooperative,
        ["organization", "village", "name", "slug", "scheme", "stage", "stage_status", "created_at"],
        coop_rows,
    )
    coop_of = dict(Cooperative.objects.order_by().values_list("village_id", "id"))
    codes = [c for c, *_ in villages]
    write(CooperativeVillage, ["cooperative", "village", "is_seat"], [(coop_of[c], c, True) for c in codes])
    write(
        BusinessUnit,
        ["cooperative", "kind", "status"],
        [(coop_of[c], kind, UnitStatus.OPERATING.value) for c in codes[::10] for kind in SEVEN_UNITS],
    )
    write(
        Member,
        ["cooperative", "nik", "full_name", "village", "joined_on"],
        [
            (coop_of[c], f"530701010190{serial:04d}", "Anggota", c, "2026-01-05")
            for c in codes[::5]
            for serial in range(2)
        ],
    )
    write(
        Location,
        ["cooperative", "kind", "name", "village"],
        [(coop_of[c], "outlet", f"Gerai {names[c][:100]}", c) for c in codes],
    )
    outlet_of = dict(Location.objects.filter(kind="outlet").order_by().values_list("cooperative_id", "id"))
    write(
        Producer,
        ["organization", "cooperative", "village", "kind", "name"],
        [(org_of[c], coop_of[c], c, "cooperative", names[c]) for c in codes],
    )
    producer_of = dict(Producer.objects.order_by().values_list("cooperative_id", "id"))
    made["cooperatives"] = len(codes)
    log(f"  {len(codes):,} cooperatives, outlets and producers in {time.perf_counter() - started:.1f} s")

    # Products (with their current version) and listings of the ready ones.
    started = time.perf_counter()
    statuses = (
        [ProductStatus.DRAFT.value] * 15
        + [ProductStatus.IN_CURATION.value] * 10
        + [ProductStatus.REVISE.value] * 5
        + [ProductStatus.REJECTED.value] * 5
        + [ProductStatus.CURATED.value] * 15
        + [ProductStatus.READY.value] * 50
    )
    categories = list(Category.values)
    titles = ["Kopi Arabika", "Madu Hutan", "Gula Aren", "Keripik Pisang", "Abon Ikan", "Tenun Ikat", "VCO"]
    listing_share = size["listings"] / (size["products"] * 0.5)
    listings: list[tuple[int, int, int, int, str]] = []  # id, cooperative, product, price, name
    ready_in: dict[str, list[int]] = {}  # regency -> ready products (for the featured ones)
    n_codes = len(codes)
    product_fields = columns(
        "id producer cooperative village regency_code line name slug category status stars "
        "current_version created_at updated_at"
    )
    listing_fields = columns(
        "id cooperative product price is_active sellable name slug category line "
        "stars province_code regency_code village_code created_at updated_at"
    )
    with bulk_loading([Product, ProductVersion, Listing, ListingTotals]):
        for first in range(1, size["products"] + 1, CHUNK):
            products, versions, listed, totals = [], [], [], []
            for pk in range(first, min(first + CHUNK, size["products"] + 1)):
                village = codes[int(rand() * n_codes)]
                coop = coop_of[village]
                status = statuses[int(rand() * 100)]
                stars = 1 + int(rand() * 5) if status in ("curated", "ready") else 0
                name = f"{titles[pk % 7]} {pk}"
                price = 5_000 + int(rand() * 40) * 2_500
                created = clock.recent(rand())
                updated = created + (clock.now - created) * rand() ** 3  # most changed soon after
                category = categories[pk % len(categories)]
                row = (pk, producer_of[coop], coop, village, village[:5], "ovop", name, f"p-{pk:x}")
                products.append((*row, category, status, stars, pk, clock.text(created), clock.text(updated)))
                versions.append((pk, pk, 1, name, price, clock.text(created)))
                if status == "ready":
                    ready_in.setdefault(village[:5], []).append(pk)
                    if rand() < listing_share:
                        lid = len(listings) + 1
                        listings.append((lid, coop, pk, price, name))
                        shown = (
                            name,
                            f"p-{pk:x}",
                            category,
                            "ovop",
                            stars,
                            village[:2],
                            village[:5],
                            village,
                        )
                        totals.append((lid, 1 + int(rand() * 200)))
                        on_sale = (lid, coop, pk, price, True, True, *shown)
                        listed.append((*on_sale, clock.text(updated), clock.text(updated)))
            write(Product, product_fields, products)
            write(ProductVersion, ["id", "product", "number", "name", "price", "created_at"], versions)
            write(Listing, listing_fields, listed)
            write(ListingTotals, ["listing", "stock_online"], totals)
    made["products"], made["listings"] = size["products"], len(listings)
    seconds = time.perf_counter() - started
    log(f"  {made['products']:,} products, {len(listings):,} listings in {seconds:.1f} s")

    # Orders, their lines and checkouts (one checkout for two orders), over the 24 months.
    started = time.perf_counter()
    by_coop: dict[int, list[tuple]] = {}
    for listing in listings:
        by_coop.setdefault(listing[1], []).append(listing)
    n_listings = len(listings)
    line_id = 0
    order_fields = columns(
        "id number checkout cooperative access_token contact_name contact_phone delivery_method "
        "pickup_location payment_method status subtotal total paid_amount paid_at created_at "
        "status_changed_at"
    )
    line_fields = columns("id order listing product name unit_price quantity line_total location")
    older = ["completed"] * 80 + ["received"] * 5 + ["cancelled"] * 10 + ["returned"] * 3 + ["shipped"] * 2
    newer = (
        ["created"] * 10
        + ["paid"] * 15
        + ["processing"] * 15
        + ["shipped"] * 15
        + ["received"] * 15
        + ["completed"] * 20
        + ["cancelled"] * 10
    )
    paid_statuses = {"paid", "processing", "shipped", "received", "completed", "returned"}
    with bulk_loading([Checkout, Order, OrderLine]):
        for first in range(1, size["orders"] + 1, CHUNK):
            checkouts, orders, lines = [], [], []
            for pk in range(first, min(first + CHUNK, size["orders"] + 1)):
                created = clock.recent(rand())
                if pk % 2:
                    checkouts.append((pk // 2 + 1, f"bench-{pk // 2 + 1}", "bench", clock.text(created)))
                _lid, coop, *_ = listings[int(rand() * n_listings)]
                mine = by_coop[coop]
                status = (newer if clock.now - created < 30 * 86400 else older)[int(rand() * 100)]
                if status == "created" and clock.now - created > 2 * 86400:
                    status = "cancelled"  # an unpaid order expires within a day
                paid = status in paid_statuses or (status == "cancelled" and rand() < 0.25)
                paid_at = max(created, min(created + 300 + rand() * 86400, clock.now - 30)) if paid else None
                changed = min((paid_at or created) + rand() * 10 * 86400, clock.now - 10)
                if status == "created":
                    changed = created
                subtotal = 0
                for _ in range(1 if rand() < 0.6 else (2 if rand() < 0.75 else 3)):
                    lid, _c, product, price, name = mine[int(rand() * len(mine))]
                    quantity = 1 + int(rand() * 5)
                    line_id += 1
                    lines.append(
                        (line_id, pk, lid, product, name, price, quantity, price * quantity, outlet_of[coop])
                    )
                    subtotal += price * quantity
                who = (f"b{pk:042d}", "Pembeli", "+6281200000000", "pickup", outlet_of[coop], "qris", status)
                money = (
                    subtotal,
                    subtotal,
                    subtotal if paid else 0,
                    clock.text(paid_at) if paid_at else None,
                )
                times = (clock.text(created), clock.text(changed))
                orders.append((pk, f"B{pk:09d}", (pk + 1) // 2, coop, *who, *money, *times))
            write(Checkout, ["id", "idempotency_key", "fingerprint", "created_at"], checkouts)
            write(Order, order_fields, orders)
            write(OrderLine, line_fields, lines)
    made["orders"], made["order_lines"] = size["orders"], line_id
    log(f"  {made['orders']:,} orders, {line_id:,} lines in {time.perf_counter() - started:.1f} s")

    # Display points (one per regency, run by the province's operator) and their sales; featured
    # products (0 to 3 a regency a month).
    started = time.perf_counter()
    regencies = sorted({c[:5] for c in codes})
    provinces = sorted({c[:2] for c in codes})
    write(
        Organization,
        ["kind", "name", "region"],
        [(OrgKind.DISPLAY.value, f"Operator Etalase {p}", p) for p in provinces],
    )
    operator_of = dict(
        Organization.objects.filter(kind=OrgKind.DISPLAY).order_by().values_list("region_id", "id")
    )
    write(
        DisplayPoint,
        ["operator", "name", "slug", "kind", "region"],
        [
            (operator_of[r[:2]], f"Etalase {r}", f"etalase-{r.replace('.', '-')}", "airport", r)
            for r in regencies
        ],
    )
    points = list(DisplayPoint.objects.order_by("id").values_list("id", flat=True))
    sales = []
    for pk in range(1, size["display_sales"] + 1):
        sold = clock.text(clock.recent(rand()))
        sales.append(
            (
                pk,
                points[int(rand() * len(points))],
                f"DS{pk:09d}",
                10_000 + int(rand() * 100) * 1_000,
                sold,
                f"ds-{pk}",
            )
        )
    write(DisplaySale, ["id", "display_point", "number", "total", "sold_at", "idempotency_key"], sales)
    import datetime as dt

    from django.utils import timezone

    month = timezone.localdate().replace(day=1)
    featured = []
    for _ in range(MONTHS):
        for regency in regencies:
            ready = ready_in.get(regency, [])
            for product in rng.sample(ready, min(len(ready), rng.choice([0, 1, 2, 2, 3]))):
                featured.append((product, regency, month.isoformat(), clock.text(clock.now - 86400)))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    write(FeaturedProduct, ["product", "regency", "month", "designated_at"], featured)
    made["display_sales"], made["featured"] = len(sales), len(featured)
    log(
        f"  {len(sales):,} display sales, {len(featured):,} featured in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if pg:
            models = [Product, ProductVersion, Listing, Checkout, Order, OrderLine, DisplaySale]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    log(f"  statistics in {time.perf_counter() - started:.1f} s")
    return made


# --- The raw computation the rollups spare us (child) ---------------------------------------


def _within(field: str, code: str):
    """Rows of a region and everything below it, as a range the index can use: "53.07" and
    "53.07." <= x < "53.07/" ("/" follows "." in ASCII)."""
    from django.db.models import Q

    if not code:
        return Q()
    return Q(**{field: code}) | Q(**{f"{field}__gte": code + ".", f"{field}__lt": code + "/"})


def raw_figures(code: str, month, months: list) -> dict[str, float]:
    """The dashboard's figures from the fact tables: counts and sums filtered by region and month,
    what a dashboard without rollups would compute on every view."""
    import datetime as dt

    from django.db.models import Count, Sum
    from django.db.models.functions import Substr, TruncMonth
    from django.utils import timezone

    from kopdes.cooperatives.choices import STAGE_ORDER, Stage, StageStatus
    from kopdes.cooperatives.models import BusinessUnit, Cooperative, CooperativeVillage, Member
    from kopdes.market.models import DisplaySale, Order, OrderLine
    from kopdes.products.models import FeaturedProduct, Product
    from kopdes.regions.models import Region

    tz = timezone.get_current_timezone()
    out: dict[str, float] = {}
    level = 0 if not code else code.count(".") + 1
    start = dt.datetime.combine(months[0], dt.time.min, tzinfo=tz)
    after = month.replace(day=28) + dt.timedelta(days=4)
    end = dt.datetime.combine(after.replace(day=1), dt.time.min, tzinfo=tz)

    def first_day(moment) -> dt.date:
        return timezone.localtime(moment, tz).date().replace(day=1)

    coops = Cooperative.objects.filter(_within("village_id", code)).order_by()
    legal_from = STAGE_ORDER.index(Stage.BADAN_HUKUM)
    total = legal = 0
    for stage, status, n in (
        coops.values("stage", "stage_status")
        .annotate(n=Count("id"))
        .values_list("stage", "stage_status", "n")
    ):
        total += n
        key = f"stage:{stage or 'none'}"
        out[key] = out.get(key, 0) + n
        if stage and (
            STAGE_ORDER.index(stage) > legal_from
            or (STAGE_ORDER.index(stage) == legal_from and status == StageStatus.VERIFIED)
        ):
            legal += n
    out["cooperatives"], out["legal_entity"] = total, legal
    for stage in ["none", *STAGE_ORDER]:
        out.setdefault(f"stage:{stage}", 0)
    out["members_active"] = Member.objects.filter(
        _within("cooperative__village_id", code), status="active"
    ).count()
    out["units_operating"] = BusinessUnit.objects.filter(
        _within("cooperative__village_id", code), status="operating"
    ).count()
    covered = CooperativeVillage.objects.filter(_within("cooperative__village_id", code)).count()
    villages = Region.objects.filter(_within("code", code), level=4).count()
    out["villages_covered_percent"] = round(100.0 * covered / villages, 2) if villages else 0.0
    status = dict(
        Product.objects.filter(_within("village_id", code))
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    out["products_ready"] = status.get("ready", 0)
    out["products_curated"] = status.get("ready", 0) + status.get("curated", 0)

    def monthly(key: str, rows) -> None:
        for m in months:
            out[f"{key} {m:%Y-%m}"] = 0
        for moment, value in rows:
            out[f"{key} {first_day(moment):%Y-%m}"] += value or 0

    orders = Order.objects.filter(_within("cooperative__village_id", code)).order_by()
    monthly(
        "orders_created",
        orders.filter(created_at__gte=start, created_at__lt=end)
        .annotate(m=TruncMonth("created_at", tzinfo=tz))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n"),
    )
    monthly(
        "gmv_paid",
        orders.filter(paid_at__gte=start, paid_at__lt=end)
        .annotate(m=TruncMonth("paid_at", tzinfo=tz))
        .values("m")
        .annotate(n=Sum("total"))
        .values_list("m", "n"),
    )
    monthly(
        "units_paid",
        OrderLine.objects.filter(
            _within("order__cooperative__village_id", code), order__paid_at__gte=start, order__paid_at__lt=end
        )
        .order_by()
        .annotate(m=TruncMonth("order__paid_at", tzinfo=tz))
        .values("m")
        .annotate(n=Sum("quantity"))
        .values_list("m", "n"),
    )
    sales = list(
        DisplaySale.objects.filter(
            _within("display_point__region_id", code), sold_at__gte=start, sold_at__lt=end
        )
        .order_by()
        .annotate(m=TruncMonth("sold_at", tzinfo=tz))
        .values("m")
        .annotate(n=Count("id"), gross=Sum("total"))
        .values_list("m", "n", "gross")
    )
    monthly("display_sales", [(m, gross) for m, _n, gross in sales])
    monthly("display_sales_count", [(m, n) for m, n, _gross in sales])
    if level <= 2:  # the nation, a province and a regency have a featured-product target
        featured = FeaturedProduct.objects.filter(
            _within("regency_id", code), month__gte=months[0], month__lte=month
        )
        for m in months:
            out[f"featured {m:%Y-%m}"] = 0
        for m, n in featured.order_by().values("month").annotate(n=Count("id")).values_list("month", "n"):
            out[f"featured {m:%Y-%m}"] += n

    # The children's columns: current cooperatives and villages covered, the month's orders and
    # money paid, featured products (nation and province), money of orders sold to date.
    length = {0: 2, 1: 5, 2: 8}[level]
    children = (
        Region.objects.filter(level=1) if not code else Region.objects.filter(parent_id=code)
    ).values_list("code", flat=True)
    for child in children:
        for key in ("cooperatives", "covered", "gmv_paid", "orders_created", "gmv_sold"):
            out[f"{child} {key}"] = 0
        if level <= 1:
            out[f"{child} featured"] = 0

    def per_child(key: str, rows) -> None:
        for child, value in rows:
            if f"{child} {key}" in out:
                out[f"{child} {key}"] += value or 0

    per_child(
        "cooperatives",
        coops.annotate(c=Substr("village_id", 1, length))
        .values("c")
        .annotate(n=Count("id"))
        .values_list("c", "n"),
    )
    per_child(
        "covered",
        CooperativeVillage.objects.filter(_within("cooperative__village_id", code))
        .order_by()
        .annotate(c=Substr("cooperative__village_id", 1, length))
        .values("c")
        .annotate(n=Count("id"))
        .values_list("c", "n"),
    )
    by_child = orders.annotate(c=Substr("cooperative__village_id", 1, length)).values("c")
    this_start = dt.datetime.combine(month, dt.time.min, tzinfo=tz)
    per_child(
        "orders_created",
        by_child.filter(created_at__gte=this_start, created_at__lt=end)
        .annotate(n=Count("id"))
        .values_list("c", "n"),
    )
    per_child(
        "gmv_paid",
        by_child.filter(paid_at__gte=this_start, paid_at__lt=end)
        .annotate(n=Sum("total"))
        .values_list("c", "n"),
    )
    sold = ("paid", "processing", "shipped", "received", "completed")
    per_child("gmv_sold", by_child.filter(status__in=sold).annotate(n=Sum("total")).values_list("c", "n"))
    if level <= 1:
        per_child(
            "featured",
            FeaturedProduct.objects.filter(_within("regency_id", code), month=month)
            .order_by()
            .annotate(c=Substr("regency_id", 1, length))
            .values("c")
            .annotate(n=Count("id"))
            .values_list("c", "n"),
        )
    return out


def shown_figures(dash) -> dict[str, float]:
    """The same figures as the dashboard shows them."""
    out: dict[str, float] = {}
    months = [p.month for p in dash.series]
    for figure in dash.figures:
        if (
            figure.history
            and figure.unit != "percent"
            and figure.key
            not in (
                "cooperatives",
                "legal_entity",
                "members_active",
                "units_operating",
                "products_ready",
                "products_curated",
            )
        ):
            for m, value in zip(months, figure.history, strict=True):  # a flow, month by month
                out[f"{figure.key} {m:%Y-%m}"] = value
        else:
            out[figure.key] = figure.value
    for step in dash.funnel:
        out[f"stage:{step.stage}"] = step.at_stage
    for row in dash.children:
        out[f"{row.code} cooperatives"] = row.cooperatives
        out[f"{row.code} covered"] = row.covered
        out[f"{row.code} gmv_paid"] = row.gmv_paid
        out[f"{row.code} orders_created"] = row.orders_created
        out[f"{row.code} gmv_sold"] = row.gmv_sold
        if row.featured is not None:
            out[f"{row.code} featured"] = row.featured
    return out


# --- The measures (child) ----------------------------------------------------------------------


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def remove_new_orders() -> int:
    """The orders an earlier measure added (numbers N…), with their lines and checkouts: raw
    deletes, no listeners (the next rebuild counts from the tables anyway)."""
    from django.db import connection, transaction

    from kopdes.market.models import Checkout, Order, OrderLine
    from kopdes.monitoring.models import RollupDelta

    quote = connection.ops.quote_name
    orders, lines, checkouts = (quote(m._meta.db_table) for m in (Order, OrderLine, Checkout))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {lines} WHERE order_id IN (SELECT id FROM {orders} WHERE number LIKE 'N%%')"  # noqa: S608
        )
        cursor.execute(f"DELETE FROM {orders} WHERE number LIKE 'N%%'")  # noqa: S608
        removed = cursor.rowcount
        cursor.execute(f"DELETE FROM {checkouts} WHERE idempotency_key LIKE 'bench-new-%%'")  # noqa: S608
        RollupDelta.objects.all().delete()
    return removed


def new_orders(count: int, batch: int = 0) -> int:
    """`count` orders placed now, 40% of them paid afterwards, in one transaction; for each, what
    the listeners of kopdes/monitoring/facts.py record on `Order.save()` (`order_contribution`
    before and after), written by `record_many` (`record` for many facts in one insert). The
    orders and their lines are written as plain rows (`raw_insert`), as saving 10,000 orders one
    by one through the ORM would take minutes here. `batch` tells one call's orders from another's
    (their numbers and keys). Returns the RollupDelta rows written."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from kopdes.market.models import Checkout, Listing, Location, Order, OrderLine
    from kopdes.monitoring.facts import (
        cooperative_villages_load,
        order_contribution,
        record_many,
        this_month,
    )
    from kopdes.monitoring.models import RollupDelta

    rng = random.Random(7 + batch)  # noqa: S311
    last = Listing.objects.order_by("-id").values_list("id", flat=True).first() or 0
    picked = list(
        Listing.objects.filter(id__in=rng.sample(range(1, last + 1), min(last, count))).values_list(
            "id", "cooperative_id", "product_id", "price", "name"
        )
    )
    outlet_of = dict(Location.objects.filter(kind="outlet").values_list("cooperative_id", "id"))
    now = timezone.now()
    paid_at = now + dt.timedelta(seconds=1)
    month = this_month()
    cooperative_villages_load(coop for _lid, coop, *_rest in picked)

    def next_id(model) -> int:
        return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1

    checkout_id, order_id, line_id = next_id(Checkout), next_id(Order), next_id(OrderLine)
    moment = connection.ops.adapt_datetimefield_value  # SQLite: text in Django's format
    checkouts = [
        (checkout_id + i, f"bench-new-{batch}-{i}", "bench", moment(now)) for i in range(count // 2 + 1)
    ]
    orders, lines, changes = [], [], []
    for i in range(count):
        lid, coop, product, price, name = picked[i % len(picked)]
        quantity = 1 + i % 3
        total, paid = price * quantity, i % 5 < 2
        order = Order(
            id=order_id + i,
            cooperative_id=coop,
            status="created",
            total=total,
            created_at=now,
            status_changed_at=now,
        )
        # placed: the post_save listener of a new order
        changes.append(("", {}, *order_contribution(order, month)))
        if paid:  # paid: pre_save saw it created, post_save sees it paid
            before = order_contribution(order, month)
            order.status, order.paid_at, order.status_changed_at = "paid", paid_at, paid_at
            changes.append((*before, *order_contribution(order, month, units=quantity)))
        orders.append(
            (
                order.pk,
                f"N{batch}{i:08d}",
                checkout_id + i // 2,
                coop,
                f"n{batch}{i:041d}",
                "Pembeli",
                "+6281200000000",
                "pickup",
                outlet_of[coop],
                "qris",
                order.status,
                total,
                total,
                total if paid else 0,
                moment(order.paid_at),
                moment(now),
                moment(order.status_changed_at),
            )
        )
        lines.append((line_id + i, order.pk, lid, product, name, price, quantity, total, outlet_of[coop]))
    with transaction.atomic():
        write(Checkout, ["id", "idempotency_key", "fingerprint", "created_at"], checkouts)
        write(
            Order,
            columns(
                "id number checkout cooperative access_token contact_name contact_phone delivery_method "
                "pickup_location payment_method status subtotal total paid_amount paid_at created_at "
                "status_changed_at"
            ),
            orders,
        )
        write(
            OrderLine, columns("id order listing product name unit_price quantity line_total location"), lines
        )
        with connection.cursor() as cursor:  # the ids were given: the sequences move past them
            for sql in connection.ops.sequence_reset_sql(no_style(), [Checkout, Order, OrderLine]):
                cursor.execute(sql)
        record_many(changes)  # what `record` writes for each, in one insert
        return RollupDelta.objects.count()


def measure(label: str, scale: str) -> int:
    """Steps 1-3 on one database; 0, or 1 when a target is missed."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from results import record

    from kopdes.core.visitor_cache import kept_objects
    from kopdes.monitoring.models import MonthStat, RegionStat
    from kopdes.monitoring.selectors_dashboard import add_months, dashboard_get
    from kopdes.monitoring.services import rollups_fold, rollups_rebuild

    # The raw computation takes minutes at national scale: once there is plenty.
    runs, raw_runs = _int_env("BENCH_RUNS", 30), _int_env("BENCH_RAW_RUNS", 1)
    failed = False

    def put(name: str, value: float, unit: str, **extra) -> None:
        nonlocal failed
        entry = record(f"monitoring.{name}", value, unit, db=label, scale=scale, **extra)
        failed |= entry.get("ok") is False
        mark = {True: "ok", False: "MISSED"}.get(entry.get("ok"), "")
        more = "".join(f" {k}={entry[k]}" for k in ("baseline", "ratio", "target", "each") if k in entry)
        log(f"  {label} {name} = {value:,.2f} {unit}{more} {mark}")

    removed = remove_new_orders()
    if removed:
        log(f"  {removed:,} orders of an earlier run removed")

    # From scratch: a kept database still holds the last run's rollups.
    with transaction.atomic():
        MonthStat.objects.all()._raw_delete(MonthStat.objects.db)
        RegionStat.objects.all()._raw_delete(RegionStat.objects.db)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the deleted rows' space back, as in a new database
            cursor.execute("VACUUM monitoring_monthstat")
            cursor.execute("VACUUM monitoring_regionstat")
            # The deltas an earlier run left and removed (autovacuum's work on a server that has it
            # on; this machine's has it off): the fold reads this table.
            cursor.execute("VACUUM monitoring_rollupdelta")
    result = rollups_rebuild()
    put(
        "rebuild",
        result.seconds,
        "s",
        target=f"<= {LIMIT_REBUILD_S:.0f}",
        ok=result.seconds <= LIMIT_REBUILD_S,
    )
    put("rebuild.rows", result.rows + result.month_rows, "rows")
    again = rollups_rebuild()  # the common case: tables the subscribers kept right, nothing to write
    put(
        "rebuild.again",
        again.seconds,
        "s",
        target=f"<= {LIMIT_REBUILD_S:.0f}",
        ok=again.seconds <= LIMIT_REBUILD_S,
    )
    put(
        "rebuild.again.changed",
        again.created + again.updated + again.deleted,
        "rows",
        target="0",
        ok=not (again.created + again.updated + again.deleted),
    )

    # Orders flow in batches of 10,000, each folded: the figure is the median fold. The first
    # fold after the rebuilds also pays for them once (PostgreSQL's buffers they left dirty, pages
    # they packed full that its rows split again), so it is reported on its own as well.
    folds, recorded = [], []
    for batch in range(FOLD_BATCHES if scale == "national" else 1):  # small: its 2-minute budget
        started = time.perf_counter()
        deltas = new_orders(NEW_ORDERS, batch)
        recorded.append(time.perf_counter() - started)
        folds.append(rollups_fold())
    put("new_orders.recorded", statistics.median(recorded), "s")
    median = statistics.median(f.seconds for f in folds)
    put(
        "fold_10k_orders",
        median,
        "s",
        target=f"<= {LIMIT_FOLD_S:.0f}",
        ok=median <= LIMIT_FOLD_S,
        batches=len(folds),
        each=[round(f.seconds, 3) for f in folds],
    )
    put("fold_10k_orders.first_after_rebuild", folds[0].seconds, "s")
    put("fold_10k_orders.deltas", deltas, "rows")
    put("fold_10k_orders.upserts", folds[-1].rows, "rows")  # MonthStat and RegionStat rows it moved

    client = Client()
    for level, code in REGIONS:
        dash = dashboard_get(user=None, code=code)  # warm: the connection, the region rows
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            dash = dashboard_get(user=None, code=code)
            times.append((time.perf_counter() - started) * 1000)
        selector_p95 = _p(times, 0.95)
        # The same read with nothing kept in memory: as after every change of the rollups.
        unkept = []
        for _ in range(runs):
            kept_objects().clear()
            started = time.perf_counter()
            dashboard_get(user=None, code=code)
            unkept.append((time.perf_counter() - started) * 1000)
        unkept_p95 = _p(unkept, 0.95)
        url = f"/dasbor/{code}/" if code else "/dasbor/"
        client.get(url)
        pages = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            pages.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        page_p95 = _p(pages, 0.95)
        months = [p.month for p in dash.series] or [add_months(dash.month, i - 11) for i in range(12)]
        raw_times = []
        for _ in range(raw_runs):
            started = time.perf_counter()
            raw = raw_figures(code, dash.month, months)
            raw_times.append((time.perf_counter() - started) * 1000)
        raw_ms = statistics.median(raw_times)
        shown = shown_figures(dash)
        differ = sorted(
            k for k in set(shown) | set(raw) if float(shown.get(k) or 0) != float(raw.get(k) or 0)
        )
        for key in differ[:8]:
            log(f"    {label} {level} differs: {key}: dashboard {shown.get(key)} raw {raw.get(key)}")
        put(
            f"dashboard.{level}", selector_p95, "ms", target=f"<= {LIMIT_MS:.0f}", ok=selector_p95 <= LIMIT_MS
        )
        put(
            f"dashboard.{level}.from_rollups",
            unkept_p95,
            "ms",
            baseline=round(raw_ms, 1),
            ratio=round(raw_ms / unkept_p95 if unkept_p95 else 0.0, 1),
            target=f"<= {LIMIT_MS:.0f}",
            ok=unkept_p95 <= LIMIT_MS,
        )
        put(f"dashboard.{level}.page", page_p95, "ms", target=f"<= {LIMIT_MS:.0f}", ok=page_p95 <= LIMIT_MS)
        put(f"dashboard.{level}.page_queries", len(queries), "queries")
        ratio = raw_ms / selector_p95 if selector_p95 else 0.0
        # The ratio is a national-scale target: a small dataset's raw tables are quick to scan.
        national = scale == "national"
        put(
            f"dashboard.{level}.vs_raw",
            selector_p95,
            "ms",
            baseline=round(raw_ms, 1),
            ratio=round(ratio, 1),
            target=f">= {LIMIT_RATIO:.0f}x" if national else f"(>= {LIMIT_RATIO:.0f}x national)",
            ok=ratio >= LIMIT_RATIO if national else None,
        )
        put(f"dashboard.{level}.figures_differ", len(differ), f"of {len(shown)}", target="0", ok=not differ)

    remove_new_orders()  # a kept database stays as built
    return 1 if failed else 0


def collect_static() -> int:
    log(f"  static files {collect_static_once()} in {os.environ['STATIC_ROOT']}")
    return 0


def run_child(argument: str) -> int:
    label, step = argument.split(":")
    scale = os.environ.get("BENCH_SCALE", "national")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    fingerprint = base_fingerprint() if step == "prepare" else ""
    restored = step == "prepare" and base_restore(label, fingerprint)
    import django

    django.setup()
    from django.core.management import call_command

    from kopdes.regions.services import regions_load

    if step == "measure":
        return measure(label, scale)
    if step == "static":
        return collect_static()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    marker = Path(os.environ["KOPDES_VAR_DIR"]) / "built.json"
    if not restored and not marker.exists():  # a kept dataset has its regions
        regions_load()
    if not restored and not marker.exists():
        base_save(label, fingerprint)
    how = "from the saved base " if restored else ("(kept) " if marker.exists() else "")
    log(f"  {label} migrate, regions {how}in {time.perf_counter() - started:.1f} s")
    if marker.exists():
        log(f"  {label} dataset reused ({marker})")
        return 0
    started = time.perf_counter()
    made = build(scale)
    seconds = time.perf_counter() - started
    log(f"  {label} dataset built in {seconds:.0f} s: {made}")
    from results import record

    record("monitoring.build", round(seconds, 1), "s", db=label, scale=scale)
    marker.write_text(json.dumps({"scale": scale, **made}))
    return 0


# --- The parent --------------------------------------------------------------------------------


def _prefixed(proc: subprocess.Popen, label: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        print(f"[{label}] {line}", end="", flush=True)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from results import now, record, since, table

    scale = os.environ.get("BENCH_SCALE", "national")
    if "--scale" in sys.argv:
        scale = sys.argv[sys.argv.index("--scale") + 1]
    if scale not in SCALES:
        print(f"unknown scale {scale!r}: small or national", file=sys.stderr)
        return 2
    reuse = env_flag("BENCH_REUSE")
    began, started = now(), time.perf_counter()
    print(f"monitoring bench, {scale} scale{' (reusing built databases)' if reuse else ''}", flush=True)

    keep = ROOT / "var" / "bench"
    temp = Path(tempfile.mkdtemp(prefix="kopdes-monbench-"))
    targets: list[tuple[str, Path, str]] = []  # label, var dir, PostgreSQL database ("" for SQLite)
    if not env_flag("BENCH_SKIP_SQLITE"):
        targets.append(("sqlite", keep / f"monbench-{scale}-sqlite" if reuse else temp / "sqlite", ""))
    if not skip_pg():
        name = (
            ("kopdes_monbench" + ("" if scale == "national" else f"_{scale}"))
            if reuse
            else f"kopdes_monbench_{os.getpid()}"
        )
        targets.append(("postgresql", keep / f"monbench-{scale}-pg" if reuse else temp / "pg", name))

    static = shared_static()  # collected once, for every bench, database and run
    worst = 0
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, temp, ignore_errors=True)
        envs = {}
        for label, var, db in targets:
            built = reuse and (var / "built.json").exists() and (not db or pg_exists(db))
            if not built:
                (var / "built.json").unlink(missing_ok=True)
                for old in var.glob("kopdes.sqlite3*"):
                    old.unlink()
            var.mkdir(parents=True, exist_ok=True)
            extra = {"KOPDES_VAR_DIR": str(var), "BENCH_SCALE": scale, "STATIC_ROOT": str(static)}
            if db:
                extra["DATABASE_URL"] = stack.enter_context(pg_database(db, keep=reuse, fresh=not built))
            envs[label] = child_env(**extra)

        # Both datasets and the static files at once (each child is mostly one core's work), then
        # the measures in turn.
        envs["static"] = child_env(KOPDES_VAR_DIR=str(temp), STATIC_ROOT=str(static))
        procs = {}
        for label in envs:
            procs[label] = subprocess.Popen(
                [str(PYTHON), __file__, "--child", f"{label}:{'static' if label == 'static' else 'prepare'}"],
                cwd=ROOT,
                env=envs[label],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        readers = [threading.Thread(target=_prefixed, args=(p, label)) for label, p in procs.items()]
        for reader in readers:
            reader.start()
        ready = []
        for label, proc in procs.items():
            try:
                code = proc.wait(timeout=3600)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = 2
            if code:
                print(f"{label}: preparing failed (exit {code})", flush=True)
                worst = 2
            else:
                ready.append(label)
        for reader in readers:
            reader.join()
        # BENCH_BUILD_ONLY=1 (with BENCH_REUSE=1): prepare the datasets now, measure on a later run.
        for label in ready if "static" in ready and not env_flag("BENCH_BUILD_ONLY") else []:
            if label != "static":
                try:
                    worst = max(worst, spawn(__file__, f"{label}:measure", envs[label], timeout=7200))
                except subprocess.TimeoutExpired:
                    print(f"{label}: the measures took more than two hours", flush=True)
                    worst = 2

    total = time.perf_counter() - started
    limit = LIMIT_TOTAL_S[scale]
    record("monitoring.total", round(total, 1), "s", target=f"<= {limit:.0f}", ok=total <= limit, scale=scale)
    if total > limit:
        worst = max(worst, 1)
    print()
    print(table([e for e in since(began, prefix="monitoring.") if e.get("scale") == scale]))
    print(
        f"\nmonitoring bench ({scale}): " + ("PASS" if worst == 0 else "FAIL") + f" in {total:.0f} s",
        flush=True,
    )
    return 0 if worst == 0 else (1 if worst == 1 else 2)


if __name__ == "__main__":
    if is_child():
        child_main(run_child)
    try:
        sys.exit(main())
    except Exception:  # a step that could not run (the database server, a child that hung)
        import traceback

        traceback.print_exc()
        sys.exit(2)
