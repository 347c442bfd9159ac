"""What each fact contributes to the monthly rollups, and the listeners that record changes.

A contribution maps (month, measure) to a value for one region (a village, or a display
point's region). States are keyed to the month they change in (the current month); flows to
the month they happened in. When a fact is saved, its contribution before and after is compared
and the difference appended to `RollupDelta` in the same transaction; `rollups_fold` adds those
up right after commit (a task) or on demand.

The listeners are Django signals on the writers' models (products, market), so the writers do
not know this read model exists; cooperatives publish `cooperatives.changed` themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from kopdes.core.commit_marks import Mark
from kopdes.core.generations import generation, generation_touch
from kopdes.core.rows import inserting

from .measures import COUNT_OF

Contribution = dict[tuple[dt.date, str], int]


def month_of(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


# --- Contributions of each kind of fact ------------------------------------------------------


def product_contribution(product, now: dt.date) -> tuple[str, Contribution]:
    c: Contribution = {(now, f"products:{product.status}"): 1, (now, f"products_line:{product.line}"): 1}
    if product.stars:
        c[now, f"products_stars:{product.stars}"] = 1
    return str(product.village_id), c


def potential_contribution(potential, now: dt.date) -> tuple[str, Contribution]:
    return str(potential.village_id), {(now, f"potential:{potential.sector}"): 1}


def _product_village(product_id) -> str:
    from kopdes.products.models import Product

    return Product.objects.filter(pk=product_id).values_list("village_id", flat=True).first() or ""


def round_contribution(round, now: dt.date) -> tuple[str, Contribution]:
    if round.status != "decided" or not round.decided_at:
        return "", {}
    month = month_of(round.decided_at)
    assert month is not None  # noqa: S101  (decided_at is set)
    c: Contribution = {(month, "curation_decided"): 1}
    if round.decision:
        c[month, f"curation:{round.decision}"] = 1
    return _product_village(round.product_id), c


def licence_contribution(licence, now: dt.date) -> tuple[str, Contribution]:
    if licence.status != "issued":
        return "", {}
    c: Contribution = {}
    if licence.issued_on:
        c[month_of(licence.issued_on), "licences_issued"] = 1  # type: ignore[index]
    if licence.expires_on:
        c[month_of(licence.expires_on), "licences_expiring"] = 1  # type: ignore[index]
    return (_product_village(licence.product_id) if c else ""), c


def featured_contribution(featured, now: dt.date) -> tuple[str, Contribution]:
    return str(featured.regency_id), {(month_of(featured.month), "featured"): 1}  # type: ignore[dict-item]


_VILLAGE_OF_COOPERATIVE: dict[int, str] = {}


def cooperative_village(cooperative_id: int) -> str:
    """A cooperative's seat village (never changes once registered; cached in the process)."""
    if cooperative_id not in _VILLAGE_OF_COOPERATIVE:
        cooperative_villages_load([cooperative_id])
    return _VILLAGE_OF_COOPERATIVE.get(cooperative_id, "")


def cooperative_villages_load(cooperative_ids: Iterable[int]) -> None:
    """Learn the seat villages of many cooperatives in one query (before a bulk change)."""
    from kopdes.cooperatives.models import Cooperative

    wanted = {pk for pk in cooperative_ids if pk not in _VILLAGE_OF_COOPERATIVE}
    if wanted:
        for pk, village in Cooperative.objects.filter(pk__in=wanted).values_list("id", "village_id"):
            _VILLAGE_OF_COOPERATIVE[pk] = str(village)


def _order_units(order_id) -> int:
    from kopdes.market.models import OrderLine

    return OrderLine.objects.filter(order_id=order_id).aggregate(n=Sum("quantity"))["n"] or 0


