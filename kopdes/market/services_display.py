"""Display points: opening a showcase, consigning stock to it and taking it back, recording sales at
its cashier, and settling each cooperative's month.

Stock moves only through `services_stock._move` (a conditional decrement: never below zero). A
consignment moves stock from a cooperative's outlet or warehouse to the point's shelf (two
movements, consign_out and consign_in); a sale takes it off the shelf (display_sale). Rows are
touched in (listing id, location id) order, like checkout, so that concurrent writers never wait
on each other in a circle.

Months are the point's local months (WIB, WITA or WIT by its province). Commission rounding: the
commission of one cooperative's month at one point is `gross * percent / 100` rounded half up to
whole rupiah, computed once on that month's gross (never per sale), so net + commission == gross.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kopdes.accounts.choices import OrgKind
from kopdes.core.audit import audit_record
from kopdes.core.errors import Conflict, DomainError, NotFound
from kopdes.core.policies import can, require
from kopdes.products.selectors_licences import local_month, region_zone

from .catalog_cache import catalog_touch
from .choices import (
    ONLINE_KINDS,
    DisplayKind,
    DisplaySettlementStatus,
    LocationKind,
    MovementReason,
    PaymentMethod,
    SettlementKind,
)
from .models import (
    Consignment,
    DisplayPoint,
    DisplaySale,
    DisplaySaleLine,
    DisplaySettlement,
    Listing,
    Location,
    SettlementEntry,
    StockLevel,
    StockMovement,
)
from .services_stock import _move

MAX_COMMISSION = 50  # percent; also a database constraint
MAX_QUANTITY = 10_000  # units of one product in one consignment or sale
MAX_LINES = 60  # products in one sale
# The cashier sends "cash" or "qris"; cash is stored as the cash method of the order model.
CASH = "cash"
PAYMENT_METHODS = {CASH: PaymentMethod.COD, PaymentMethod.COD: PaymentMethod.COD, "qris": PaymentMethod.QRIS}


def _invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, fields={field: [message]})


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def commission_for(gross: int, percent: int) -> int:
    """The operator's commission on a cooperative's month: percent of gross, rounded half up."""
    return (int(gross) * int(percent) + 50) // 100


def month_start(value) -> dt.date:
    """The first day of the month of a date, or of a 'YYYY-MM' string."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*", str(value or ""))
    if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 2000:
        return dt.date(int(match.group(1)), int(match.group(2)), 1)
    raise _invalid("month", _("Choose a month as YYYY-MM."), "invalid_month")


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_window(point: DisplayPoint, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants a local month of the point starts and ends (end excluded)."""
    zone = region_zone(point.region_id)
    end = next_month(month)
    return (
        dt.datetime(month.year, month.month, 1, tzinfo=zone),
        dt.datetime(end.year, end.month, 1, tzinfo=zone),
    )


def point_month(point: DisplayPoint, at: dt.datetime | None = None) -> dt.date:
    """The point's local month at `at` (now by default)."""
    return local_month(point.region_id, at)


def shelf_of(point: DisplayPoint) -> Location:
    try:
        return Location.objects.get(display_point=point, kind=LocationKind.DISPLAY)
    except Location.DoesNotExist:
        raise NotFound(_("This display point has no shelf.")) from None


def _quantity(value, field: str = "quantity") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(field, _("Enter a whole number.")) from None
    if not (1 <= number <= MAX_QUANTITY):
        raise _invalid(field, _("Enter a quantity between 1 and %(max)s.") % {"max": f"{MAX_QUANTITY:,}"})
    return number


def _coordinate(value, field: str, limit: int):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("Enter a number.")) from None
    if not (-limit <= number <= limit):
        raise _invalid(field, _("Enter a value between -%(limit)s and %(limit)s.") % {"limit": limit})
    return number


# Paths under /titik-pajang/ that a point's slug must not take.
RESERVED_SLUGS = frozenset({"baru", "koperasi", "setelmen"})


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "titik-pajang")[:50].strip("-")
    slug = base
    while slug in RESERVED_SLUGS or DisplayPoint.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug


