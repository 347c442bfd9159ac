"""Cart, checkout, the order state machine, payments, refunds and settlement.

Money is integer rupiah. Every order change holds the order's row lock and leaves an OrderEvent
and an audit record; every payment and refund leaves a settlement entry for the cooperative.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from functools import partial
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kopdes.accounts.identifiers import normalize_email, normalize_phone
from kopdes.core import rows
from kopdes.core.audit import audit_event, audit_record
from kopdes.core.errors import Conflict, DomainError, NotFound
from kopdes.core.events import publish
from kopdes.core.policies import require
from kopdes.core.request_context import current_origin

from .catalog_cache import catalog_touch
from .choices import (
    DeliveryMethod,
    LocationKind,
    MovementReason,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentSource,
    RefundStatus,
    SettlementKind,
)
from .models import (
    Cart,
    CartItem,
    Checkout,
    DeliveryZone,
    Listing,
    ListingTotals,
    Location,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentEvent,
    SellerSettings,
    SettlementEntry,
    StockLevel,
)
from .models.listings import TOTALS_FIELDS, attach_totals
from .services_stock import MAX_QUANTITY, out_of_stock, stock_release_order, stock_take, stock_take_part


def _invalid(field_name: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, fields={field_name: [message]})


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


# --- Cart -----------------------------------------------------------------------------------


def cart_get(*, user=None, token: str | None = None, create: bool = True) -> Cart | None:
    """The buyer's cart (by account) or a guest's (by the token kept in their session)."""
    if _authenticated(user):
        cart = Cart.objects.filter(user=user).first()
        if cart is None and create:
            cart, _created = Cart.objects.get_or_create(user=user)
        return cart
    if token:
        cart = _guest_cart(token)
        if cart is not None:
            return cart
    if not create:
        return None
    cart = Cart()
    rows.insert([cart])
    return cart


_CART_FIELDS = ("id", "token", "user_id", "created_at", "updated_at")


def _guest_cart(token: str) -> Cart | None:
    """The guest cart of that token (written by hand: every API call of a guest's cart looks it up)."""
    try:
        value = Cart._meta.get_field("token").get_db_prep_value(token, connection)
    except ValidationError:  # not a UUID: no cart has it
        return None
    found = rows.select(Cart, _CART_FIELDS, "token = %s AND user_id IS NULL", [value], connection.alias)
    return found[0] if found else None


def _quantity(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid("quantity", _("Enter a whole number.")) from None
    if number < 0 or number > MAX_QUANTITY:
        raise _invalid("quantity", _("Enter a quantity between 1 and 10,000."))
    return number


def _check_quantity(listing: Listing, quantity: int) -> None:
    if quantity < listing.min_order:
        raise _invalid(
            "quantity",
            _("The minimum order for %(name)s is %(min)s.")
            % {"name": listing.name, "min": listing.min_order},
            "below_minimum",
        )
    if quantity > listing.stock_online:
        raise Conflict(
            _("Only %(available)s left of %(name)s.")
            % {"available": listing.stock_online, "name": listing.name},
            code="out_of_stock",
            fields={"quantity": [_("Only %(available)s left.") % {"available": listing.stock_online}]},
        )


@transaction.atomic
def cart_set(*, actor, cart: Cart, listing_id, quantity, add: bool = False) -> CartItem | None:
    """Put a listing in the cart (or add to what is there); quantity 0 removes it."""
    require(actor, "market.cart.use", cart)
    quantity = _quantity(quantity)
    listing = (
        Listing.objects.filter(pk=listing_id).select_related("totals").first()
        if str(listing_id).isascii() and str(listing_id).isdigit()  # not "²": int() refuses it
        else None
    )
    if listing is None or not listing.sellable:
        raise NotFound(_("This product is not for sale."), code="not_for_sale")
    item = CartItem.objects.filter(cart=cart, listing=listing).first()
    if add and item is not None:
        quantity += item.quantity
    if quantity == 0:
        if item is not None:
            item.delete()
        return None
    _check_quantity(listing, quantity)
    if item is None:
        item = CartItem.objects.create(
            cart=cart, listing=listing, quantity=quantity, price_seen=listing.price
        )
    else:
        item.quantity = quantity
        item.price_seen = listing.price
        item.save(update_fields=["quantity", "price_seen"])
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return item


@transaction.atomic
def cart_merge(*, user, guest_token: str) -> Cart | None:
    """On login, move a guest cart's items into the account's cart."""
    guest = Cart.objects.filter(token=guest_token, user__isnull=True).first()
    if guest is None or not _authenticated(user):
        return None
    cart = cart_get(user=user)
    if cart is None:  # cannot happen: create=True
        return None
    for item in guest.items.all():
        mine = CartItem.objects.filter(cart=cart, listing_id=item.listing_id).first()
        if mine is None:
            item.cart = cart
            item.save(update_fields=["cart"])
        else:
            mine.quantity = max(mine.quantity, item.quantity)
            mine.price_seen = item.price_seen
            mine.save(update_fields=["quantity", "price_seen"])
    guest.delete()
    return cart


def cart_refresh_prices(*, cart: Cart) -> list[dict]:
    """Bring the cart's prices up to date; returns what changed, so the buyer sees it before paying."""
    changed = []
    for item in cart.items.select_related("listing"):
        if item.listing.price != item.price_seen:
            changed.append(
                {
                    "listing": item.listing_id,
                    "name": item.listing.name,
                    "old": item.price_seen,
                    "new": item.listing.price,
                }
            )
            item.price_seen = item.listing.price
            item.save(update_fields=["price_seen"])
    return changed


# --- Checkout -------------------------------------------------------------------------------


@dataclass
class DeliveryChoice:
    """How one cooperative's order is delivered and paid. `payment_method` "" takes the
    checkout's own (`CheckoutRequest.payment_method`): each cooperative is paid on its own, so a
    cart of two sellers that take no common way of paying can still be placed."""

    method: str
    pickup_location_id: int | None = None
    payment_method: str = ""


@dataclass
class CheckoutRequest:
    contact_name: str
    contact_phone: str
    payment_method: str  # for every cooperative whose delivery choice names none
    deliveries: dict[int, DeliveryChoice] = field(default_factory=dict)  # cooperative id -> choice
    contact_email: str = ""
    address_village_code: str = ""
    address_postal_code: str = ""
    address_line: str = ""
    note: str = ""


class PriceChanged(Conflict):
    """A price moved between cart and checkout: the buyer must see the new price first."""

    code = "price_changed"

    def __init__(self, changes: list[dict]):
        self.changes = changes
        names = ", ".join(change["name"] for change in changes)
        message = _("The price of %(names)s has changed. Check the new total and place the order again.") % {
            "names": names
        }
        super().__init__(
            message,
            fields={
                f"listing:{change['listing']}": [_("New price: Rp%(new)s") % change] for change in changes
            },
        )


def _owner(cart: Cart) -> str:
    """Who placed a checkout: its cart (a guest's cart token, or the account's cart). A retried
    key returns the orders only to the same cart: knowing someone's key is not enough."""
    return hashlib.sha256(f"{cart.pk}:{cart.token}".encode()).hexdigest()


def _replay(checkout: Checkout, cart: Cart) -> list[Order]:
    if not hmac.compare_digest(checkout.fingerprint, _owner(cart)):
        raise Conflict(
            _("This idempotency key was already used for another checkout."), code="idempotency_key_reused"
        )
    return _orders_of(checkout)


def _orders_of(checkout: Checkout) -> list[Order]:
    return list(checkout.orders.select_related("cooperative").order_by("cooperative_id"))


def _clean_contact(request: CheckoutRequest) -> dict:
    name = (request.contact_name or "").strip()
    if not name:
        raise _invalid("contact_name", _("Enter your name."))
    try:
        phone = normalize_phone(request.contact_phone)
    except Exception:
        raise _invalid(
            "contact_phone", _("Enter a valid Indonesian phone number, e.g. 0812-3456-7890."), "invalid_phone"
        ) from None
    email = ""
    if (request.contact_email or "").strip():
        try:
            email = normalize_email(request.contact_email)
        except Exception:
            raise _invalid("contact_email", _("Enter a valid email address.")) from None
    return {"contact_name": name[:120], "contact_phone": phone, "contact_email": email}


def _address(request: CheckoutRequest):
    from kopdes.regions.models import Region

    code = (request.address_village_code or "").strip()
    village = Region.objects.filter(code=code, level=4).first() if code else None
    if village is None:
        raise _invalid(
            "address_village_code", _("Choose the village of the delivery address."), "address_required"
        )
    postal = (request.address_postal_code or "").strip() or (village.postal_code or "")
    if not (len(postal) == 5 and postal.isascii() and postal.isdigit()):
        raise _invalid("address_postal_code", _("Enter a five-digit postal code."))
    line = (request.address_line or "").strip()
    if not line:
        raise _invalid("address_line", _("Enter the street address."), "address_required")
    return village, postal, line[:255]


def _zone_for(cooperative, village) -> DeliveryZone | None:
    codes = [*village.ancestor_codes(), village.code]
    zones = DeliveryZone.objects.filter(cooperative=cooperative, is_active=True, region_id__in=codes)
    return max(zones, key=lambda zone: len(zone.region_id), default=None)


def _unique_code(cooperative, base: int) -> int:
    """1..999, not used by another unpaid transfer order of the cooperative for the same amount."""
    taken = set(
        Order.objects.filter(
            cooperative=cooperative,
            status=OrderStatus.CREATED,
            payment_method=PaymentMethod.TRANSFER,
            total__gte=base + 1,
            total__lte=base + 999,
        ).values_list("unique_code", flat=True)
    )
    free = [code for code in range(1, 1000) if code not in taken]
    if not free:
        raise Conflict(_("Too many unpaid transfers of this amount; try again later."), code="busy")
    return secrets.choice(free)


def _new_number() -> str:
    return f"KD{timezone.localdate():%y%m%d}{secrets.token_hex(4).upper()}"


def _event_row(
    order: Order, from_status: str, to_status: str, actor=None, label: str = "", note: str = ""
) -> OrderEvent:
    """An order's step, unsaved."""
    origin = current_origin()
    authenticated = _authenticated(actor)
    return OrderEvent(
        order=order,
        from_status=from_status,
        to_status=to_status,
        actor=actor if authenticated else None,
        actor_label=(label or (str(actor) if authenticated else ""))[:150],
        note=note[:255],
        ip=origin.ip,
        channel=origin.channel,
    )


def _event(
    order: Order, from_status: str, to_status: str, actor=None, label: str = "", note: str = ""
) -> OrderEvent:
    event = _event_row(order, from_status, to_status, actor, label, note)
    rows.insert([event])
    return event


def _announce(order: Order, what: str) -> None:
    """In the change's transaction: the notifications it owes (the outbox), and the event for the
    listeners once it commits."""
    rows.insert(_announcement(order, what))


def _announcement(order: Order, what: str, later=transaction.on_commit) -> list:
    """`_announce`'s rows of the outbox, unsaved, for a caller that writes them with its others;
    the listeners' event is sent once the transaction commits. `later`: what registers for the
    commit (a Statement's `on_commit`, for rows it writes)."""
    from .notifications import order_notices

    later(
        partial(
            publish, "market.order.changed", order_id=order.pk, cooperative_id=order.cooperative_id, what=what
        )
    )
    return order_notices(order_id=order.pk, what=what, later=later)


def checkout_place(*, actor, cart: Cart, request: CheckoutRequest, idempotency_key: str) -> list[Order]:
    """Turn the cart into one order per cooperative, taking the stock, all or nothing.

    A retry with the same idempotency key returns the orders of the first attempt.
    """
    return checkout_submit(actor=actor, cart=cart, request=request, idempotency_key=idempotency_key)[0]


def checkout_submit(
    *, actor, cart: Cart, request: CheckoutRequest, idempotency_key: str
) -> tuple[list[Order], bool]:
    """`checkout_place`, telling whether the orders are those of an earlier attempt (a replay).

    Everything is read and checked first (`_plan`: the cart with its listings and sellers, the
    prices, the stock, the delivery and payment choices); nothing is written for a checkout that
    is refused. Then it is written all or nothing: on PostgreSQL in one statement
    (`_place_at_once`; for a cart of one listing that statement is the whole transaction), else
    one statement after another in a transaction (`_place`). The checkout's row claims the
    idempotency key: a key used before fails its insert (nothing is written) and the first
    attempt's orders are returned. A price that moved since the cart answers PriceChanged,
    after the cart takes the new prices.

    The reads are not locked: when the transaction finds that the cart's items were taken by
    another checkout meanwhile (two tabs), or that a stock row holds less than the plan saw, it
    rolls back and the checkout starts again from the reads, which then answer (an empty cart, a
    sold-out listing) or place it (`_place`, which looks at every location).
    """
    require(actor, "market.checkout.place", cart)
    key = (idempotency_key or "").strip()
    if not (8 <= len(key) <= 64):
        raise _invalid("idempotency_key", _("The request has no valid idempotency key."), "idempotency_key")
    fingerprint = _owner(cart)
    pickups = [(choice.pickup_location_id or 0, coop_id) for coop_id, choice in request.deliveries.items()]
    for attempt in range(3):
        lines, sellers, outlets, keys = _cart_lines(cart, pickups)
        if not lines:
            existing = Checkout.objects.filter(idempotency_key=key).first()
            if existing is not None:  # the retry of a checkout that emptied this cart
                return _replay(existing, cart), True
            raise _invalid("cart", _("Your cart is empty."), "cart_empty")
        try:
            orders = _plan(actor, lines, sellers, outlets, request)
        except PriceChanged:
            cart_refresh_prices(cart=cart)  # commits on its own: the cart shows the new prices
            raise
        try:
            if keys is not None and attempt == 0:
                _place_at_once(actor, orders, lines, key, fingerprint, keys)
            else:
                with transaction.atomic():
                    _place(actor, orders, lines, key, fingerprint)
        except _Stale:
            continue  # rolled back: read again
        except IntegrityError:
            # The key was used before, or committed meanwhile by a concurrent request (a double click).
            existing = Checkout.objects.filter(idempotency_key=key).first()
            if existing is None:
                raise
            return _replay(existing, cart), True
        return [order for order, _lines, _pickup in orders], False
    raise Conflict(_("Your cart changed while it was checked out; please try again."), code="cart_changed")


# The checkout's reads are written by hand with the ORM's columns (kopdes.core.rows): built by
# the ORM, each cost several times what it costs to run, on the path every sale takes.
_ITEM_FIELDS = ("id", "listing_id", "quantity", "price_seen")
_LISTING_FIELDS = (
    "id",
    "cooperative_id",
    "product_id",
    "name",
    "price",
    "weight_grams",
    "min_order",
    "sellable",
)
# What the order, its audit record (the seat village) and the API's answer read of the seller.
_COOPERATIVE_FIELDS = (
    "id",
    "name",
    "slug",
    "village_id",
    "qris_payload",
    "bank_name",
    "bank_account_number",
    "bank_account_name",
)
_SELLER_FIELDS = (
    "id",
    "cooperative_id",
    "courier_enabled",
    "cod_enabled",
    "transfer_enabled",
    "payment_hours",
)
_OUTLET_FIELDS = ("id", "cooperative_id", "kind", "name", "is_active")


@dataclass
class _Line:
    item: CartItem
    listing: Listing


@dataclass
class _Keys:
    """Primary keys drawn for a checkout's rows before its transaction (PostgreSQL's sequences):
    its rows can then be written in one statement, each referring to the others by key."""

    checkout: int
    orders: list[int]


def _cart_lines(
    cart: Cart, pickups: list[tuple[int, int]]
) -> tuple[list[_Line], dict[int, SellerSettings], dict[int, Location], _Keys | None]:
    """The cart's items with their listings, the listings' cooperatives and their seller settings
    (made when missing, unsaved), in listing-id order, and the active outlets among the pickups
    asked for ((outlet, cooperative) pairs), by cooperative: one statement. On PostgreSQL it also draws
    the keys the checkout would write (one per item for the orders, one for the checkout: at least
    as many as it needs; a refused checkout leaves a gap in the sequences, as a rollback does)."""
    from kopdes.cooperatives.models import Cooperative

    alias = connection.alias
    parts = [
        rows.columns(CartItem, _ITEM_FIELDS, alias),
        rows.columns(Listing, _LISTING_FIELDS, alias),
        rows.columns(ListingTotals, TOTALS_FIELDS, alias),
        rows.columns(Cooperative, _COOPERATIVE_FIELDS, alias),
        rows.columns(SellerSettings, _SELLER_FIELDS, alias),
        rows.columns(Location, _OUTLET_FIELDS, alias),
    ]
    item, listing, totals, cooperative, seller, location = (
        rows.table(model, alias)
        for model in (CartItem, Listing, ListingTotals, Cooperative, SellerSettings, Location)
    )
    # Keys a database can hold (a number out of range names no outlet, and must not fail the read).
    pickups = [pair for pair in pickups if all(0 < key < 2**63 for key in pair)] or [(0, 0)]
    drawn = connection.vendor == "postgresql"
    keys = (
        ", (SELECT nextval(pg_get_serial_sequence(%s, 'id'))), nextval(pg_get_serial_sequence(%s, 'id'))"
        if drawn
        else ""
    )
    sql = (
        f"SELECT {', '.join(part.sql for part in parts)}{keys} FROM {item} "  # noqa: S608  (our tables and columns)
        f"JOIN {listing} ON {listing}.id = {item}.listing_id "
        f"JOIN {totals} ON {totals}.listing_id = {listing}.id "
        f"JOIN {cooperative} ON {cooperative}.id = {listing}.cooperative_id "
        f"LEFT JOIN {seller} ON {seller}.cooperative_id = {cooperative}.id "
        f"LEFT JOIN {location} ON ({location}.id, {location}.cooperative_id) IN "
        f"({', '.join(['(%s, %s)'] * len(pickups))}) AND {location}.cooperative_id = {cooperative}.id "
        f"AND {location}.kind = %s AND {location}.is_active = %s "
        f"WHERE {item}.cart_id = %s ORDER BY {item}.listing_id"
    )
    params: list = [Checkout._meta.db_table, Order._meta.db_table] if drawn else []
    params += [value for pair in pickups for value in pair] + [LocationKind.OUTLET, True]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, cart.pk])
        found = cursor.fetchall()
    lines: list[_Line] = []
    cooperatives: dict = {}
    sellers: dict[int, SellerSettings] = {}
    outlets: dict[int, Location] = {}
    starts = [0]
    for part in parts[:-1]:
        starts.append(starts[-1] + part.width)
    for row in found:
        line = _Line(
            cast(CartItem, parts[0].instance(row, alias)),
            cast(Listing, parts[1].instance(row, alias, starts[1])),
        )
        attach_totals(line.listing, cast(ListingTotals, parts[2].instance(row, alias, starts[2])))
        coop_id = line.listing.cooperative_id
        if coop_id not in cooperatives:
            cooperatives[coop_id] = parts[3].instance(row, alias, starts[3])
            if row[starts[4]] is None:  # no settings saved yet: the defaults
                sellers[coop_id] = SellerSettings(cooperative=cooperatives[coop_id])
            else:
                sellers[coop_id] = cast(SellerSettings, parts[4].instance(row, alias, starts[4]))
            if row[starts[5]] is not None:
                outlets[coop_id] = cast(Location, parts[5].instance(row, alias, starts[5]))
        Listing.cooperative.field.set_cached_value(line.listing, cooperatives[coop_id])
        CartItem.listing.field.set_cached_value(line.item, line.listing)
        lines.append(line)
    width = sum(part.width for part in parts)
    drawn_keys = _Keys(found[0][width], [row[width + 1] for row in found]) if drawn and found else None
    return lines, sellers, outlets, drawn_keys


