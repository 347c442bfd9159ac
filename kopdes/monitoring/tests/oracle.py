"""An independent reckoning of the monthly rollups from the tables, through the ORM and Python:
the oracle the set-based SQL of the rebuild (`rollup_sql.py`) and the fold are checked against."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from kopdes.monitoring.facts import cooperative_village, month_of
from kopdes.monitoring.measures import is_coverage, is_state, month_codes, state_codes


def monthly_facts() -> dict[tuple[str, dt.date, str], int]:
    """Every fact's contribution summed per (region, month, measure), by aggregate queries.

    States are keyed to the month of the fact's last change (a product's updated_at, an order's
    status_changed_at, a potential's created_at, a cooperative's registration): their sums over
    the months are exact; how a rebuilt state's history is spread over months is an approximation
    of what the listeners recorded as it happened.
    """
    from django.db.models import Count, Min
    from django.db.models.functions import TruncMonth

    from kopdes.cooperatives.models import Cooperative
    from kopdes.cooperatives.selectors import coverage_facts
    from kopdes.market.models import DisplaySale, Order, OrderLine
    from kopdes.products.models import CurationRound, FeaturedProduct, Licence, Potential, Product

    tz = timezone.get_current_timezone()
    out: Counter[tuple[str, dt.date, str]] = Counter()
    rows: Any  # one aggregate query after another, each of its own shape

    def month(value) -> dt.date:
        return month_of(value)  # type: ignore[return-value]

    first = dict(
        Cooperative.objects.order_by()
        .values("village_id")
        .annotate(m=TruncMonth(Min("created_at"), tzinfo=tz))
        .values_list("village_id", "m")
    )
    for village, counts in coverage_facts().items():
        when = month(first.get(village) or timezone.now())
        for measure, value in counts.items():
            out[village, when, measure] += value

    rows = (
        Product.objects.order_by()
        .values("village_id", "status", "line", "stars")
        .annotate(m=TruncMonth("updated_at", tzinfo=tz), n=Count("id"))
        .values_list("village_id", "status", "line", "stars", "m", "n")
    )
    for village, status, line, stars, m, n in rows.iterator():
        when = month(m)
        out[village, when, f"products:{status}"] += n
        out[village, when, f"products_line:{line}"] += n
        if stars:
            out[village, when, f"products_stars:{stars}"] += n

    rows = (
        Potential.objects.order_by()
        .values("village_id", "sector")
        .annotate(m=TruncMonth("created_at", tzinfo=tz), n=Count("id"))
        .values_list("village_id", "sector", "m", "n")
    )
    for village, sector, m, n in rows.iterator():
        out[village, month(m), f"potential:{sector}"] += n

    rows = (
        CurationRound.objects.filter(status="decided", decided_at__isnull=False)
        .order_by()
        .values("product__village_id", "decision")
        .annotate(m=TruncMonth("decided_at", tzinfo=tz), n=Count("id"))
        .values_list("product__village_id", "decision", "m", "n")
    )
    for village, decision, m, n in rows.iterator():
        out[village, month(m), "curation_decided"] += n
        if decision:
            out[village, month(m), f"curation:{decision}"] += n

    for field, measure in (("issued_on", "licences_issued"), ("expires_on", "licences_expiring")):
        rows = (
            Licence.objects.filter(status="issued", **{f"{field}__isnull": False})
            .order_by()
            .values("product__village_id")
            .annotate(m=TruncMonth(field), n=Count("id"))
            .values_list("product__village_id", "m", "n")
        )
        for village, m, n in rows.iterator():
            out[village, month(m), measure] += n

    rows = FeaturedProduct.objects.order_by().values("regency_id", "month").annotate(n=Count("id"))
    for row in rows.values_list("regency_id", "month", "n").iterator():
        out[row[0], month(row[1]), "featured"] += row[2]

    villages: dict[int, str] = {}

    def village_of(cooperative_id: int) -> str:
        if cooperative_id not in villages:
            villages[cooperative_id] = cooperative_village(cooperative_id)
        return villages[cooperative_id]

    villages.update(
        {
            pk: str(v)
            for pk, v in Cooperative.objects.filter(orders__isnull=False)
            .values_list("id", "village_id")
            .distinct()
        }
    )
    rows = (
        Order.objects.order_by()
        .values("cooperative_id", "status")
        .annotate(m=TruncMonth("status_changed_at", tzinfo=tz), n=Count("id"), gmv=Sum("total"))
        .values_list("cooperative_id", "status", "m", "n", "gmv")
    )
    for coop, status, m, n, gmv in rows.iterator():
        village = village_of(coop)
        out[village, month(m), f"orders:{status}"] += n
        out[village, month(m), f"gmv:{status}"] += gmv or 0
    rows = (
        Order.objects.order_by()
        .values("cooperative_id")
        .annotate(m=TruncMonth("created_at", tzinfo=tz), n=Count("id"), gmv=Sum("total"))
        .values_list("cooperative_id", "m", "n", "gmv")
    )
    for coop, m, n, gmv in rows.iterator():
        out[village_of(coop), month(m), "orders_created"] += n
        out[village_of(coop), month(m), "gmv_created"] += gmv or 0
    rows = (
        Order.objects.filter(paid_at__isnull=False)
        .order_by()
        .values("cooperative_id")
        .annotate(m=TruncMonth("paid_at", tzinfo=tz), n=Count("id"), gmv=Sum("total"))
        .values_list("cooperative_id", "m", "n", "gmv")
    )
    for coop, m, n, gmv in rows.iterator():
        out[village_of(coop), month(m), "orders_paid"] += n
        out[village_of(coop), month(m), "gmv_paid"] += gmv or 0
    rows = (
        OrderLine.objects.filter(order__paid_at__isnull=False)
        .order_by()
        .values("order__cooperative_id")
        .annotate(m=TruncMonth("order__paid_at", tzinfo=tz), n=Sum("quantity"))
        .values_list("order__cooperative_id", "m", "n")
    )
    for coop, m, n in rows.iterator():
        out[village_of(coop), month(m), "units_paid"] += n or 0

    rows = (
        DisplaySale.objects.order_by()
        .values("display_point__region_id")
        .annotate(m=TruncMonth("sold_at", tzinfo=tz), n=Count("id"), gross=Sum("total"))
        .values_list("display_point__region_id", "m", "n", "gross")
    )
    for region, m, n, gross in rows.iterator():
        out[region, month(m), "display_sales"] += gross or 0
        out[region, month(m), "display_sales_count"] += n
    return {key: value for key, value in out.items() if value}


def monthly_tables() -> tuple[dict[tuple[str, object, str], int], dict[tuple[str, str], int]]:
    """From the facts: MonthStat's rows (district and above) and the folded states (every level;
    a village only those it keeps)."""
    monthly: dict[tuple[str, object, str], int] = defaultdict(int)
    states: dict[tuple[str, str], int] = defaultdict(int)
    for (code, month, measure), value in monthly_facts().items():
        for up in month_codes(code):
            monthly[up, month, measure] += value
        if is_state(measure) and not is_coverage(measure):
            for up in state_codes(code, measure):
                states[up, measure] += value
    return monthly, states