def _require_active(point: DisplayPoint, *, lock: bool = False) -> None:
    """Read from the database, not the caller's copy; `lock` (a consignment) waits for a closing
    under way, so that no goods reach a shelf that has just been found empty and closed."""
    rows = DisplayPoint.objects.filter(pk=point.pk, is_active=True)
    if not (rows.select_for_update() if lock else rows).exists():
        raise Conflict(_("This display point is closed."), code="display_point_closed")


# --- Display points ---------------------------------------------------------------------------


def _commission(value) -> int:
    try:
        percent = int(value)
    except (TypeError, ValueError):
        raise _invalid("commission_percent", _("Enter a whole number.")) from None
    if not (0 <= percent <= MAX_COMMISSION):
        raise _invalid(
            "commission_percent",
            _("The commission must be between 0%% and %(max)s%%.") % {"max": MAX_COMMISSION},
        )
    return percent


@transaction.atomic
def display_point_create(
    *,
    actor,
    operator_org,
    name: str,
    kind: str,
    region,
    address: str = "",
    latitude=None,
    longitude=None,
    commission_percent: int = 10,
) -> DisplayPoint:
    """Open a display point in the actor's region, run by a display operator organisation."""
    if region is None:
        raise _invalid("region", _("Choose the region of the display point."))
    require(actor, "market.display.manage", region)
    if operator_org is None or operator_org.kind != OrgKind.DISPLAY:
        raise _invalid("operator_org", _("Choose a display point operator."), "not_an_operator")
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("Enter a name."))
    if kind not in DisplayKind.values:
        raise _invalid("kind", _("Choose the kind of place."))
    percent = _commission(commission_percent)
    latitude = _coordinate(latitude, "latitude", 90)
    longitude = _coordinate(longitude, "longitude", 180)
    point = DisplayPoint.objects.create(
        operator=operator_org,
        name=name[:150],
        slug=_unique_slug(name),
        kind=kind,
        region=region,
        address=(address or "").strip()[:255],
        latitude=latitude,
        longitude=longitude,
        commission_percent=percent,
    )
    Location.objects.create(
        kind=LocationKind.DISPLAY,
        display_point=point,
        cooperative=None,
        name=name[:120],
        village=region,
        address=point.address,
        latitude=latitude,
        longitude=longitude,
    )
    audit_record(
        actor=actor,
        action="market.display.create",
        obj=point,
        changes={"operator": operator_org.name, "kind": kind, "commission_percent": percent},
    )
    return point


@transaction.atomic
def display_point_update(
    *,
    actor,
    point: DisplayPoint,
    name: str,
    address: str = "",
    latitude=None,
    longitude=None,
    commission_percent: int = 10,
) -> DisplayPoint:
    """Change a point's name, address, location on the map or commission (an admin of its
    region). A new commission applies to the months not settled yet; a settled month keeps the
    rate it was settled at."""
    require(actor, "market.display.manage", point.region)
    locked = DisplayPoint.objects.select_for_update().get(pk=point.pk)
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("Enter a name."))
    after = {
        "name": name[:150],
        "address": (address or "").strip()[:255],
        "latitude": _coordinate(latitude, "latitude", 90),
        "longitude": _coordinate(longitude, "longitude", 180),
        "commission_percent": _commission(commission_percent),
    }
    changes = {
        field: [_plain(getattr(locked, field)), _plain(value)]
        for field, value in after.items()
        if getattr(locked, field) != value
    }
    if not changes:
        return locked
    for field, value in after.items():
        setattr(locked, field, value)
    locked.save(update_fields=list(after))
    Location.objects.filter(display_point=locked, kind=LocationKind.DISPLAY).update(
        name=locked.name[:120], address=locked.address, latitude=locked.latitude, longitude=locked.longitude
    )
    audit_record(actor=actor, action="market.display.update", obj=locked, changes=changes)
    return locked


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