_Planned = list[tuple[Order, list[_Line], Location | None]]


def _plan(
    actor, lines: list[_Line], sellers: dict[int, SellerSettings], outlets: dict[int, Location], request
) -> _Planned:
    """The orders a checkout makes (unsaved), one per cooperative, with their lines and pickup
    outlets; raises what a buyer must fix first. Reads only: a refused checkout writes nothing
    (the answer most buyers get once a flash sale is sold out). The reads need no transaction:
    nothing is locked by them, and what they checked that matters is checked again where it is
    written (the key by its unique insert, the stock by its conditional decrement)."""
    buyer = actor if _authenticated(actor) else None
    moved = [
        {
            "listing": line.item.listing_id,
            "name": line.listing.name,
            "old": line.item.price_seen,
            "new": line.listing.price,
        }
        for line in lines
        if line.listing.price != line.item.price_seen
    ]
    if moved:
        raise PriceChanged(moved)
    contact = _clean_contact(request)
    deliveries = request.deliveries.values()
    per_seller = bool(deliveries) and all(choice.payment_method for choice in deliveries)
    if (request.payment_method or not per_seller) and request.payment_method not in PaymentMethod.values:
        raise _invalid("payment_method", _("Choose how to pay."))
    by_coop: dict[int, list[_Line]] = {}
    for line in lines:
        listing, quantity = line.listing, line.item.quantity
        if not listing.sellable:
            raise _invalid(
                f"listing:{listing.pk}",
                _("%(name)s is no longer for sale.") % {"name": listing.name},
                "not_for_sale",
            )
        if quantity < listing.min_order:
            raise _invalid(
                f"listing:{listing.pk}",
                _("The minimum order for %(name)s is %(min)s.")
                % {"name": listing.name, "min": listing.min_order},
                "below_minimum",
            )
        if quantity > listing.stock_online:
            # Sold out (stock_online never holds less than the online locations do): answered
            # before anything is written.
            raise out_of_stock(listing, listing.stock_online)
        by_coop.setdefault(listing.cooperative_id, []).append(line)
    address = None
    now = timezone.now()
    orders: _Planned = []
    for coop_id in sorted(by_coop):
        cooperative = by_coop[coop_id][0].listing.cooperative
        seller = sellers[coop_id]
        choice = request.deliveries.get(coop_id)
        if choice is None or choice.method not in DeliveryMethod.values:
            raise _invalid(
                f"delivery:{coop_id}",
                _("Choose a delivery option for %(seller)s.") % {"seller": cooperative.name},
            )
        pickup = zone = None
        fee = 0
        confirmed = True
        village = postal = line_text = None
        if choice.method == DeliveryMethod.PICKUP:
            pickup = outlets.get(coop_id)  # the outlet asked for, if it is the cooperative's and open
            if pickup is None:
                raise _invalid(
                    f"delivery:{coop_id}", _("Choose an outlet of %(seller)s.") % {"seller": cooperative.name}
                )
        else:
            address = address or _address(request)
            village, postal, line_text = address
            if choice.method == DeliveryMethod.LOCAL:
                zone = _zone_for(cooperative, village)
                if zone is None:
                    raise _invalid(
                        f"delivery:{coop_id}",
                        _("%(seller)s does not deliver to this address; choose pickup or a courier.")
                        % {"seller": cooperative.name},
                        "outside_delivery_zone",
                    )
                fee = zone.fee
            else:
                if not seller.courier_enabled:
                    raise _invalid(
                        f"delivery:{coop_id}",
                        _("%(seller)s does not ship by courier.") % {"seller": cooperative.name},
                    )
                confirmed = False  # the cooperative quotes the courier's fee first
        # The cooperative's own choice, reported by its own field; else the checkout's.
        method = choice.payment_method or request.payment_method
        paying = f"payment:{coop_id}" if choice.payment_method else "payment_method"
        if method not in PaymentMethod.values:
            raise _invalid(paying, _("Choose how to pay %(seller)s.") % {"seller": cooperative.name})
        if method == PaymentMethod.QRIS and not cooperative.qris_payload:
            raise _invalid(
                paying,
                _("%(seller)s does not take QRIS yet.") % {"seller": cooperative.name},
                "payment_unavailable",
            )
        if method == PaymentMethod.TRANSFER and not (
            seller.transfer_enabled and cooperative.bank_account_number
        ):
            raise _invalid(
                paying,
                _("%(seller)s does not take bank transfers.") % {"seller": cooperative.name},
                "payment_unavailable",
            )
        if method == PaymentMethod.COD and not (
            seller.cod_enabled and choice.method != DeliveryMethod.COURIER
        ):
            raise _invalid(
                paying,
                _("Cash is taken only at pickup or on the cooperative's own delivery."),
                "payment_unavailable",
            )
        subtotal = sum(line.listing.price * line.item.quantity for line in by_coop[coop_id])
        code = _unique_code(cooperative, subtotal + fee) if method == PaymentMethod.TRANSFER else 0
        order = Order(
            number=_new_number(),
            cooperative=cooperative,
            buyer=buyer,
            access_token=secrets.token_urlsafe(32),
            delivery_method=choice.method,
            pickup_location=pickup,
            delivery_zone=zone,
            address_village=village,
            address_postal_code=postal or "",
            address_line=line_text or "",
            payment_method=method,
            subtotal=subtotal,
            shipping_fee=fee,
            shipping_confirmed=confirmed,
            unique_code=code,
            total=subtotal + fee + code,
            expires_at=None
            if method == PaymentMethod.COD
            else now + dt.timedelta(hours=seller.payment_hours),
            note=(request.note or "")[:500],
            created_at=now,
            status_changed_at=now,
            **contact,
        )
        orders.append((order, by_coop[coop_id], pickup))
    return orders


