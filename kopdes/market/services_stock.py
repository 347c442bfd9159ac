"""Listings and stock: what a cooperative sells, at what price, and how many it holds where.

Stock only changes through `_move`, a conditional decrement (or increment) of one StockLevel row,
so it can never go below zero whatever runs at the same time, and every change leaves a
StockMovement. Callers that touch several rows take them in listing-id order.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kopdes.core import rows
from kopdes.core.audit import audit_record
from kopdes.core.errors import Conflict, DomainError, NotFound
from kopdes.core.policies import require
from kopdes.core.request_context import current_origin

from .catalog_cache import catalog_touch
from .choices import ONLINE_KINDS, MovementReason
from .models import Listing, ListingTotals, Location, StockLevel, StockMovement
from .search import stem_text

LISTING_FIELDS = ("price", "weight_grams", "min_order", "is_active")
MAX_PRICE = 1_000_000_000  # one billion rupiah: anything above is a typing error


def _invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, fields={field: [message]})


def product_catalog_fields(product) -> dict:
    """The product's catalog fields, as copied onto each of its listings."""
    from kopdes.products.choices import Category, LicenceStatus, LicenceType, Line, ProductStatus
    from kopdes.regions.selectors import region_ancestors

    version = product.current_version
    today = timezone.localdate()
    valid = {
        lic.licence_type
        for lic in product.licences.all()
        if lic.status == LicenceStatus.ISSUED and (lic.expires_on is None or lic.expires_on >= today)
    }
    featured = product.featured.order_by("-month").values_list("month", flat=True).first()
    photo = product.photos.order_by("uploaded_at", "id").values_list("image", flat=True).first()
    places = [region.name for region in region_ancestors(region=product.village)] + [product.village.name]
    name = version.name if version else product.name
    body = " ".join(
        filter(
            None,
            [
                version.description if version else "",
                version.story if version else "",
                str(Category(product.category).label) if product.category in Category.values else "",
                str(Line(product.line).label) if product.line in Line.values else "",
                product.producer.name,
                *places,
            ],
        )
    )
    return {
        "name": name,
        "slug": product.slug,
        "category": product.category,
        "line": product.line,
        "stars": product.stars,
        "province_code": product.regency_code[:2],
        "regency_code": product.regency_code,
        "village_code": str(product.village_id),
        "has_halal": LicenceType.HALAL in valid,
        "has_bpom": bool(valid & {LicenceType.BPOM_MD, LicenceType.BPOM_ML, LicenceType.BPOM_NA}),
        "featured_month": featured,
        "photo": photo or "",
        "search_name": stem_text(name),
        "search_text": stem_text(body),
        "_ready": product.status == ProductStatus.READY,
    }


def _apply_product_fields(listing: Listing, fields: dict) -> list[str]:
    ready = fields.pop("_ready")
    changed = [name for name, value in fields.items() if getattr(listing, name) != value]
    for name in changed:
        setattr(listing, name, fields[name])
    sellable = ready and listing.is_active
    if listing.sellable != sellable:
        listing.sellable = sellable
        changed.append("sellable")
    return changed


def listings_refresh_for_product(*, product_id: int) -> int:
    """Copy a product's catalog fields onto its listings (called when the product changes)."""
    from kopdes.products.models import Product

    listings = list(Listing.objects.filter(product_id=product_id))
    if not listings:
        return 0
    product = (
        Product.objects.select_related("current_version", "producer", "village")
        .prefetch_related("licences")
        .get(pk=product_id)
    )
    fields = product_catalog_fields(product)
    changed_any = 0
    for listing in listings:
        changed = _apply_product_fields(listing, dict(fields))
        if changed:
            listing.updated_at = timezone.now()
            listing.save(update_fields=[*changed, "updated_at"])
            changed_any += 1
    if changed_any:
        catalog_touch()
    return changed_any


MAX_QUANTITY = 10_000  # units in one cart line (the checkout's limit)
MAX_MIN_ORDER = MAX_QUANTITY  # a larger minimum order could never be bought


def _clean_listing(values: dict) -> dict:
    clean: dict[str, int | bool] = {}
    for name in LISTING_FIELDS:
        if name not in values or values[name] is None:
            continue
        value = values[name]
        if name == "is_active":
            clean[name] = bool(value)
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise _invalid(name, _("Enter a whole number.")) from None
        if name == "price" and not (1 <= number <= MAX_PRICE):
            raise _invalid(name, _("The price must be between Rp1 and Rp1.000.000.000."))
        if name == "min_order" and not (1 <= number <= MAX_MIN_ORDER):
            raise _invalid(name, _("The minimum order must be between 1 and 10,000."))
        if name == "weight_grams" and not (0 <= number <= 1_000_000):
            raise _invalid(name, _("The weight must be between 0 and 1,000,000 grams."))
        clean[name] = number
    return clean