@transaction.atomic
def display_point_close(*, actor, point: DisplayPoint) -> DisplayPoint:
    """Close a point (an exhibition ends, a lease runs out): no more sales or consignments. Its
    goods go back to their cooperatives first, so nothing is left on a closed shelf; its past
    months can still be settled."""
    require(actor, "market.display.manage", point.region)
    locked = DisplayPoint.objects.select_for_update().get(pk=point.pk)
    if not locked.is_active:
        return locked
    left = StockLevel.objects.filter(location__display_point=locked, quantity__gt=0).aggregate(
        n=Sum("quantity")
    )["n"]
    if left:
        raise Conflict(
            _("%(count)s units are still on the shelf: their cooperatives take them back first.")
            % {"count": left},
            code="display_point_not_empty",
        )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    Location.objects.filter(display_point=locked).update(is_active=False)
    audit_record(actor=actor, action="market.display.close", obj=locked, changes={"is_active": [True, False]})
    return locked


@transaction.atomic
def display_point_reopen(*, actor, point: DisplayPoint) -> DisplayPoint:
    require(actor, "market.display.manage", point.region)
    locked = DisplayPoint.objects.select_for_update().get(pk=point.pk)
    if locked.is_active:
        return locked
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    Location.objects.filter(display_point=locked).update(is_active=True)
    audit_record(
        actor=actor, action="market.display.reopen", obj=locked, changes={"is_active": [False, True]}
    )
    return locked


# --- Consignment ------------------------------------------------------------------------------


def _own_location(listing: Listing, location: Location, field: str) -> None:
    if (
        location is None
        or location.cooperative_id != listing.cooperative_id
        or location.kind not in ONLINE_KINDS
        or not location.is_active
    ):
        raise _invalid(
            field, _("Choose one of the cooperative's own outlets or warehouses."), "wrong_location"
        )


def _transfer(
    *, actor, listing: Listing, source: Location, target: Location, quantity: int, reasons, note: str
) -> list[StockMovement]:
    """Take `quantity` off `source` and put it on `target`, touching rows in location-id order."""
    steps = sorted([(source, -quantity, reasons[0]), (target, quantity, reasons[1])], key=lambda s: s[0].pk)
    movements = []
    for location, delta, reason in steps:
        movement = _move(
            listing_id=listing.pk, location=location, delta=delta, reason=reason, actor=actor, note=note
        )
        if movement is None:
            available = (
                StockLevel.objects.filter(listing=listing, location=source)
                .values_list("quantity", flat=True)
                .first()
                or 0
            )
            message = _("Only %(available)s of %(name)s at %(place)s.") % {
                "available": available,
                "name": listing.name,
                "place": source.name,
            }
            raise Conflict(message, code="not_enough_stock", fields={"quantity": [message]})
        movements.append(movement)
    StockMovement.objects.bulk_create(movements)
    return movements


@transaction.atomic
def consign(
    *, actor, display_point: DisplayPoint, listing: Listing, from_location: Location, quantity, note: str = ""
) -> Consignment:
    """A cooperative hands stock from its outlet or warehouse to a display point's shelf."""
    require(actor, "market.display.consign", listing.cooperative)
    _require_active(display_point, lock=True)
    _own_location(listing, from_location, "from_location")
    quantity = _quantity(quantity)
    note = (note or "").strip()[:255]
    shelf = shelf_of(display_point)
    _transfer(
        actor=actor,
        listing=listing,
        source=from_location,
        target=shelf,
        quantity=quantity,
        reasons=(MovementReason.CONSIGN_OUT, MovementReason.CONSIGN_IN),
        note=note or display_point.name,
    )
    consignment = Consignment.objects.create(
        display_point=display_point,
        listing=listing,
        from_location=from_location,
        quantity=quantity,
        note=note,
        actor=actor if _authenticated(actor) else None,
    )
    audit_record(
        actor=actor,
        action="market.display.consign",
        obj=listing,
        changes={"display_point": display_point.name, "from": from_location.name, "quantity": quantity},
    )
    catalog_touch()
    return consignment