class _Stale(Exception):
    """What the checkout read has changed by the time it writes (its cart's items were taken by
    another checkout, or a stock row holds less than planned): its transaction rolls back."""


def _place_at_once(
    actor, orders: _Planned, lines: list[_Line], key: str, fingerprint: str, keys: _Keys
) -> None:
    """`_place` in one statement (PostgreSQL): the checkout and its orders under the keys drawn
    before, their events, audit records, notices and rollup deltas, the cart emptied, the stock
    taken with the listings' counters, the lines and the movements. A stock row is locked from
    its update inside the statement to the commit: the shorter that is, the less the buyers of
    one listing wait on each other. A cart of one listing (a flash sale's) is that one statement
    alone, a transaction of its own: PostgreSQL commits it as it ends, with no round trip
    between (BEGIN and COMMIT would be two more, with the lock held across the second). A cart
    of several listings first locks their stock rows in listing order, as `_place` takes them,
    so that two checkouts never wait on each other in a circle: a transaction of two statements.
    Raises _Stale, having written nothing, when a stock row held less than planned or another
    checkout of the cart took its items meanwhile."""
    statement = rows.Statement()
    buyer = actor if _authenticated(actor) else None
    checkout = Checkout(idempotency_key=key, fingerprint=fingerprint, buyer=buyer)
    statement.insert([checkout], keys=[keys.checkout])
    placed = [order for order, _lines, _pickup in orders]
    for order in placed:
        order.checkout = checkout
    statement.insert(placed, keys=keys.orders[: len(placed)])
    label = "" if buyer else _("buyer (guest)")
    statement.insert([_event_row(order, "", OrderStatus.CREATED, actor, label=label) for order in placed])
    statement.insert([_created_audit(actor, order) for order in placed])
    statement.insert(
        [notice for order in placed for notice in _announcement(order, "created", later=statement.on_commit)]
    )
    items = [line.item.pk for line in lines]
    emptied = statement.write(
        f"DELETE FROM {rows.table(CartItem)} WHERE id IN ({', '.join(['%s'] * len(items))}) RETURNING id",  # noqa: S608  (our table)
        items,
    )
    catalog_touch(later=statement.on_commit)
    takes = _takes(orders)
    for line, order, pickup in takes:
        listing, quantity = line.listing, line.item.quantity
        source, movement = stock_take_part(
            statement,
            listing=listing,
            quantity=quantity,
            prefer=pickup,
            # only if this statement took the item out of the cart: not another checkout of it
            only_if=(f"EXISTS (SELECT 1 FROM {emptied} WHERE id = %s)", [line.item.pk]),  # noqa: S608  (a part's name)
        )
        movement.order, movement.note = order, order.number
        order_line = _order_line(order, listing, quantity, location=None)
        from_stock = {"location_id": "location_id"}
        # Written only from the stock's row: without it (too little left, or the item taken by
        # another checkout), the statement fails and writes nothing.
        statement.insert([order_line], source=source, taken=from_stock)
        statement.insert([movement], source=source, taken={**from_stock, "balance_after": "quantity"})
    alone = len(takes) == 1
    try:
        # (Inside a caller's transaction, a savepoint: the statement's failure must not end it.)
        with contextlib.nullcontext() if alone and not connection.in_atomic_block else transaction.atomic():
            if not alone:
                listing_ids = [line.listing.pk for line, _order, _pickup in takes]
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT id FROM {rows.table(StockLevel)} WHERE listing_id IN "  # noqa: S608  (our table)
                        f"({', '.join(['%s'] * len(listing_ids))}) ORDER BY listing_id, id FOR UPDATE",
                        listing_ids,
                    )
            statement.run()
    except rows.Incomplete:
        raise _Stale from None