@transaction.atomic
def listing_create(
    *, actor, product, price: int, weight_grams: int = 0, min_order: int = 1, is_active=True
) -> Listing:
    """List a product of the cooperative (its own or one of its producers') for sale."""
    cooperative = product.cooperative
    require(actor, "market.listing.manage", cooperative)
    from kopdes.products.policies_catalog import HIDDEN_STATUSES

    if product.status in HIDDEN_STATUSES:
        raise _invalid("product", _("A draft or rejected product cannot be listed."), "product_not_listable")
    clean = _clean_listing(
        {"price": price, "weight_grams": weight_grams, "min_order": min_order, "is_active": is_active}
    )
    if "price" not in clean:
        raise _invalid("price", _("Enter the price."))
    fields = product_catalog_fields(product)
    listing = Listing(cooperative=cooperative, product=product, **clean)
    _apply_product_fields(listing, fields)
    try:
        with transaction.atomic():
            listing.save()
    except IntegrityError:
        raise Conflict(
            _("This product is already listed."),
            code="already_listed",
            fields={"product": [_("Already listed.")]},
        ) from None
    audit_record(actor=actor, action="market.listing.create", obj=listing, changes=clean)
    catalog_touch()
    return listing


@transaction.atomic
def listing_update(*, actor, listing: Listing, **values) -> Listing:
    """Change a listing's price, weight, minimum order or whether it is on sale."""
    require(actor, "market.listing.manage", listing.cooperative)
    unknown = set(values) - set(LISTING_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field: %(field)s") % {"field": sorted(unknown)[0]})
    clean = _clean_listing(values)
    locked = Listing.objects.select_for_update().get(pk=listing.pk)
    changes = {
        name: [getattr(locked, name), value]
        for name, value in clean.items()
        if getattr(locked, name) != value
    }
    if not changes:
        return locked
    for name, (_old, new) in changes.items():
        setattr(locked, name, new)
    from kopdes.products.choices import ProductStatus

    locked.sellable = locked.is_active and locked.product.status == ProductStatus.READY
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*changes, "sellable", "updated_at"])
    audit_record(actor=actor, action="market.listing.update", obj=locked, changes=changes)
    catalog_touch()
    return locked


# --- Locations ------------------------------------------------------------------------------


@transaction.atomic
def location_create(
    *, actor, cooperative, kind: str, name: str, village, address: str = "", latitude=None, longitude=None
) -> Location:
    """Add an outlet or a warehouse of the cooperative."""
    require(actor, "market.listing.manage", cooperative)
    if kind not in ONLINE_KINDS:
        raise _invalid("kind", _("Choose an outlet or a warehouse."))
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("Enter a name."))
    location = Location.objects.create(
        cooperative=cooperative,
        kind=kind,
        name=name[:120],
        village=village,
        address=(address or "")[:255],
        latitude=latitude,
        longitude=longitude,
    )
    audit_record(
        actor=actor, action="market.location.create", obj=location, changes={"kind": kind, "name": name}
    )
    return location


# --- Stock ----------------------------------------------------------------------------------