@transaction.atomic
def consign_back(
    *, actor, display_point: DisplayPoint, listing: Listing, to_location: Location, quantity, note: str = ""
) -> Consignment:
    """Take consigned stock off a display point's shelf back to the cooperative's outlet or
    warehouse: by the cooperative's officers, or by the operator returning it."""
    if not can(actor, "market.display.operate", display_point):
        require(actor, "market.display.consign", listing.cooperative)
    _own_location(listing, to_location, "to_location")
    quantity = _quantity(quantity)
    note = (note or "").strip()[:255]
    shelf = shelf_of(display_point)
    _transfer(
        actor=actor,
        listing=listing,
        source=shelf,
        target=to_location,
        quantity=quantity,
        reasons=(MovementReason.CONSIGN_BACK, MovementReason.CONSIGN_BACK),
        note=note or display_point.name,
    )
    consignment = Consignment.objects.create(
        display_point=display_point,
        listing=listing,
        from_location=to_location,
        quantity=-quantity,
        note=note,
        actor=actor if _authenticated(actor) else None,
    )
    audit_record(
        actor=actor,
        action="market.display.consign_back",
        obj=listing,
        changes={"display_point": display_point.name, "to": to_location.name, "quantity": quantity},
    )
    catalog_touch()
    return consignment


# --- Sales at the point -----------------------------------------------------------------------


def _clean_key(value) -> str:
    key = (value or "").strip()
    if not (8 <= len(key) <= 64):
        raise _invalid("idempotency_key", _("The request has no valid idempotency key."), "idempotency_key")
    return key


def _clean_lines(lines: Iterable) -> dict[int, int]:
    """{listing id: quantity}, the same product on two lines added up; zero quantities dropped."""
    wanted: dict[int, int] = {}
    for item in lines or ():
        try:
            listing_id, quantity = item
            listing_id, quantity = int(listing_id), int(quantity)
        except (TypeError, ValueError):
            raise _invalid("lines", _("Enter whole numbers.")) from None
        if quantity < 0:
            raise _invalid("lines", _("A quantity cannot be negative."))
        if quantity:
            wanted[listing_id] = wanted.get(listing_id, 0) + quantity
    if not wanted:
        raise _invalid("lines", _("Choose at least one product."), "sale_empty")
    if len(wanted) > MAX_LINES:
        raise _invalid("lines", _("At most %(max)s products in one sale.") % {"max": MAX_LINES})
    for listing_id, quantity in wanted.items():
        if quantity > MAX_QUANTITY:
            raise _invalid(
                f"listing:{listing_id}",
                _("Enter a quantity between 1 and %(max)s.") % {"max": f"{MAX_QUANTITY:,}"},
            )
    return dict(sorted(wanted.items()))


def _payment_method(value) -> str:
    method = PAYMENT_METHODS.get(str(value or "").strip().lower())
    if method is None:
        raise _invalid("payment_method", _("Choose cash or QRIS."))
    return method


def _same_point(sale: DisplaySale, point: DisplayPoint) -> DisplaySale:
    if sale.display_point_id != point.pk:
        raise Conflict(
            _("This idempotency key was used for a sale at another display point."), code="idempotency_key"
        )
    return sale


def _new_sale_number(point: DisplayPoint) -> str:
    today = timezone.now().astimezone(region_zone(point.region_id)).date()
    return f"DP{today:%y%m%d}{secrets.token_hex(4).upper()}"


def display_sale_record(
    *, actor, display_point: DisplayPoint, lines, payment_method: str, idempotency_key: str
) -> DisplaySale:
    """Record a sale at the point's cashier: all lines or none, never more than the shelf holds.

    `lines` is [(listing id, quantity), ...]. A retry with the same idempotency key returns the
    sale of the first attempt.
    """
    require(actor, "market.display.operate", display_point)
    key = _clean_key(idempotency_key)
    existing = DisplaySale.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_point(existing, display_point)
    _require_active(display_point)
    wanted = _clean_lines(lines)
    method = _payment_method(payment_method)
    try:
        with transaction.atomic():
            return _sell(actor, display_point, wanted, method, key)
    except IntegrityError:
        # The same key committed meanwhile by a concurrent request (a double tap).
        existing = DisplaySale.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_point(existing, display_point)


def _shortage(listing: Listing | None, listing_id: int, available: int) -> str:
    if listing is None or available <= 0:
        return _("This product is not on the shelf.")
    return _("Only %(available)s of %(name)s left on the shelf.") % {
        "available": available,
        "name": listing.name,
    }