def _takes(orders: _Planned) -> list[tuple[_Line, Order, Location | None]]:
    """The stock each order takes, in listing-id order across all orders."""
    return sorted(
        ((line, order, pickup) for order, coop_lines, pickup in orders for line in coop_lines),
        key=lambda entry: entry[0].listing.pk,
    )


def _created_audit(actor, order: Order):
    return audit_event(
        actor=actor,
        action="market.order.create",
        obj=order,
        changes={"total": order.total, "payment": order.payment_method, "delivery": order.delivery_method},
    )


def _order_line(order: Order, listing: Listing, quantity: int, location: Location | None) -> OrderLine:
    return OrderLine(
        order=order,
        listing=listing,
        product_id=listing.product_id,
        name=listing.name,
        unit_price=listing.price,
        quantity=quantity,
        line_total=listing.price * quantity,
        weight_grams=listing.weight_grams * quantity,
        location=location,
    )


def _place(actor, orders: _Planned, lines: list[_Line], key: str, fingerprint: str) -> None:
    """Write a planned checkout (inside its transaction): the key's claim first, the stock last."""
    buyer = actor if _authenticated(actor) else None
    checkout = Checkout(idempotency_key=key, fingerprint=fingerprint, buyer=buyer)
    rows.insert([checkout])  # claims the key: a key used before fails here
    for order, _lines, _pickup in orders:
        order.checkout = checkout
    rows.insert([order for order, _lines, _pickup in orders])
    label = "" if buyer else _("buyer (guest)")
    placed = [order for order, _lines, _pickup in orders]
    # The orders' events, audit records and notices: one statement on PostgreSQL.
    rows.insert_together(
        [_event_row(order, "", OrderStatus.CREATED, actor, label=label) for order in placed],
        [_created_audit(actor, order) for order in placed],
        [notice for order in placed for notice in _announcement(order, "created")],
    )
    with connection.cursor() as cursor:
        items = [line.item.pk for line in lines]
        cursor.execute(
            f"DELETE FROM {rows.table(CartItem)} WHERE id IN ({', '.join(['%s'] * len(items))})",  # noqa: S608  (our table)
            items,
        )
        if cursor.rowcount != len(items):  # another checkout of this cart took them meanwhile
            raise _Stale
    catalog_touch()
    # Take the stock last, in listing-id order across all orders: a stock row stays locked from
    # its decrement to the commit, so only the lines and movements are written while it is.
    order_lines, movements = [], []
    for line, order, pickup in _takes(orders):
        listing, quantity = line.listing, line.item.quantity
        movement = stock_take(listing=listing, quantity=quantity, prefer=pickup)
        movement.order = order
        movement.note = order.number
        movements.append(movement)
        order_lines.append(_order_line(order, listing, quantity, movement.location))
    rows.insert_together(order_lines, movements)