def _stock_add(
    listing_id: int, location_id: int, delta: int, *, sold: int = 0, online: int = 0
) -> int | None:
    """Add `delta` to one stock row and return its new quantity (`UPDATE … RETURNING`, on
    PostgreSQL and SQLite alike); None when the row is missing or holds less than is taken. When
    it changed, the listing's totals (sold count, online stock) move by `sold` and `online`: in the
    same statement on PostgreSQL (a WITH), in a second one on SQLite. The stock row stays locked until
    the transaction ends: the fewer round trips after this, the shorter the wait of the others."""
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    guard = " AND quantity >= %s" if delta < 0 else ""
    params = [delta, listing_id, location_id] + ([-delta] if delta < 0 else [])
    update = (
        f"UPDATE {table} SET quantity = quantity + %s WHERE listing_id = %s AND location_id = %s"  # noqa: S608  (our table)
        f"{guard} RETURNING quantity"
    )
    counters = _counters(sold, online)
    together = counters is not None and connection.vendor == "postgresql"
    if counters is not None and together:
        assignments, amounts = counters
        totals = connection.ops.quote_name(ListingTotals._meta.db_table)
        update = (
            f"WITH stock AS ({update}), counted AS (UPDATE {totals} SET {assignments} "  # noqa: S608  (our tables and columns)
            "WHERE listing_id = %s AND EXISTS (SELECT 1 FROM stock)) SELECT quantity FROM stock"
        )
        params += [*amounts, listing_id]
    with connection.cursor() as cursor:
        cursor.execute(update, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if counters and not together:
        _count_on_listing(listing_id, sold=sold, online=online)
    return int(row[0])


def _counters(sold: int, online: int) -> tuple[str, list[int]] | None:
    """The listing's totals to move: (the SET clause, its amounts); None if none moves."""
    moved = [
        (column, amount) for column, amount in (("sold_count", sold), ("stock_online", online)) if amount
    ]
    if not moved:
        return None
    return ", ".join(f"{column} = {column} + %s" for column, _amount in moved), [
        amount for _c, amount in moved
    ]


def _count_on_listing(listing_id: int, *, sold: int, online: int) -> None:
    """Move the listing's totals (sold count, online stock) by these amounts, in one statement
    written here like `_stock_add`'s (the ORM's update cost more to build than to run, inside the
    stock row's lock)."""
    counters = _counters(sold, online)
    if counters is None:
        return
    assignments, amounts = counters
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(ListingTotals._meta.db_table)} SET {assignments} "  # noqa: S608  (our table and columns)
            "WHERE listing_id = %s",
            [*amounts, listing_id],
        )


def _move(
    *,
    listing_id: int,
    location: Location,
    delta: int,
    reason: str,
    actor=None,
    note: str = "",
    order=None,
    display_sale=None,
    sold_delta: int = 0,
) -> StockMovement | None:
    """Change one stock row by `delta`; None when taking more than is there. Never below zero.
    `sold_delta` moves the listing's sold count with it (see `_stock_add`)."""
    counts = {"sold": sold_delta, "online": delta if location.kind in ONLINE_KINDS else 0}
    balance = _stock_add(listing_id, location.pk, delta, **counts)
    if balance is None:
        if delta < 0:
            return None
        try:
            with transaction.atomic():
                StockLevel.objects.create(listing_id=listing_id, location=location, quantity=delta)
            balance = delta
            _count_on_listing(listing_id, **counts)
        except IntegrityError:  # created meanwhile by another transaction
            balance = _stock_add(listing_id, location.pk, delta, **counts)
            if balance is None:  # and removed again at once: nothing was added
                return None
    origin = current_origin()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return StockMovement(
        listing_id=listing_id,
        location=location,
        delta=delta,
        balance_after=balance,
        reason=reason,
        note=note[:255],
        order=order,
        display_sale=display_sale,
        actor=actor if authenticated else None,
        ip=origin.ip,
        channel=origin.channel,
    )


def stock_take(*, listing: Listing, quantity: int, prefer: Location | None = None) -> StockMovement:
    """Take `quantity` of a listing for an order from one online location (`prefer` first); the
    movement is returned unsaved (the caller links it to the order). Raises Conflict if no
    single location holds that many."""
    if prefer is not None and prefer.kind in ONLINE_KINDS and prefer.is_active:
        # The buyer's pickup outlet first, straight away: its decrement is its own check.
        movement = _move(
            listing_id=listing.pk,
            location=prefer,
            delta=-quantity,
            reason=MovementReason.CHECKOUT,
            sold_delta=quantity,
        )
        if movement is not None:
            return movement
    for _attempt in range(3):
        levels = list(
            StockLevel.objects.filter(
                listing=listing,
                quantity__gte=quantity,
                location__kind__in=ONLINE_KINDS,
                location__is_active=True,
            )
            .select_related("location")
            .order_by("location_id")
        )
        if prefer is not None:
            levels.sort(key=lambda level: level.location_id != prefer.pk)
        if not levels:
            break
        for level in levels:
            movement = _move(
                listing_id=listing.pk,
                location=level.location,
                delta=-quantity,
                reason=MovementReason.CHECKOUT,
                sold_delta=quantity,
            )
            if movement is not None:
                return movement
    available = (
        ListingTotals.objects.filter(pk=listing.pk).values_list("stock_online", flat=True).first() or 0
    )
    raise out_of_stock(listing, available)