def _sell(actor, point: DisplayPoint, wanted: dict[int, int], method: str, key: str) -> DisplaySale:
    shelf = shelf_of(point)
    listings = {
        listing.pk: listing
        for listing in Listing.objects.filter(pk__in=list(wanted)).only(
            "id", "name", "price", "cooperative_id"
        )
    }
    on_shelf = dict(
        StockLevel.objects.filter(location=shelf, listing_id__in=list(wanted)).values_list(
            "listing_id", "quantity"
        )
    )
    # Every line that cannot be served, at once, so that the cashier corrects them in one go.
    short = {
        f"listing:{listing_id}": [
            _shortage(listings.get(listing_id), listing_id, on_shelf.get(listing_id, 0))
        ]
        for listing_id, quantity in wanted.items()
        if listing_id not in listings or on_shelf.get(listing_id, 0) < quantity
    }
    if short:
        raise Conflict(next(iter(short.values()))[0], code="not_enough_on_shelf", fields=short)
    total = sum(listings[listing_id].price * quantity for listing_id, quantity in wanted.items())
    sale = DisplaySale.objects.create(
        display_point=point,
        number=_new_sale_number(point),
        payment_method=method,
        total=total,
        sold_by=actor if _authenticated(actor) else None,
        idempotency_key=key,
    )
    movements, sale_lines = [], []
    for listing_id, quantity in wanted.items():  # listing-id order
        listing = listings[listing_id]
        movement = _move(
            listing_id=listing_id,
            location=shelf,
            delta=-quantity,
            reason=MovementReason.DISPLAY_SALE,
            actor=actor,
            note=sale.number,
            display_sale=sale,
            sold_delta=quantity,
        )
        if movement is None:  # sold meanwhile by another cashier: nothing of this sale stays
            available = (
                StockLevel.objects.filter(location=shelf, listing_id=listing_id)
                .values_list("quantity", flat=True)
                .first()
                or 0
            )
            message = _shortage(listing, listing_id, available)
            raise Conflict(message, code="not_enough_on_shelf", fields={f"listing:{listing_id}": [message]})
        movements.append(movement)
        sale_lines.append(
            DisplaySaleLine(
                sale=sale,
                listing_id=listing_id,
                cooperative_id=listing.cooperative_id,
                quantity=quantity,
                unit_price=listing.price,
                line_total=listing.price * quantity,
            )
        )
    StockMovement.objects.bulk_create(movements)
    DisplaySaleLine.objects.bulk_create(sale_lines)
    audit_record(
        actor=actor,
        action="market.display.sale",
        obj=sale,
        changes={
            "total": total,
            "payment_method": method,
            "lines": [[line.listing_id, line.quantity, line.unit_price] for line in sale_lines],
        },
    )
    return sale


# --- Monthly settlement -----------------------------------------------------------------------


def month_gross(point: DisplayPoint, month: dt.date, cooperative_id: int | None = None) -> dict[int, int]:
    """{cooperative id: gross sales} of the point's local month."""
    start, end = month_window(point, month)
    lines = DisplaySaleLine.objects.filter(
        sale__display_point=point, sale__sold_at__gte=start, sale__sold_at__lt=end
    )
    if cooperative_id is not None:
        lines = lines.filter(cooperative_id=cooperative_id)
    rows = lines.values("cooperative_id").annotate(gross=Sum("line_total")).order_by("cooperative_id")
    return {row["cooperative_id"]: int(row["gross"] or 0) for row in rows}


def _month_over(point: DisplayPoint, month: dt.date) -> bool:
    return month < point_month(point)


