"""Reading display points: the public list, a point's shelf, sales and consignments, its monthly
settlements and each cooperative's statement. Every read asks the policy layer first."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from kopdes.accounts.choices import OFFICER_ROLES, Role
from kopdes.accounts.scopes import admin_prefixes, org_ids, region_q
from kopdes.cooperatives.models import Cooperative
from kopdes.cooperatives.policies import MANAGING
from kopdes.core.errors import NotFound
from kopdes.core.policies import can, require
from kopdes.products.selectors_licences import region_zone
from kopdes.regions.models import Region

from .choices import ONLINE_KINDS, DisplaySettlementStatus, LocationKind
from .models import (
    Consignment,
    DisplayPoint,
    DisplaySale,
    DisplaySaleLine,
    DisplaySettlement,
    Listing,
    Location,
    StockLevel,
)
from .services_display import commission_for, month_start, month_window, point_month


def display_point_list(*, user, kind: str = "", region: str = "") -> QuerySet[DisplayPoint]:
    """Open display points, for everyone: optionally of one kind, or inside one region."""
    require(user, "market.display.list", None)
    points = DisplayPoint.objects.filter(is_active=True).select_related("region", "region__parent")
    if kind:
        points = points.filter(kind=kind)
    if region:
        points = points.filter(Q(region_id=region) | Q(region__code__startswith=region + "."))
    return points.order_by("name", "id")


def display_provinces() -> list[Region]:
    """The provinces that have an open display point (for the list's filter)."""
    codes = {
        code[:2] for code in DisplayPoint.objects.filter(is_active=True).values_list("region_id", flat=True)
    }
    return list(Region.objects.filter(code__in=codes).order_by("name")) if codes else []


def display_point_public(*, user, slug: str) -> DisplayPoint:
    require(user, "market.display.list", None)
    point = (
        DisplayPoint.objects.select_related("region", "region__parent")
        .filter(slug=slug, is_active=True)
        .first()
    )
    if point is None:
        raise NotFound()
    return point


def display_point_get(*, user, slug: str, action: str = "market.display.view") -> DisplayPoint:
    """A point by its slug, for those `action` allows (operate, view, settle)."""
    point = DisplayPoint.objects.select_related("region", "operator").filter(slug=slug).first()
    if point is None:
        raise NotFound()
    require(user, action, point)
    return point


def display_points_managed(*, user) -> QuerySet[DisplayPoint]:
    """Points the user runs (as operator) or oversees (as an admin of their region)."""
    points = DisplayPoint.objects.select_related("region").order_by("name", "id")
    prefixes = admin_prefixes(user)
    if "" in prefixes:
        return points
    scope = Q(pk__in=[])
    operated = org_ids(user, Role.DISPLAY_OPERATOR)
    if operated:
        scope |= Q(operator_id__in=operated)
    if prefixes:
        scope |= region_q(user, "region__code")  # the key itself: no join
    return points.filter(scope)


# --- The shelf --------------------------------------------------------------------------------


def shelf_levels(*, user, point: DisplayPoint, action: str = "market.display.view", positive: bool = False):
    """What is on the point's shelf, by cooperative and product (one query)."""
    require(user, action, point)
    levels = StockLevel.objects.filter(location__display_point=point).select_related(
        "listing", "listing__cooperative"
    )
    if positive:
        levels = levels.filter(quantity__gt=0)
    return list(levels.order_by("listing__cooperative__name", "listing__name", "listing_id"))


def shelf_public(*, user, point: DisplayPoint) -> list[Listing]:
    """The products a visitor can buy at the point now (with `on_shelf`)."""
    require(user, "market.display.list", None)
    levels = (
        StockLevel.objects.filter(location__display_point=point, quantity__gt=0)
        .select_related("listing", "listing__cooperative")
        .order_by("listing__name", "listing_id")
    )
    listings = []
    for level in levels:
        level.listing.on_shelf = level.quantity  # type: ignore[attr-defined]
        listings.append(level.listing)
    return listings


@dataclass
class ShelfGroup:
    cooperative: Cooperative
    levels: list = field(default_factory=list)
    units: int = 0
    value: int = 0


def shelf_by_cooperative(levels) -> list[ShelfGroup]:
    groups: dict[int, ShelfGroup] = {}
    for level in levels:
        group = groups.setdefault(
            level.listing.cooperative_id, ShelfGroup(cooperative=level.listing.cooperative)
        )
        group.levels.append(level)
        group.units += level.quantity
        group.value += level.quantity * level.listing.price
    return list(groups.values())


def sales_recent(*, user, point: DisplayPoint, limit: int = 20) -> list[DisplaySale]:
    require(user, "market.display.view", point)
    return list(
        DisplaySale.objects.filter(display_point=point)
        .annotate(units=Sum("lines__quantity"))
        .select_related("sold_by")
        .order_by("-sold_at", "-id")[:limit]
    )


def sales_today(*, user, point: DisplayPoint) -> dict:
    """The cashier's day so far (in the point's local time): count and total."""
    require(user, "market.display.operate", point)
    from django.utils import timezone

    zone = region_zone(point.region_id)
    today = timezone.now().astimezone(zone).date()
    start = dt.datetime(today.year, today.month, today.day, tzinfo=zone)
    row = DisplaySale.objects.filter(display_point=point, sold_at__gte=start).aggregate(
        count=Count("id"), total=Sum("total")
    )
    return {"count": row["count"] or 0, "total": row["total"] or 0, "date": today}


def consignments_recent(*, user, point: DisplayPoint, limit: int = 20) -> list[Consignment]:
    require(user, "market.display.view", point)
    return list(
        Consignment.objects.filter(display_point=point)
        .select_related("listing", "listing__cooperative", "from_location", "actor")
        .order_by("-created_at", "-id")[:limit]
    )


# --- Settlements and statements ---------------------------------------------------------------


def settlement_list(*, user, point: DisplayPoint, month=None) -> QuerySet[DisplaySettlement]:
    """The point's settlements (of one month when given), newest month first."""
    require(user, "market.display.settle", point)
    settlements = DisplaySettlement.objects.filter(display_point=point).select_related("cooperative")
    if month:
        settlements = settlements.filter(month=month_start(month))
    return settlements.order_by("-month", "cooperative__name", "cooperative_id")


def settlement_preview(*, user, point: DisplayPoint, month: dt.date) -> list[dict]:
    """What preparing the month would give, per cooperative, before anything is written."""
    require(user, "market.display.settle", point)
    from .services_display import month_gross

    gross = month_gross(point, month)
    names = dict(Cooperative.objects.filter(pk__in=list(gross)).values_list("pk", "name"))
    rows = []
    for cooperative_id, amount in gross.items():
        commission = commission_for(amount, point.commission_percent)
        rows.append(
            {
                "cooperative": names.get(cooperative_id, ""),
                "gross": amount,
                "commission": commission,
                "net": amount - commission,
            }
        )
    return sorted(rows, key=lambda row: row["cooperative"])


def months_for(point: DisplayPoint, count: int = 12) -> list[dt.date]:
    """The point's last `count` local months, the current one first."""
    months = [point_month(point)]
    while len(months) < count:
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    return months


def settlement_get(*, user, pk: int) -> DisplaySettlement:
    settlement = (
        DisplaySettlement.objects.select_related(
            "display_point", "display_point__region", "display_point__operator", "cooperative", "settled_by"
        )
        .filter(pk=pk)
        .first()
    )
    if settlement is None:
        raise NotFound()
    require(user, "market.display.statement", settlement)
    return settlement


@dataclass
class StatementProduct:
    listing_id: int
    name: str
    quantity: int = 0
    gross: int = 0


@dataclass
class StatementLine:
    sold_at: dt.datetime  # in the point's local time
    sale_number: str
    payment_method: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


@dataclass
class Statement:
    settlement: DisplaySettlement
    point: DisplayPoint
    cooperative: Cooperative
    month: dt.date
    zone: str
    products: list[StatementProduct]
    lines: list[StatementLine]
    gross: int
    commission: int
    net: int
    percent: int | None  # the rate the commission was computed at, when known
    consigned: int
    taken_back: int
    on_shelf: int
    lines_gross: int  # sum of the month's lines now; differs from gross on a stale draft

    @property
    def stale(self) -> bool:
        return self.settlement.status == DisplaySettlementStatus.DRAFT and self.lines_gross != self.gross


def statement(*, user, settlement: DisplaySettlement) -> Statement:
    """One cooperative's month at one point: every line sold, totals by product, consignment
    movements of the month, the commission and what the cooperative receives (5 queries)."""
    require(user, "market.display.statement", settlement)
    point = settlement.display_point
    zone = region_zone(point.region_id)
    start, end = month_window(point, settlement.month)
    rows = (
        DisplaySaleLine.objects.filter(
            sale__display_point=point,
            cooperative_id=settlement.cooperative_id,
            sale__sold_at__gte=start,
            sale__sold_at__lt=end,
        )
        .select_related("sale", "listing")
        .order_by("sale__sold_at", "sale_id", "id")
    )
    products: dict[int, StatementProduct] = {}
    lines = []
    for row in rows:
        lines.append(
            StatementLine(
                sold_at=row.sale.sold_at.astimezone(zone),
                sale_number=row.sale.number,
                payment_method=row.sale.payment_method,
                name=row.listing.name,
                quantity=row.quantity,
                unit_price=row.unit_price,
                line_total=row.line_total,
            )
        )
        product = products.setdefault(row.listing_id, StatementProduct(row.listing_id, row.listing.name))
        product.quantity += row.quantity
        product.gross += row.line_total
    moved: dict[str, int] = defaultdict(int)
    for quantity in Consignment.objects.filter(
        display_point=point,
        listing__cooperative_id=settlement.cooperative_id,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("quantity", flat=True):
        moved["in" if quantity > 0 else "back"] += abs(quantity)
    on_shelf = (
        StockLevel.objects.filter(
            location__display_point=point, listing__cooperative_id=settlement.cooperative_id
        ).aggregate(total=Sum("quantity"))["total"]
        or 0
    )
    percent: int | None = settlement.commission_percent
    if percent is None:  # settled before the rate was kept: the point's rate, if it explains it
        percent = point.commission_percent
        if commission_for(settlement.gross, percent) != settlement.commission:
            percent = None
    return Statement(
        settlement=settlement,
        point=point,
        cooperative=settlement.cooperative,
        month=settlement.month,
        zone={"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(zone.key, zone.key),
        products=sorted(products.values(), key=lambda p: (p.name, p.listing_id)),
        lines=lines,
        gross=settlement.gross,
        commission=settlement.commission,
        net=settlement.net,
        percent=percent,
        consigned=moved["in"],
        taken_back=moved["back"],
        on_shelf=on_shelf,
        lines_gross=sum(line.line_total for line in lines),
    )


# --- The cooperative's side -------------------------------------------------------------------


def cooperatives_officered(*, user, roles=tuple(OFFICER_ROLES)) -> list[Cooperative]:
    """Cooperatives where the user holds one of `roles`."""
    orgs = org_ids(user, *roles)
    if not orgs:
        return []
    return list(Cooperative.objects.filter(organization_id__in=orgs).order_by("name", "id"))


@dataclass
class ConsignChoices:
    cooperatives: list[Cooperative]
    points: list[DisplayPoint]
    listings: list[Listing]
    locations: list[Location]


def consign_choices(*, user) -> ConsignChoices:
    """What a cooperative officer may consign: their cooperatives' listings and outlets or
    warehouses, and the open display points (4 queries)."""
    cooperatives = [
        c for c in cooperatives_officered(user=user, roles=MANAGING) if can(user, "market.display.consign", c)
    ]
    ids = [c.pk for c in cooperatives]
    if not ids:
        return ConsignChoices([], [], [], [])
    return ConsignChoices(
        cooperatives=cooperatives,
        points=list(
            DisplayPoint.objects.filter(is_active=True).select_related("region").order_by("name", "id")
        ),
        listings=list(
            Listing.objects.filter(cooperative_id__in=ids)
            .select_related("cooperative")
            .order_by("cooperative__name", "name", "id")
        ),
        locations=list(
            Location.objects.filter(cooperative_id__in=ids, kind__in=ONLINE_KINDS, is_active=True)
            .select_related("cooperative")
            .order_by("cooperative__name", "name", "id")
        ),
    )


@dataclass
class CooperativeDisplay:
    cooperatives: list[Cooperative]
    shelves: list[StockLevel]
    consignments: list[Consignment]
    settlements: list[DisplaySettlement]


def cooperative_display(*, user) -> CooperativeDisplay:
    """For a cooperative's officers: their goods on display shelves, recent consignments and the
    monthly statements (4 queries)."""
    require(user, "market.display.cooperative", None)
    cooperatives = [
        c
        for c in cooperatives_officered(user=user)
        if can(user, "market.display.consign", c) or can(user, "market.settlement.view", c)
    ]
    ids = [c.pk for c in cooperatives]
    if not ids:
        return CooperativeDisplay([], [], [], [])
    return CooperativeDisplay(
        cooperatives=cooperatives,
        shelves=list(
            StockLevel.objects.filter(
                location__kind=LocationKind.DISPLAY, listing__cooperative_id__in=ids, quantity__gt=0
            )
            .select_related("listing", "listing__cooperative", "location", "location__display_point")
            .order_by("location__display_point__name", "listing__name", "id")
        ),
        consignments=list(
            Consignment.objects.filter(listing__cooperative_id__in=ids)
            .select_related("display_point", "listing", "listing__cooperative", "from_location")
            .order_by("-created_at", "-id")[:30]
        ),
        settlements=list(
            DisplaySettlement.objects.filter(cooperative_id__in=ids)
            .select_related("display_point", "cooperative")
            .order_by("-month", "display_point__name", "id")[:60]
        ),
    )