def stock_take_part(
    statement: rows.Statement,
    *,
    listing: Listing,
    quantity: int,
    prefer: Location | None = None,
    only_if: tuple[str, list] = ("TRUE", []),
) -> tuple[str, StockMovement]:
    """`stock_take` as parts of a statement of many writes (PostgreSQL; see `rows.Statement`):
    the stock row `stock_take` would choose (the buyer's pickup outlet first, else the first online
    location holding enough), decremented under the same guard, and the listing's totals with it.
    Returns the part's name (its row: the location and the quantity left; none when no location
    held enough by the time the row was locked) and the movement, unsaved, for the caller to insert
    from that part (its location and balance are read from it). `only_if`: a condition (SQL and
    its parameters) the update also requires, over the statement's other parts."""
    stock, locations = rows.table(StockLevel), rows.table(Location)
    totals = rows.table(ListingTotals)
    kinds = ", ".join(["%s"] * len(ONLINE_KINDS))
    name = statement.write(
        f"UPDATE {stock} SET quantity = quantity - %s WHERE id = ("  # noqa: S608  (our tables)
        f"SELECT level.id FROM {stock} level JOIN {locations} place ON place.id = level.location_id "
        f"WHERE level.listing_id = %s AND level.quantity >= %s AND place.kind IN ({kinds}) "
        "AND place.is_active ORDER BY level.location_id <> %s, level.location_id LIMIT 1"
        f") AND quantity >= %s AND {only_if[0]} RETURNING location_id, quantity",
        [quantity, listing.pk, quantity, *ONLINE_KINDS, prefer.pk if prefer else 0, quantity, *only_if[1]],
    )
    statement.write(
        f"UPDATE {totals} SET sold_count = sold_count + %s, stock_online = stock_online - %s "  # noqa: S608
        f"WHERE listing_id = %s AND EXISTS (SELECT 1 FROM {name})",
        [quantity, quantity, listing.pk],
    )
    origin = current_origin()
    movement = StockMovement(
        listing_id=listing.pk,
        delta=-quantity,
        reason=MovementReason.CHECKOUT,
        ip=origin.ip,
        channel=origin.channel,
    )
    return name, movement


def out_of_stock(listing: Listing, available: int) -> Conflict:
    """The answer to a checkout that asks for more of a listing than is left."""
    message = _("Only %(available)s left of %(name)s.") % {"available": available, "name": listing.name}
    return Conflict(message, code="out_of_stock", fields={f"listing:{listing.pk}": [message]})


@transaction.atomic
def stock_adjust(*, actor, listing: Listing, location: Location, delta: int, note: str) -> StockMovement:
    """An officer adds or removes stock at one location, with a reason."""
    require(actor, "market.stock.adjust", listing.cooperative)
    if location.cooperative_id != listing.cooperative_id:
        raise _invalid("location", _("Choose one of the cooperative's own outlets or warehouses."))
    note = (note or "").strip()
    if not note:
        raise _invalid("note", _("Say why the stock changes."), "reason_required")
    try:
        delta = int(delta)
    except (TypeError, ValueError):
        raise _invalid("delta", _("Enter a whole number.")) from None
    if delta == 0 or abs(delta) > 1_000_000:
        raise _invalid("delta", _("Enter a change other than zero, at most 1,000,000."))
    movement = _move(
        listing_id=listing.pk,
        location=location,
        delta=delta,
        reason=MovementReason.ADJUST,
        actor=actor,
        note=note,
    )
    if movement is None:
        raise Conflict(
            _("There is not that much stock here to remove."),
            code="not_enough_stock",
            fields={"delta": [_("There is not that much stock here to remove.")]},
        )
    movement.save()
    audit_record(
        actor=actor,
        action="market.stock.adjust",
        obj=listing,
        changes={"location": location.name, "delta": delta, "balance": movement.balance_after, "note": note},
    )
    catalog_touch()
    return movement


def stock_release_order(*, order, reason: str = MovementReason.RELEASE, actor=None) -> list[StockMovement]:
    """Put an order's stock back where it was taken from (once). Caller holds the order's lock."""
    if order.stock_released:
        return []
    movements = []
    for line in order.lines.select_related("location").order_by("listing_id", "id"):
        movement = _move(
            listing_id=line.listing_id,
            location=line.location,
            delta=line.quantity,
            reason=reason,
            actor=actor,
            order=order,
            note=order.number,
            sold_delta=-line.quantity,
        )
        if movement is not None:
            movements.append(movement)
    StockMovement.objects.bulk_create(movements)
    order.stock_released = True
    order.save(update_fields=["stock_released"])
    catalog_touch()
    return movements


def location_for(*, cooperative, location_id) -> Location:
    try:
        return Location.objects.get(pk=int(location_id), cooperative=cooperative, is_active=True)
    except (Location.DoesNotExist, TypeError, ValueError):
        raise NotFound(
            _("That location does not exist."), fields={"location": [_("Choose a location.")]}
        ) from None