@transaction.atomic
def display_settlement_prepare(*, actor, display_point: DisplayPoint, month) -> list[DisplaySettlement]:
    """Compute a month's settlement for every cooperative whose goods sold at the point: drafts,
    recomputed on every call until settled (a settled month never changes)."""
    require(actor, "market.display.settle", display_point)
    month = month_start(month)
    if month > point_month(display_point):
        raise _invalid("month", _("This month has not started yet."), "month_in_future")
    percent = display_point.commission_percent
    current = {
        s.cooperative_id: s
        for s in DisplaySettlement.objects.select_for_update().filter(
            display_point=display_point, month=month
        )
    }
    changed = []
    for cooperative_id, gross in month_gross(display_point, month).items():
        commission = commission_for(gross, percent)
        figures = {
            "gross": gross,
            "commission": commission,
            "net": gross - commission,
            "commission_percent": percent,
        }
        settlement = current.get(cooperative_id)
        if settlement is None:
            settlement, created = DisplaySettlement.objects.get_or_create(
                display_point=display_point, cooperative_id=cooperative_id, month=month, defaults=figures
            )
            if created:
                changed.append([cooperative_id, figures])
                continue
        if settlement.status == DisplaySettlementStatus.DRAFT and (
            settlement.gross != gross
            or settlement.commission != commission
            or settlement.commission_percent != percent
        ):
            DisplaySettlement.objects.filter(pk=settlement.pk).update(**figures)
            changed.append([cooperative_id, figures])
    audit_record(
        actor=actor,
        action="market.display.settlement_prepare",
        obj=display_point,
        changes={"month": f"{month:%Y-%m}", "percent": percent, "changed": changed},
    )
    return list(
        DisplaySettlement.objects.filter(display_point=display_point, month=month)
        .select_related("cooperative")
        .order_by("cooperative__name", "cooperative_id")
    )


@transaction.atomic
def display_settlement_settle(*, actor, settlement: DisplaySettlement) -> DisplaySettlement:
    """Mark a cooperative's month at the point settled and credit it in the cooperative's settlement
    record (+gross sales, -commission), once: settling again changes nothing."""
    require(actor, "market.display.settle", settlement.display_point)
    locked = (
        DisplaySettlement.objects.select_for_update()
        .select_related("display_point", "cooperative")
        .get(pk=settlement.pk)
    )
    if locked.status == DisplaySettlementStatus.SETTLED:
        return locked
    point = locked.display_point
    if not _month_over(point, locked.month):
        raise Conflict(
            _("The month is not over yet at this display point; settle it from the 1st of next month."),
            code="month_not_over",
        )
    # The draft may be older than the month's last sales: settle what was really sold.
    gross = month_gross(point, locked.month, locked.cooperative_id).get(locked.cooperative_id, 0)
    # Settled at the point's rate now (a draft may predate a change of it), which it keeps.
    locked.gross = gross
    locked.commission_percent = point.commission_percent
    locked.commission = commission_for(gross, point.commission_percent)
    locked.net = gross - locked.commission
    authenticated = _authenticated(actor)
    locked.status = DisplaySettlementStatus.SETTLED
    locked.settled_by = actor if authenticated else None
    locked.settled_at = timezone.now()
    locked.save(
        update_fields=[
            "gross",
            "commission",
            "commission_percent",
            "net",
            "status",
            "settled_by",
            "settled_at",
        ]
    )
    label = f"{point.name}, {locked.month:%m/%Y}"
    entries = [
        SettlementEntry(
            cooperative=locked.cooperative,
            kind=SettlementKind.DISPLAY_SALE,
            amount=locked.gross,
            display_settlement=locked,
            note=(_("Sales at %(place)s") % {"place": label})[:255],
            actor=actor if authenticated else None,
        )
    ]
    if locked.commission:
        entries.append(
            SettlementEntry(
                cooperative=locked.cooperative,
                kind=SettlementKind.DISPLAY_COMMISSION,
                amount=-locked.commission,
                display_settlement=locked,
                note=(
                    _("Commission %(percent)s%% to %(place)s")
                    % {"percent": point.commission_percent, "place": label}
                )[:255],
                actor=actor if authenticated else None,
            )
        )
    if locked.gross:
        SettlementEntry.objects.bulk_create(entries)
    audit_record(
        actor=actor,
        action="market.display.settle",
        obj=locked,
        region_code=str(point.region_id),
        changes={
            "month": f"{locked.month:%Y-%m}",
            "gross": locked.gross,
            "commission": locked.commission,
            "net": locked.net,
            "percent": point.commission_percent,
        },
    )
    return locked