def order_contribution(order, now: dt.date, units: int | None = None) -> tuple[str, Contribution]:
    """`units`: the order's units, when the caller knows them (else read from its lines)."""
    created = month_of(order.created_at)
    c: Contribution = {
        (now, f"orders:{order.status}"): 1,
        (now, f"gmv:{order.status}"): order.total,
        (created, "orders_created"): 1,  # type: ignore[dict-item]
        (created, "gmv_created"): order.total,  # type: ignore[dict-item]
    }
    if order.paid_at:
        paid = month_of(order.paid_at)
        c[paid, "gmv_paid"] = order.total  # type: ignore[index]
        c[paid, "orders_paid"] = 1  # type: ignore[index]
        if units is None:
            units = _order_units(order.pk) if order.pk else 0
        c[paid, "units_paid"] = units  # type: ignore[index]
    return _order_village(order), c


def _order_village(order) -> str:
    """The seat village of the order's cooperative: from the cooperative the order holds, when it
    was loaded with its village (the checkout's), else from the process's cache."""
    cached = type(order).cooperative.field.get_cached_value(order, None)
    if cached is not None and "village_id" in cached.__dict__:
        return str(cached.village_id)
    return cooperative_village(order.cooperative_id)


def display_sale_contribution(sale, now: dt.date) -> tuple[str, Contribution]:
    from kopdes.market.models import DisplayPoint

    region = DisplayPoint.objects.filter(pk=sale.display_point_id).values_list("region_id", flat=True).first()
    month = month_of(sale.sold_at)
    return str(region or ""), {(month, "display_sales"): sale.total, (month, "display_sales_count"): 1}  # type: ignore[dict-item]


# --- The rollups' generation -----------------------------------------------------------------

ROLLUPS_GENERATION = "monitoring:rollups-generation"


def rollups_generation() -> int:
    """Moves on with every change of the rollups or of what dashboards read beside them (the
    provinces' targets): the key of the dashboards kept in memory."""
    return generation(ROLLUPS_GENERATION)


def rollups_touch() -> None:
    """Move the rollups' generation on once the current transaction commits."""
    generation_touch(ROLLUPS_GENERATION)


def _target_changed(sender, instance, raw=False, **kwargs) -> None:
    rollups_touch()


# --- Recording -------------------------------------------------------------------------------

FOLD_SCHEDULED_KEY = "monitoring:fold-scheduled"


def _enqueue_fold() -> None:
    from .tasks import rollups_fold_task

    rollups_fold_task.enqueue()


# At most one fold task a second however many transactions commit: each fold takes all.
_schedule_fold = Mark(FOLD_SCHEDULED_KEY, 1, _enqueue_fold)


def record(region_before: str, before: Contribution, region_after: str, after: Contribution) -> None:
    """Append the difference between two contributions to the outbox (same transaction)."""
    record_many([(region_before, before, region_after, after)])


ROWS_PER_INSERT = 160  # 800 parameters: under SQLite's and PostgreSQL's limits


def record_many(changes: Iterable[tuple[str, Contribution, str, Contribution]]) -> int:
    """`record` for many facts at once (a bulk change): one insert for all their deltas. Each
    change is (region before, contribution before, region after, contribution after). Returns
    the rows appended."""
    rows = _delta_rows(changes)
    if rows:
        with connection.cursor() as cursor:
            for start in range(0, len(rows), ROWS_PER_INSERT):
                sql, params = _delta_insert(rows[start : start + ROWS_PER_INSERT])
                cursor.execute(sql, params)
        transaction.on_commit(_schedule_fold, robust=True)  # the deltas wait for the next commit
    return len(rows)


def _delta_rows(changes: Iterable[tuple[str, Contribution, str, Contribution]]) -> list[tuple]:
    """The outbox's rows of these changes: (region, month, measure, delta, amount)."""
    rows: list[tuple] = []
    for region_before, before, region_after, after in changes:
        # (region, month, measure held) -> [delta, amount]: money goes with its count (COUNT_OF).
        deltas: dict[tuple[str, dt.date, str], list[int]] = {}
        for region, contribution, sign in ((region_before, before, -1), (region_after, after, 1)):
            if not region:
                continue
            for (month, measure), value in contribution.items():
                if value:
                    count = COUNT_OF.get(measure)
                    pair = deltas.setdefault((region, month, count or measure), [0, 0])
                    pair[1 if count else 0] += sign * value
        rows.extend(
            (region, connection.ops.adapt_datefield_value(month), measure, delta, amount)
            for (region, month, measure), (delta, amount) in deltas.items()
            if delta or amount
        )
    return rows