# --- The order state machine ----------------------------------------------------------------

SELLER = "seller"
BUYER = "buyer"
SYSTEM = "system"

# (from, to) -> who may make that step. Payment moves created -> paid (see payment_record).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (OrderStatus.CREATED, OrderStatus.PROCESSING): frozenset({SELLER}),  # cash orders only
    (OrderStatus.PAID, OrderStatus.PROCESSING): frozenset({SELLER}),
    (OrderStatus.PROCESSING, OrderStatus.SHIPPED): frozenset({SELLER}),
    (OrderStatus.SHIPPED, OrderStatus.RECEIVED): frozenset({SELLER, BUYER}),
    (OrderStatus.RECEIVED, OrderStatus.COMPLETED): frozenset({SELLER, BUYER, SYSTEM}),
    (OrderStatus.CREATED, OrderStatus.CANCELLED): frozenset({SELLER, BUYER, SYSTEM}),
    (OrderStatus.PAID, OrderStatus.CANCELLED): frozenset({SELLER}),
    (OrderStatus.PROCESSING, OrderStatus.CANCELLED): frozenset({SELLER}),
    (OrderStatus.SHIPPED, OrderStatus.RETURNED): frozenset({SELLER}),
    (OrderStatus.RECEIVED, OrderStatus.RETURNED): frozenset({SELLER}),
}


