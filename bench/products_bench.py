#!/usr/bin/env python3
"""The featured-products board of NTT with 100,000 products behind it, and a public product page.

For SQLite (a temporary KOPDES_VAR_DIR) and PostgreSQL (a new database `kopdes_prodbench_<pid>`,
dropped afterwards), in a child process each, so that each gets its own settings:
  1. migrate, load the regions, collect the static files (copied from the benches' saved base
     and shared folder when they are there: `django_on_base`);
  2. a cooperative in one village of each of NTT's 22 regencies (through the service), 10 producers
     each, and 100,000 products spread over the regencies (bench data: bulk_create, not the
     services), a third of them curated; three featured designations per regency and month of
     2026 (792 in all);
  3. ask the NTT board (/unggulan/provinsi/53/?year=2026) and a public product page
     ("products:public", when that page exists) through Django's test Client in-process with DEBUG
     off, and report the median of 20 requests' server time and the queries one request runs.

Prints lines like `board_ntt_sqlite_ms=7.9 queries=4`. Exits 1 when the board takes more than 50 ms
or runs more than 10 queries (the product page: more than 50 ms or 5 queries), 2 when a step
could not run.

    .venv/bin/python bench/products_bench.py            # both databases
    BENCH_SKIP_PG=1 .venv/bin/python bench/products_bench.py
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432 (the default; trust authentication)
"""

from __future__ import annotations

import statistics
import sys
import time

from _harness import child_main, django_on_base, is_child, run_both

LIMIT_MS = 50.0
LIMIT_QUERIES = 10
LIMIT_PRODUCT_QUERIES = 5
REQUESTS = 20
PRODUCTS = 100_000
PRODUCERS_PER_REGENCY = 10
FEATURED_PER_MONTH = 3
YEAR = 2026

# --- The child: one database -------------------------------------------------------------------


def _load_products() -> tuple[int, int, str]:
    """NTT's producers, 100,000 products and a year of featured designations (bench data)."""
    import datetime as dt

    from django.db import transaction

    from kopdes.accounts.choices import OrgKind
    from kopdes.accounts.models import Organization
    from kopdes.cooperatives.services import cooperative_create
    from kopdes.products.choices import LINE_OF_PRODUCER, Category, ProducerKind, ProductStatus
    from kopdes.products.models import FeaturedProduct, Producer, Product, ProductVersion
    from kopdes.regions.models import Region

    regencies = list(Region.objects.filter(parent_id="53", level=2).order_by("code"))
    categories = list(Category.values)
    with transaction.atomic():
        producers: list[Producer] = []
        for regency in regencies:
            village = (
                Region.objects.filter(code__startswith=regency.code + ".", level=4).order_by("code").first()
            )
            assert village is not None
            cooperative = cooperative_create(actor=None, village=village)
            orgs = Organization.objects.bulk_create(
                Organization(kind=OrgKind.PRODUCER, name=f"Produsen {regency.name} {n}", region=village)
                for n in range(PRODUCERS_PER_REGENCY)
            )
            producers += Producer.objects.bulk_create(
                Producer(
                    organization=org,
                    cooperative=cooperative,
                    village=village,
                    kind=ProducerKind.UMKM,
                    name=org.name,
                )
                for org in orgs
            )
        statuses = [ProductStatus.CURATED, ProductStatus.DRAFT, ProductStatus.READY]
        batch: list[Product] = []
        for n in range(PRODUCTS):
            producer = producers[n % len(producers)]
            batch.append(
                Product(
                    producer=producer,
                    cooperative_id=producer.cooperative_id,
                    village_id=producer.village_id,
                    regency_code=producer.village_id[:5],
                    line=LINE_OF_PRODUCER[ProducerKind.UMKM],
                    name=f"Produk {n:06d}",
                    slug=f"produk-{n:06d}",
                    category=categories[n % len(categories)],
                    status=statuses[n % 3],
                    stars=n % 6,
                )
            )
            if len(batch) == 10_000:
                Product.objects.bulk_create(batch)
                batch = []
        if batch:
            Product.objects.bulk_create(batch)
        featured = []
        for regency in regencies:
            curated = list(
                Product.objects.filter(regency_code=regency.code, status=ProductStatus.CURATED)
                .order_by("id")
                .values_list("id", flat=True)[: 12 * FEATURED_PER_MONTH]
            )
            for index, product_id in enumerate(curated):
                featured.append(
                    FeaturedProduct(
                        product_id=product_id,
                        regency=regency,
                        month=dt.date(YEAR, index // FEATURED_PER_MONTH + 1, 1),
                    )
                )
        FeaturedProduct.objects.bulk_create(featured)
        sample = Product.objects.filter(status=ProductStatus.READY).order_by("id").first()
        assert sample is not None
        version = ProductVersion.objects.create(
            product=sample, number=1, name=sample.name, price=35_000, description="Kopi Flores"
        )
        sample.current_version = version
        sample.save(update_fields=["current_version"])
    return Product.objects.count(), len(featured), sample.slug


def _measure(client, url: str) -> tuple[float, int]:
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
    return statistics.median(times), len(queries)


def _report(name: str, ms: float, queries: int, max_queries: int, *, informational: bool = False) -> bool:
    ok = ms <= LIMIT_MS and queries <= max_queries
    if informational:
        print(f"{name}_ms={ms:.1f} queries={queries} (informational)", flush=True)
        return True
    mark = "" if ok else f"  FAIL (limit {LIMIT_MS:.0f} ms, {max_queries} queries)"
    print(f"{name}_ms={ms:.1f} queries={queries}{mark}", flush=True)
    return ok


def run_child(label: str) -> int:
    started = time.perf_counter()
    ready = django_on_base(label)  # migrated, regions, static files (from the saved base if kept)
    print(f"setup_{label}_s={time.perf_counter() - started:.1f} ({ready})", flush=True)
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from kopdes.products.selectors_licences import board
    from kopdes.regions.models import Region

    started = time.perf_counter()
    products, featured, slug = _load_products()
    print(
        f"bulk_products_{label}_s={time.perf_counter() - started:.1f}"
        f" products={products} featured={featured}",
        flush=True,
    )
    data = board(user=None, region=Region.objects.get(code="53"), year=YEAR)
    if len(data["rows"]) != 22 or data["achieved"] != featured:
        print(
            f"FAIL the board shows {data['achieved']} featured in {len(data['rows'])} regencies", flush=True
        )
        return 1

    client = Client()
    ok = True
    ms, queries = _measure(client, f"/unggulan/provinsi/53/?year={YEAR}")
    ok &= _report(f"board_ntt_{label}", ms, queries, LIMIT_QUERIES)
    ms, queries = _measure(client, f"/unggulan/kabupaten/53.07/?year={YEAR}")
    ok &= _report(f"board_regency_{label}", ms, queries, LIMIT_QUERIES)
    try:
        url = reverse("products:public", args=[slug])
    except NoReverseMatch:
        print(f"product_page_{label}: skipped, the URL name products:public does not exist yet", flush=True)
    else:
        ms, queries = _measure(client, url)
        ok &= _report(f"product_page_{label}", ms, queries, LIMIT_PRODUCT_QUERIES)
    return 0 if ok else 1


# --- The parent: both databases ------------------------------------------------------------------


def main() -> int:
    return run_both(__file__, tag="prodbench", title="products bench")


if __name__ == "__main__":
    if is_child():
        child_main(run_child)
    sys.exit(main())