def _delta_insert(rows: list[tuple]) -> tuple[str, list]:
    # Plain rows nothing listens to: multi-row inserts, without building a model per row.
    from .models import RollupDelta

    table = connection.ops.quote_name(RollupDelta._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    return (
        f"INSERT INTO {table} (region_code, month, measure, delta, amount) VALUES {values}",  # noqa: S608
        [value for row in rows for value in row],
    )


Contributor = Callable[[object, dt.date], tuple[str, Contribution]]
SOURCES: dict[str, Contributor] = {
    "products.Product": product_contribution,
    "products.Potential": potential_contribution,
    "products.CurationRound": round_contribution,
    "products.Licence": licence_contribution,
    "products.FeaturedProduct": featured_contribution,
    "market.Order": order_contribution,
    "market.DisplaySale": display_sale_contribution,
}


def _before(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    contribute = SOURCES[sender._meta.label]
    old = sender._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    instance._rollup_before = contribute(old, this_month()) if old is not None else ("", {})


def _after(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    contribute = SOURCES[sender._meta.label]
    written = instance.__dict__.pop("_rollup_written", None)
    if written is not None:  # by the statement that inserted it (`_inserting`)
        instance._rollup_before = written
        return
    region_before, before = getattr(instance, "_rollup_before", ("", {}))
    region_after, after = contribute(instance, this_month())
    record(region_before, before, region_after, after)
    instance._rollup_before = (region_after, after)


def _inserting(sender, instances, statement, **kwargs) -> None:
    """New instances a statement of many writes inserts (kopdes.core.rows.Statement): their
    deltas are written by that same statement, and their post_save records nothing again."""
    contribute = SOURCES[sender._meta.label]
    now = this_month()
    contributions = [contribute(instance, now) for instance in instances]
    rows = _delta_rows(("", {}, region, contribution) for region, contribution in contributions)
    for start in range(0, len(rows), ROWS_PER_INSERT):
        statement.write(*_delta_insert(rows[start : start + ROWS_PER_INSERT]))
    if rows:
        statement.on_commit(_schedule_fold, robust=True)
    for instance, written in zip(instances, contributions, strict=True):
        instance._rollup_written = written  # what its post_save keeps as the state recorded


def _deleted(sender, instance, **kwargs) -> None:
    region, before = SOURCES[sender._meta.label](instance, this_month())
    record(region, before, "", {})


def connect() -> None:
    # A province's featured-product target is read beside the rollups (the target board).
    post_save.connect(
        _target_changed, sender="products.ProvinceTarget", dispatch_uid="monitoring.target.save"
    )
    post_delete.connect(
        _target_changed, sender="products.ProvinceTarget", dispatch_uid="monitoring.target.delete"
    )
    for label in SOURCES:
        uid = f"monitoring.facts.{label}"
        pre_save.connect(_before, sender=label, dispatch_uid=uid + ".pre")
        post_save.connect(_after, sender=label, dispatch_uid=uid + ".post")
        post_delete.connect(_deleted, sender=label, dispatch_uid=uid + ".delete")
        inserting.connect(_inserting, sender=label, dispatch_uid=uid + ".inserting")


def coverage_changed(*, village_code: str, before: dict[str, int], after: dict[str, int]) -> None:
    """The cooperatives' own event: its state measures change in this month."""
    now = this_month()
    record(
        village_code,
        {(now, measure): value for measure, value in before.items()},
        village_code,
        {(now, measure): value for measure, value in after.items()},
    )