def allowed_steps(order: Order, party: str) -> list[str]:
    """The statuses `party` may move this order to now (for buttons and the API)."""
    steps = [to for (frm, to), who in TRANSITIONS.items() if frm == order.status and party in who]
    if order.status == OrderStatus.CREATED and order.payment_method != PaymentMethod.COD:
        steps = [step for step in steps if step != OrderStatus.PROCESSING]
    if order.status == OrderStatus.RECEIVED and order.balance_due:
        steps = [step for step in steps if step != OrderStatus.COMPLETED]
    return steps


def _lock(order: Order) -> Order:
    locked = Order.objects.select_for_update().select_related("cooperative").get(pk=order.pk)
    locked.via_link = getattr(order, "via_link", False)  # found by its private link (see policies)
    return locked


def _refund(order: Order, amount: int, actor, note: str) -> Payment | None:
    if amount <= 0:
        return None
    refund = Payment.objects.create(
        order=order,
        kind=PaymentKind.REFUND,
        method=order.payment_method,
        source=PaymentSource.TREASURER,
        amount=amount,
        refund_status=RefundStatus.DUE,
        recorded_by=actor if _authenticated(actor) else None,
        reference=note[:80],
    )
    SettlementEntry.objects.create(
        cooperative=order.cooperative,
        kind=SettlementKind.REFUND,
        amount=-amount,
        order=order,
        payment=refund,
        note=note[:255],
        actor=actor if _authenticated(actor) else None,
    )
    return refund


def order_transition(
    *,
    actor,
    order: Order,
    to_status: str,
    party: str,
    note: str = "",
    tracking_number: str = "",
    restock: bool = True,
) -> Order:
    """Move an order one step. `party` is who acts: the seller, the buyer (by account or private
    link, checked by the caller's policy) or the system."""
    with transaction.atomic():
        locked = _lock(order)
        if party == SELLER:
            require(actor, "market.order.process", locked)
        elif party == BUYER:
            require(actor, "market.order.buyer_act", locked)
        if to_status not in allowed_steps(locked, party):
            raise Conflict(
                _("An order that is %(status)s cannot become %(to)s.")
                % {"status": locked.get_status_display().lower(), "to": OrderStatus(to_status).label.lower()}
                if to_status in OrderStatus.values
                else _("Unknown status."),
                code="invalid_transition",
            )
        before = locked.status
        if to_status == OrderStatus.CANCELLED:
            if before == OrderStatus.CREATED and party != SYSTEM and not note:
                note = _("Cancelled by the buyer") if party == BUYER else _("Cancelled by the seller")
            if party == SELLER and not note.strip():
                raise _invalid("note", _("Say why the order is cancelled."), "reason_required")
            stock_release_order(order=locked, actor=actor)
            _refund(
                locked,
                locked.paid_amount,
                actor,
                _("Refund of cancelled order %(number)s") % {"number": locked.number},
            )
            locked.cancel_reason = note[:255]
        elif to_status == OrderStatus.RETURNED:
            if not note.strip():
                raise _invalid("note", _("Say why the order is returned."), "reason_required")
            if restock:
                stock_release_order(order=locked, reason=MovementReason.RETURN, actor=actor)
            _refund(
                locked,
                locked.paid_amount,
                actor,
                _("Refund of returned order %(number)s") % {"number": locked.number},
            )
            locked.cancel_reason = note[:255]
        elif to_status == OrderStatus.SHIPPED:
            locked.tracking_number = (tracking_number or "").strip()[:60]
        locked.status = to_status
        locked.status_changed_at = timezone.now()
        locked.save()
        label = {BUYER: _("buyer"), SYSTEM: _("system")}.get(party, "")
        if party == BUYER and _authenticated(actor):
            label = ""
        _event(locked, before, to_status, actor, label=label, note=note)
        audit_record(
            actor=actor,
            action="market.order.transition",
            obj=locked,
            changes={"status": [before, to_status], "note": note},
        )
        _announce(locked, to_status)
    return locked


@transaction.atomic
def shipping_quote(*, actor, order: Order, fee) -> Order:
    """The cooperative confirms the courier's fee; the order can then be paid."""
    locked = _lock(order)
    require(actor, "market.order.process", locked)
    if locked.status != OrderStatus.CREATED or locked.shipping_confirmed:
        raise Conflict(_("The delivery fee of this order is already settled."), code="invalid_transition")
    try:
        fee = int(fee)
    except (TypeError, ValueError):
        raise _invalid("fee", _("Enter a whole number.")) from None
    if not (0 <= fee <= 100_000_000):
        raise _invalid("fee", _("Enter a fee between Rp0 and Rp100.000.000."))
    seller = SellerSettings.objects.filter(cooperative=locked.cooperative).first()
    hours = seller.payment_hours if seller else 24
    locked.shipping_fee = fee
    locked.shipping_confirmed = True
    if locked.payment_method == PaymentMethod.TRANSFER:
        locked.unique_code = _unique_code(locked.cooperative, locked.subtotal + fee)
    locked.total = locked.subtotal + fee + locked.unique_code
    locked.expires_at = timezone.now() + dt.timedelta(hours=hours)
    locked.save()
    _event(locked, locked.status, locked.status, actor, note=_("Delivery fee Rp%(fee)s") % {"fee": fee})
    audit_record(actor=actor, action="market.order.shipping_quote", obj=locked, changes={"shipping_fee": fee})
    _announce(locked, "shipping_quoted")
    return locked


def order_expire_if_due(*, order: Order, now: dt.datetime | None = None) -> bool:
    """Cancel an unpaid order whose time is up and release its stock. True if it did."""
    now = now or timezone.now()
    if not (order.status == OrderStatus.CREATED and order.expires_at and order.expires_at <= now):
        return False
    with transaction.atomic():
        locked = _lock(order)
        if not (locked.status == OrderStatus.CREATED and locked.expires_at and locked.expires_at <= now):
            return False
        stock_release_order(order=locked)
        locked.status = OrderStatus.CANCELLED
        locked.cancel_reason = _("Not paid in time")
        locked.status_changed_at = now
        locked.save()
        _event(
            locked,
            OrderStatus.CREATED,
            OrderStatus.CANCELLED,
            None,
            label=_("system"),
            note=locked.cancel_reason,
        )
        audit_record(
            actor=None, action="market.order.expire", obj=locked, changes={"status": ["created", "cancelled"]}
        )
        _announce(locked, OrderStatus.CANCELLED)
    order.refresh_from_db()
    return True


def orders_expire(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """The scheduled sweep: expire every unpaid order past its time."""
    now = now or timezone.now()
    due = Order.objects.filter(status=OrderStatus.CREATED, expires_at__lte=now).order_by("expires_at")[:limit]
    return sum(order_expire_if_due(order=order, now=now) for order in due)


# --- Payments -------------------------------------------------------------------------------


def _record_payment(
    order: Order, *, amount: int, source: str, actor=None, reference: str = "", event_id: str | None = None
) -> tuple[Payment, str]:
    """Record money received for a locked order. Returns the payment and what came of it:
    "paid", "partial", or "late" (the order was already cancelled: a refund is now due)."""
    payment = Payment.objects.create(
        order=order,
        kind=PaymentKind.PAYMENT,
        method=order.payment_method,
        source=source,
        amount=amount,
        reference=reference[:80],
        event_id=event_id,
        recorded_by=actor if _authenticated(actor) else None,
    )
    SettlementEntry.objects.create(
        cooperative=order.cooperative,
        kind=SettlementKind.ORDER_PAYMENT,
        amount=amount,
        order=order,
        payment=payment,
        actor=actor if _authenticated(actor) else None,
    )
    order.paid_amount += amount
    outcome = "partial"
    if order.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        _refund(
            order, amount, actor, _("Paid after order %(number)s was cancelled") % {"number": order.number}
        )
        outcome = "late"
    elif order.paid_amount >= order.total:
        outcome = "paid"
        if order.paid_amount > order.total:
            _refund(order, order.paid_amount - order.total, actor, _("Paid more than the total"))
        if order.paid_at is None:
            order.paid_at = timezone.now()
        if order.status == OrderStatus.CREATED:
            before = order.status
            order.status = OrderStatus.PAID
            order.status_changed_at = timezone.now()
            label = "" if _authenticated(actor) else _("payment provider")
            _event(order, before, OrderStatus.PAID, actor, label=label, note=reference)
    order.save()
    audit_record(
        actor=actor,
        action="market.payment.record",
        obj=order,
        changes={"amount": amount, "source": source, "reference": reference, "outcome": outcome},
    )
    _announce(order, f"payment_{outcome}")
    return payment, outcome


def payment_confirm(
    *, actor, order: Order, reference: str = "", amount: int | None = None
) -> tuple[Payment, str]:
    """The treasurer confirms the money arrived (a transfer, a QRIS payment, or cash)."""
    order_expire_if_due(order=order)
    with transaction.atomic():
        locked = _lock(order)
        require(actor, "market.payment.confirm", locked)
        if not locked.shipping_confirmed:
            raise Conflict(_("Confirm the delivery fee before the payment."), code="fee_not_confirmed")
        due = (
            locked.balance_due
            if locked.status not in (OrderStatus.CANCELLED, OrderStatus.RETURNED)
            else locked.total
        )
        if amount is None:
            amount = due
        try:
            amount = int(amount)
        except (TypeError, ValueError):
            raise _invalid("amount", _("Enter a whole number.")) from None
        if amount <= 0:
            raise Conflict(_("This order is already paid."), code="already_paid")
        return _record_payment(
            locked, amount=amount, source=PaymentSource.TREASURER, actor=actor, reference=reference
        )


class BadSignature(DomainError):
    status = 401
    code = "bad_signature"


def callback_signature(body: bytes) -> str:
    """The HMAC-SHA256 (hex) the payment provider sends in X-Kopdes-Signature."""
    return hmac.new(settings.PAYMENT_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def payment_callback(*, body: bytes, signature: str) -> PaymentEvent:
    """A payment provider says an order was paid. Verified by HMAC; once per event id (a replay
    returns the first answer and changes nothing)."""
    if not signature or not hmac.compare_digest(callback_signature(body), signature.strip().lower()):
        raise BadSignature(_("The signature does not match."))
    try:
        data = json.loads(body)
        event_id = str(data["event_id"])[:80]
        number = str(data["order_number"])[:20]
        amount = int(data["amount"])
        status = str(data.get("status", "paid"))
    except (ValueError, KeyError, TypeError):
        raise DomainError(_("The callback body is not valid."), code="invalid_body") from None
    if not event_id or amount <= 0:
        raise DomainError(_("The callback body is not valid."), code="invalid_body")
    seen = PaymentEvent.objects.filter(event_id=event_id).first()
    if seen is not None:
        return seen
    order = Order.objects.filter(number=number).first()
    if order is not None:
        order_expire_if_due(order=order)
    try:
        with transaction.atomic():
            if order is None:
                outcome = "unknown_order"
            elif status != "paid":
                outcome = "ignored"
            else:
                locked = _lock(order)
                _payment, outcome = _record_payment(
                    locked, amount=amount, source=PaymentSource.GATEWAY, reference=event_id, event_id=event_id
                )
            return PaymentEvent.objects.create(
                event_id=event_id, order_number=number, amount=amount, outcome=outcome, payload=data
            )
    except IntegrityError:
        seen = PaymentEvent.objects.filter(event_id=event_id).first()
        if seen is None:
            raise
        return seen


@transaction.atomic
def refund_mark_done(*, actor, refund: Payment, reference: str = "") -> Payment:
    """The treasurer records that a due refund was paid back to the buyer."""
    locked = Payment.objects.select_for_update().select_related("order__cooperative").get(pk=refund.pk)
    require(actor, "market.payment.confirm", locked.order)
    if locked.kind != PaymentKind.REFUND or locked.refund_status != RefundStatus.DUE:
        raise Conflict(_("This refund is not due."), code="not_due")
    locked.refund_status = RefundStatus.DONE
    if reference:
        locked.reference = reference[:80]
    locked.save(update_fields=["refund_status", "reference"])
    audit_record(
        actor=actor,
        action="market.refund.done",
        obj=locked.order,
        changes={"amount": locked.amount, "reference": reference},
    )
    return locked


RECEIVED_COMPLETES_AFTER = dt.timedelta(days=7)


def orders_complete_received(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """The scheduled sweep: an order received a week ago (and fully paid) completes by itself."""
    now = now or timezone.now()
    due = Order.objects.filter(
        status=OrderStatus.RECEIVED, status_changed_at__lte=now - RECEIVED_COMPLETES_AFTER
    ).order_by("status_changed_at")[:limit]
    done = 0
    for order in due:
        if order.balance_due:
            continue
        try:
            order_transition(actor=None, order=order, to_status=OrderStatus.COMPLETED, party=SYSTEM)
            done += 1
        except Conflict:
            continue  # moved meanwhile
    return done
