"""The market API for buying and selling: /api/v1/market/… — cart, checkout, orders, payments,
the payment provider's callback, listings, stock and locations. Behind the same policies as the
pages: handlers parse, call one service or selector, and answer.

Guests need no account: their cart is found by the `X-Cart-Token` header (the token POST /cart
returned), their orders by the private link's token (`?token=`). A session is checked for CSRF
only when it is logged in, so a guest's checkout is never refused for a missing CSRF cookie.
"""

import uuid
from datetime import datetime
from decimal import Decimal

from django.http import JsonResponse
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from kopdes.accounts.api_auth import Session, TokenAuth
from kopdes.cooperatives.models import Cooperative
from kopdes.cooperatives.selectors import cooperative_public
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.pagination import Pages
from kopdes.core.policies import can, require
from kopdes.regions.models import Region

from . import selectors_orders as selectors
from . import services_orders as services
from . import services_stock as stock
from .choices import LocationKind, OrderStatus, PaymentKind, PaymentMethod
from .models import Cart, Listing, Location, Order, Payment, StockLevel, StockMovement
from .models.listings import refresh_totals
from .qris import order_qris

# --- Authentication -------------------------------------------------------------------------


class LoggedInSession(Session):
    """The browser session, for a logged-in user only. Ninja's session auth checks CSRF on every
    write, even when nobody is logged in; an anonymous visitor has no ambient authority to
    forge (their cart travels in a header a cross-site form cannot set), so only a logged-in
    session is held to the CSRF token."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


def _visitor(request) -> bool:
    """Anyone: a guest shops without an account; the policies decide what they may do."""
    return True


AUTH = [TokenAuth(), LoggedInSession()]
PUBLIC = [*AUTH, _visitor]
CART_HEADER = "X-Cart-Token"
MAX_AMOUNT = 10**12  # rupiah: anything above is a typing error (and would overflow the column)
router = Router(tags=["market"], auth=AUTH)


# --- Schemas ----------------------------------------------------------------------------------


class CooperativeRef(Schema):
    id: int
    name: str
    slug: str


class WarningOut(Schema):
    code: str
    message: str


class CartItemOut(Schema):
    listing_id: int
    name: str
    price: int
    price_seen: int
    quantity: int
    min_order: int
    stock: int
    cooperative: CooperativeRef
    subtotal: int
    warnings: list[WarningOut]


class CartOut(Schema):
    token: str | None
    items: list[CartItemOut]
    count: int
    subtotal: int
    warnings: list[WarningOut]


class QuantityIn(Schema):
    # Loose types: the service validates and answers 400 with the field, never a schema error.
    quantity: int | str | None = None


class DeliveryIn(Schema):
    cooperative_id: int | str | None = None
    method: str | None = ""
    pickup_location_id: int | str | None = None
    # How this cooperative is paid; empty: the checkout's `payment_method`.
    payment_method: str | None = ""


class CheckoutIn(Schema):
    contact_name: str | None = ""
    contact_phone: str | None = ""
    contact_email: str | None = ""
    payment_method: str | None = ""
    deliveries: list[DeliveryIn] = []
    address_village_code: str | None = ""
    address_postal_code: str | None = ""
    address_line: str | None = ""
    note: str | None = ""


class BankOut(Schema):
    bank_name: str
    account_number: str
    account_name: str
    amount: int


class OrderOut(Schema):
    number: str
    access_token: str | None
    status: str
    status_label: str
    total: int
    subtotal: int
    shipping_fee: int
    shipping_confirmed: bool
    unique_code: int
    paid_amount: int
    balance_due: int
    payment_method: str
    delivery_method: str
    cooperative: CooperativeRef
    private_url: str | None
    qris_payload: str | None
    bank: BankOut | None
    expires_at: datetime | None
    created_at: datetime


class CheckoutOut(Schema):
    orders: list[OrderOut]


class LineOut(Schema):
    listing_id: int
    product_id: int
    name: str
    unit_price: int
    quantity: int
    line_total: int
    weight_grams: int


class EventOut(Schema):
    from_status: str
    to_status: str
    actor: str
    note: str
    at: datetime


class PaymentOut(Schema):
    id: int
    kind: str
    method: str
    source: str
    amount: int
    reference: str
    refund_status: str
    recorded_at: datetime


class OrderDetailOut(OrderOut):
    contact_name: str
    contact_phone: str
    contact_email: str
    pickup_location: str | None
    address_village_code: str | None
    address_postal_code: str
    address_line: str
    tracking_number: str
    note: str
    cancel_reason: str
    paid_at: datetime | None
    lines: list[LineOut]
    events: list[EventOut]
    payments: list[PaymentOut]
    buyer_steps: list[str]
    seller_steps: list[str]


class OrderRowOut(Schema):
    """An order on a list: the buyer's own, or a cooperative's board (no private token)."""

    number: str
    status: str
    total: int
    paid_amount: int
    payment_method: str
    delivery_method: str
    shipping_confirmed: bool
    contact_name: str
    cooperative: CooperativeRef
    created_at: datetime
    expires_at: datetime | None


class BoardFilter(Schema):
    status: str = ""


class TransitionIn(Schema):
    to: str | None = ""
    note: str | None = ""
    tracking_number: str | None = ""
    restock: bool = True


class FeeIn(Schema):
    fee: int | str | None = None


class PaymentIn(Schema):
    reference: str | None = ""
    amount: int | str | None = None


class PaymentConfirmedOut(Schema):
    outcome: str
    payment: PaymentOut
    order: OrderDetailOut


class RefundIn(Schema):
    reference: str | None = ""


class CallbackOut(Schema):
    event_id: str
    order_number: str
    amount: int
    outcome: str
    received_at: datetime


class SettlementEntryOut(Schema):
    id: int
    kind: str
    amount: int
    order_number: str | None
    payment_id: int | None
    note: str
    created_at: datetime


class SettlementOut(Schema):
    cooperative: CooperativeRef
    balance: int
    entries: list[SettlementEntryOut]
    refunds_due: list[PaymentOut]


class SettlementFilter(Schema):
    limit: int = 100


class ListingOut(Schema):
    id: int
    cooperative_id: int
    product_id: int
    name: str
    slug: str
    price: int
    weight_grams: int
    min_order: int
    is_active: bool
    sellable: bool
    stock_online: int
    created_at: datetime
    updated_at: datetime


class ListingIn(Schema):
    product_id: int | str | None = None
    price: int | str | None = None
    weight_grams: int | str | None = 0
    min_order: int | str | None = 1
    is_active: bool = True


class ListingPatch(Schema):
    price: int | str | None = None
    weight_grams: int | str | None = None
    min_order: int | str | None = None
    is_active: bool | None = None


class LevelOut(Schema):
    location_id: int
    location_name: str
    kind: str
    quantity: int


class MovementOut(Schema):
    id: int | None
    location_id: int
    location_name: str
    delta: int
    balance_after: int
    reason: str
    note: str
    order_number: str | None
    created_at: datetime


class StockOut(Schema):
    listing_id: int
    stock_online: int
    levels: list[LevelOut]
    movements: list[MovementOut]


class StockAdjustIn(Schema):
    location_id: int | str | None = None
    delta: int | str | None = None
    note: str | None = ""


class AdjustedOut(Schema):
    movement: MovementOut
    stock: StockOut


class LocationOut(Schema):
    id: int
    kind: str
    name: str
    village_code: str
    address: str
    latitude: float | None
    longitude: float | None
    is_active: bool


class LocationIn(Schema):
    kind: str | None = LocationKind.OUTLET
    name: str | None = ""
    village_code: str | None = ""
    address: str | None = ""
    latitude: float | None = None
    longitude: float | None = None


# --- Helpers ----------------------------------------------------------------------------------


def _invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, fields={field: [message]})


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(field, _("Enter a whole number.")) from None


def _coordinate(value: float | None, bound: int, field: str) -> Decimal | None:
    if value is None:
        return None
    if not -bound <= value <= bound:
        raise _invalid(field, _("Enter a value between -%(bound)s and %(bound)s.") % {"bound": bound})
    return Decimal(str(round(value, 6)))


def _coop_ref(cooperative: Cooperative) -> dict:
    return {"id": cooperative.pk, "name": cooperative.name, "slug": cooperative.slug}


def _cart_token(request) -> str | None:
    """The guest cart's token from the header; a malformed one is refused (never looked up)."""
    raw = (request.headers.get(CART_HEADER) or "").strip()
    if not raw:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise NotFound(
            _("This cart does not exist. Start a new one."),
            code="unknown_cart",
            fields={CART_HEADER: [_("Not a cart token.")]},
        ) from None


def _cart(request, *, create: bool = False) -> Cart:
    """The caller's cart: a logged-in buyer's account cart (a guest cart sent along is merged into
    it), else the guest cart named by the X-Cart-Token header."""
    token = _cart_token(request)
    user = request.user
    if user.is_authenticated:
        if token:
            services.cart_merge(user=user, guest_token=token)
        cart = services.cart_get(user=user)
    elif token:
        cart = services.cart_get(token=token, create=False)
        if cart is None:
            raise NotFound(_("This cart does not exist. Start a new one."), code="unknown_cart")
    elif create:
        cart = services.cart_get()
    else:
        message = _("Send the cart's token in the X-Cart-Token header (POST /cart gives one).")
        raise DomainError(message, code="cart_token_required", fields={CART_HEADER: [message]})
    if cart is None:  # cannot happen: cart_get creates one unless told not to
        raise NotFound(code="unknown_cart")
    require(user, "market.cart.use", cart)
    return cart


def _cart_out(cart: Cart) -> dict:
    items, warnings = [], []
    for item in cart.items.select_related("listing__cooperative", "listing__totals").order_by(
        "added_at", "id"
    ):
        listing = item.listing
        notes = []
        if not listing.sellable:
            notes.append(("not_for_sale", _("%(name)s is no longer for sale.") % {"name": listing.name}))
        else:
            if listing.price != item.price_seen:
                notes.append(
                    (
                        "price_changed",
                        _("The price of %(name)s changed from Rp%(old)s to Rp%(new)s.")
                        % {"name": listing.name, "old": item.price_seen, "new": listing.price},
                    )
                )
            if item.quantity > listing.stock_online:
                notes.append(
                    (
                        "short_stock",
                        _("Only %(available)s left of %(name)s.")
                        % {"available": listing.stock_online, "name": listing.name},
                    )
                )
            if item.quantity < listing.min_order:
                notes.append(
                    (
                        "below_minimum",
                        _("The minimum order for %(name)s is %(min)s.")
                        % {"name": listing.name, "min": listing.min_order},
                    )
                )
        item_warnings = [{"code": code, "message": str(message)} for code, message in notes]
        warnings.extend(item_warnings)
        items.append(
            {
                "listing_id": listing.pk,
                "name": listing.name,
                "price": listing.price,
                "price_seen": item.price_seen,
                "quantity": item.quantity,
                "min_order": listing.min_order,
                "stock": max(listing.stock_online, 0),
                "cooperative": _coop_ref(listing.cooperative),
                "subtotal": listing.price * item.quantity,
                "warnings": item_warnings,
            }
        )
    return {
        "token": None if cart.user_id else str(cart.token),
        "items": items,
        "count": sum(item["quantity"] for item in items),
        "subtotal": sum(item["subtotal"] for item in items),
        "warnings": warnings,
    }


def _private_url(request, order: Order) -> str | None:
    try:
        return request.build_absolute_uri(order.get_absolute_url())
    except NoReverseMatch:  # the order page is not mounted (an API-only deployment)
        return None


def _qris(order: Order) -> str | None:
    if order.payment_method != PaymentMethod.QRIS or not order.shipping_confirmed:
        return None
    if order.status != OrderStatus.CREATED or not order.balance_due:
        return None
    try:
        return order_qris(order)
    except ValueError:  # the cooperative's static QRIS is broken; the treasurer confirms by hand
        return None


def _bank(order: Order) -> dict | None:
    if order.payment_method != PaymentMethod.TRANSFER:
        return None
    cooperative = order.cooperative
    return {
        "bank_name": cooperative.bank_name,
        "account_number": cooperative.bank_account_number,
        "account_name": cooperative.bank_account_name or cooperative.name,
        "amount": order.total,
    }


def _is_buyer(request, order: Order) -> bool:
    return can(request.user, "market.order.buyer_act", order)


def _order_out(request, order: Order, *, with_token: bool) -> dict:
    return {
        "number": order.number,
        "access_token": order.access_token if with_token else None,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "total": order.total,
        "subtotal": order.subtotal,
        "shipping_fee": order.shipping_fee,
        "shipping_confirmed": order.shipping_confirmed,
        "unique_code": order.unique_code,
        "paid_amount": order.paid_amount,
        "balance_due": order.balance_due,
        "payment_method": order.payment_method,
        "delivery_method": order.delivery_method,
        "cooperative": _coop_ref(order.cooperative),
        "private_url": _private_url(request, order) if with_token else None,
        "qris_payload": _qris(order),
        "bank": _bank(order),
        "expires_at": order.expires_at,
        "created_at": order.created_at,
    }


def _payment_out(payment: Payment) -> dict:
    return {
        "id": payment.pk,
        "kind": payment.kind,
        "method": payment.method,
        "source": payment.source,
        "amount": payment.amount,
        "reference": payment.reference,
        "refund_status": payment.refund_status,
        "recorded_at": payment.recorded_at,
    }


def _order_detail(request, order: Order) -> dict:
    buyer = _is_buyer(request, order)
    seller = can(request.user, "market.order.process", order)
    detail = selectors.order_detail(order)
    return {
        **_order_out(request, order, with_token=buyer),
        "contact_name": order.contact_name,
        "contact_phone": order.contact_phone,
        "contact_email": order.contact_email,
        "pickup_location": order.pickup_location.name if order.pickup_location else None,
        "address_village_code": order.address_village_id,
        "address_postal_code": order.address_postal_code,
        "address_line": order.address_line,
        "tracking_number": order.tracking_number,
        "note": order.note,
        "cancel_reason": order.cancel_reason,
        "paid_at": order.paid_at,
        "lines": [
            {
                "listing_id": line.listing_id,
                "product_id": line.product_id,
                "name": line.name,
                "unit_price": line.unit_price,
                "quantity": line.quantity,
                "line_total": line.line_total,
                "weight_grams": line.weight_grams,
            }
            for line in detail["lines"]
        ],
        "events": [
            {
                "from_status": event.from_status,
                "to_status": event.to_status,
                "actor": event.actor_label,
                "note": event.note,
                "at": event.at,
            }
            for event in detail["events"]
        ],
        "payments": [_payment_out(payment) for payment in detail["payments"]],
        "buyer_steps": services.allowed_steps(order, services.BUYER) if buyer else [],
        "seller_steps": services.allowed_steps(order, services.SELLER) if seller else [],
    }


def _order(request, number: str, token: str = "") -> Order:
    """An order by its private link's token (the holder acts as the buyer) or, without one, for
    its buyer, its cooperative's officers or an admin."""
    if token:
        if not token.isascii():  # never a token of ours (and compare_digest refuses it)
            raise NotFound()
        return selectors.order_by_link(user=request.user, number=number, token=token)
    return selectors.order_get(user=request.user, number=number)


def _cooperative(slug: str) -> Cooperative:
    return cooperative_public(slug=slug)


def _listing(request, listing_id: int, action: str) -> Listing:
    listing = Listing.objects.select_related("cooperative").filter(pk=listing_id).first()
    if listing is None:
        raise NotFound(code="unknown_listing")
    require(request.user, action, listing.cooperative)
    return listing


def _movement_out(movement: StockMovement) -> dict:
    return {
        "id": movement.pk,
        "location_id": movement.location_id,
        "location_name": movement.location.name,
        "delta": movement.delta,
        "balance_after": movement.balance_after,
        "reason": movement.reason,
        "note": movement.note,
        "order_number": movement.order.number if movement.order else None,
        "created_at": movement.created_at,
    }


def _stock_out(listing: Listing, movements: int = 50) -> dict:
    refresh_totals(listing)
    levels = StockLevel.objects.filter(listing=listing).select_related("location").order_by("location_id")
    recent = StockMovement.objects.filter(listing=listing).select_related("location", "order")
    return {
        "listing_id": listing.pk,
        "stock_online": listing.stock_online,
        "levels": [
            {
                "location_id": level.location_id,
                "location_name": level.location.name,
                "kind": level.location.kind,
                "quantity": level.quantity,
            }
            for level in levels
        ],
        "movements": [
            _movement_out(movement) for movement in recent.order_by("-created_at", "-id")[:movements]
        ],
    }


def _location_out(location: Location) -> dict:
    return {
        "id": location.pk,
        "kind": location.kind,
        "name": location.name,
        "village_code": location.village_id,
        "address": location.address,
        "latitude": float(location.latitude) if location.latitude is not None else None,
        "longitude": float(location.longitude) if location.longitude is not None else None,
        "is_active": location.is_active,
    }


# --- Cart -------------------------------------------------------------------------------------


@router.post(
    "/cart",
    response={201: CartOut},
    auth=PUBLIC,
    summary="Start a cart (a guest gets a token to send as X-Cart-Token; a buyer gets their account's)",
)
def cart_create(request):
    cart = _cart(request, create=True)
    return Status(201, _cart_out(cart))


@router.get(
    "/cart",
    response=CartOut,
    auth=PUBLIC,
    summary="The cart, with warnings (price changed, short stock, below the minimum, no longer sold)",
)
def cart_show(request):
    return _cart_out(_cart(request))


@router.put(
    "/cart/items/{listing_id}",
    response=CartOut,
    auth=PUBLIC,
    summary="Set how many of a listing are in the cart (0 removes it)",
)
def cart_item_set(request, listing_id: str, payload: QuantityIn):
    cart = _cart(request)
    if payload.quantity is None:
        raise _invalid("quantity", _("Enter a whole number."))
    services.cart_set(actor=request.user, cart=cart, listing_id=listing_id, quantity=payload.quantity)
    return _cart_out(cart)


# --- Checkout ---------------------------------------------------------------------------------


def _deliveries(rows: list[DeliveryIn]) -> dict[int, services.DeliveryChoice]:
    choices: dict[int, services.DeliveryChoice] = {}
    for index, row in enumerate(rows):
        coop_id = _int(row.cooperative_id, f"deliveries.{index}.cooperative_id")
        pickup = row.pickup_location_id
        choices[coop_id] = services.DeliveryChoice(
            method=(row.method or "").strip(),
            pickup_location_id=_int(pickup, f"deliveries.{index}.pickup_location_id")
            if pickup not in (None, "")
            else None,
            payment_method=(row.payment_method or "").strip(),
        )
    return choices


def _price_changed(exc: services.PriceChanged) -> JsonResponse:
    """409 with the new prices: the buyer sees them before anything is charged."""
    body = {
        "error": {
            "code": exc.code,
            "message": str(exc.message),
            "fields": {name: [str(m) for m in messages] for name, messages in exc.fields.items()},
            "changes": [
                {"listing": c["listing"], "name": c["name"], "old": c["old"], "new": c["new"]}
                for c in exc.changes
            ],
        }
    }
    return JsonResponse(body, status=409)


@router.post(
    "/checkout",
    response={200: CheckoutOut, 201: CheckoutOut},
    auth=PUBLIC,
    summary="Place the cart's orders, one per cooperative (Idempotency-Key header required)",
    description=(
        "Each cooperative's order is paid on its own: `deliveries[].payment_method`, or the "
        "checkout's `payment_method` for every cooperative that names none. "
        "A retry with the same Idempotency-Key answers 200 with the orders of the first attempt. "
        "A price that changed since the cart answers 409 `price_changed` with the new prices "
        "(the cart now shows them; place the order again)."
    ),
)
def checkout(request, payload: CheckoutIn):
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        message = _("Send an Idempotency-Key header (a fresh random value for each order).")
        raise DomainError(message, code="idempotency_key", fields={"Idempotency-Key": [message]})
    cart = _cart(request)
    wanted = services.CheckoutRequest(
        contact_name=payload.contact_name or "",
        contact_phone=payload.contact_phone or "",
        contact_email=payload.contact_email or "",
        payment_method=(payload.payment_method or "").strip(),
        deliveries=_deliveries(payload.deliveries),
        address_village_code=payload.address_village_code or "",
        address_postal_code=payload.address_postal_code or "",
        address_line=payload.address_line or "",
        note=payload.note or "",
    )
    try:
        orders, replay = services.checkout_submit(
            actor=request.user, cart=cart, request=wanted, idempotency_key=key
        )
    except services.PriceChanged as exc:
        return _price_changed(exc)
    body = {"orders": [_order_out(request, order, with_token=True) for order in orders]}
    return Status(200 if replay else 201, body)


# --- Orders -----------------------------------------------------------------------------------


@router.get("/orders", response=list[OrderRowOut], summary="The logged-in buyer's orders, newest first")
@paginate(Pages)
def my_orders(request):
    return selectors.orders_of_buyer(user=request.user)


@router.get(
    "/orders/{number}",
    response=OrderDetailOut,
    auth=PUBLIC,
    summary="An order with its lines, steps and payments (a guest sends ?token= from the private link)",
)
def order_show(request, number: str, token: str = ""):
    return _order_detail(request, _order(request, number, token))


@router.post(
    "/orders/{number}/transition",
    response=OrderDetailOut,
    auth=PUBLIC,
    summary="Move an order one step (the seller if the caller processes the cooperative's orders, "
    "else the buyer)",
)
def order_move(request, number: str, payload: TransitionIn, token: str = ""):
    order = _order(request, number, token)
    to = (payload.to or "").strip()
    if to not in OrderStatus.values:
        raise _invalid("to", _("Choose one of: %(steps)s.") % {"steps": ", ".join(OrderStatus.values)})
    party = services.SELLER if can(request.user, "market.order.process", order) else services.BUYER
    order = services.order_transition(
        actor=request.user,
        order=order,
        to_status=to,
        party=party,
        note=(payload.note or "").strip(),
        tracking_number=payload.tracking_number or "",
        restock=payload.restock,
    )
    return _order_detail(request, order)


@router.post(
    "/orders/{number}/shipping-quote",
    response=OrderDetailOut,
    summary="The cooperative confirms the courier's fee (the order can then be paid)",
)
def order_shipping_quote(request, number: str, payload: FeeIn):
    order = _order(request, number)
    if payload.fee is None:
        raise _invalid("fee", _("Enter a whole number."))
    return _order_detail(request, services.shipping_quote(actor=request.user, order=order, fee=payload.fee))


@router.post(
    "/orders/{number}/payments",
    response={201: PaymentConfirmedOut},
    summary="The treasurer confirms money received (the balance due unless an amount is given)",
)
def order_payment_confirm(request, number: str, payload: PaymentIn):
    order = _order(request, number)
    amount = _int(payload.amount, "amount") if payload.amount not in (None, "") else None
    if amount is not None and not 0 < amount <= MAX_AMOUNT:
        raise _invalid("amount", _("Enter an amount between Rp1 and Rp1.000.000.000.000."))
    payment, outcome = services.payment_confirm(
        actor=request.user, order=order, reference=(payload.reference or "").strip(), amount=amount
    )
    return Status(
        201,
        {
            "outcome": outcome,
            "payment": _payment_out(payment),
            "order": _order_detail(request, payment.order),
        },
    )


@router.post("/refunds/{refund_id}/done", response=PaymentOut, summary="The treasurer paid a refund back")
def refund_done(request, refund_id: int, payload: RefundIn):
    refund = (
        Payment.objects.select_related("order__cooperative")
        .filter(pk=refund_id, kind=PaymentKind.REFUND)
        .first()
    )
    if refund is None:
        raise NotFound(code="unknown_refund")
    done = services.refund_mark_done(
        actor=request.user, refund=refund, reference=(payload.reference or "").strip()
    )
    return _payment_out(done)


# --- The payment provider ---------------------------------------------------------------------


@router.post(
    "/payments/callback",
    response=CallbackOut,
    auth=None,
    summary="The payment provider's callback (HMAC-SHA256 of the raw body in X-Kopdes-Signature)",
    description=(
        'Body: {"event_id", "order_number", "amount", "status": "paid"}. A wrong signature answers 401 '
        "`bad_signature`. Each event id is applied once: a replay answers with the first outcome and "
        "changes nothing. Outcomes: paid, partial, late (the order had expired: a refund is due), "
        "unknown_order, ignored."
    ),
)
def payment_callback(request):
    signature = request.headers.get("X-Kopdes-Signature") or ""
    if not signature.isascii():  # never a hex digest (and compare_digest refuses it)
        signature = ""
    event = services.payment_callback(body=request.body, signature=signature)
    return {
        "event_id": event.event_id,
        "order_number": event.order_number,
        "amount": event.amount,
        "outcome": event.outcome,
        "received_at": event.received_at,
    }


# --- A cooperative's board and settlement -----------------------------------------------------


@router.get(
    "/cooperatives/{slug}/orders",
    response=list[OrderRowOut],
    summary="A cooperative's order board, newest first (?status= to filter)",
)
@paginate(Pages)
def order_board(request, slug: str, filters: Query[BoardFilter]):
    cooperative = _cooperative(slug)
    status = filters.status.strip()
    if status and status not in OrderStatus.values:
        raise _invalid("status", _("Choose one of: %(steps)s.") % {"steps": ", ".join(OrderStatus.values)})
    return selectors.order_board(
        user=request.user, cooperative=cooperative, status=status or None
    ).select_related("cooperative")


@router.get(
    "/cooperatives/{slug}/settlement",
    response=SettlementOut,
    summary="A cooperative's settlement record: what it is owed (+) or owes back (-), and refunds due",
)
def settlement(request, slug: str, filters: Query[SettlementFilter]):
    cooperative = _cooperative(slug)
    limit = min(max(filters.limit, 1), 500)
    entries = selectors.settlement_entries(user=request.user, cooperative=cooperative)[:limit]
    return {
        "cooperative": _coop_ref(cooperative),
        "balance": selectors.settlement_balance(user=request.user, cooperative=cooperative),
        "entries": [
            {
                "id": entry.pk,
                "kind": entry.kind,
                "amount": entry.amount,
                "order_number": entry.order.number if entry.order else None,
                "payment_id": entry.payment_id,
                "note": entry.note,
                "created_at": entry.created_at,
            }
            for entry in entries
        ],
        "refunds_due": [
            _payment_out(refund)
            for refund in selectors.refunds_due(user=request.user, cooperative=cooperative)
        ],
    }


# --- Listings, stock and locations ------------------------------------------------------------


@router.get(
    "/cooperatives/{slug}/listings",
    response=list[ListingOut],
    summary="Everything a cooperative lists, on sale or not, with its stock (its officers)",
)
@paginate(Pages)
def listing_list(request, slug: str):
    cooperative = _cooperative(slug)
    require(request.user, "market.listing.view_own", cooperative)
    return (
        Listing.objects.filter(cooperative=cooperative)
        .select_related("totals")
        .order_by("-created_at", "-id")
    )


@router.post(
    "/cooperatives/{slug}/listings",
    response={201: ListingOut},
    summary="List one of the cooperative's products for sale",
)
def listing_add(request, slug: str, payload: ListingIn):
    from kopdes.products.models import Product

    cooperative = _cooperative(slug)
    require(request.user, "market.listing.manage", cooperative)
    product_id = _int(payload.product_id, "product_id")
    product = Product.objects.filter(pk=product_id, cooperative=cooperative).first()
    if product is None:
        raise _invalid("product_id", _("Choose one of the cooperative's products."), "unknown_product")
    listing = stock.listing_create(
        actor=request.user,
        product=product,
        price=payload.price,  # type: ignore[arg-type]  # validated by the service
        weight_grams=payload.weight_grams if payload.weight_grams is not None else 0,  # type: ignore[arg-type]
        min_order=payload.min_order if payload.min_order is not None else 1,  # type: ignore[arg-type]
        is_active=payload.is_active,
    )
    return Status(201, listing)


@router.patch(
    "/listings/{listing_id}",
    response=ListingOut,
    summary="Change a listing's price, weight, minimum order or whether it is on sale",
)
def listing_change(request, listing_id: int, payload: ListingPatch):
    listing = _listing(request, listing_id, "market.listing.manage")
    changes = {name: value for name, value in payload.dict(exclude_unset=True).items() if value is not None}
    return stock.listing_update(actor=request.user, listing=listing, **changes)


@router.get(
    "/listings/{listing_id}/stock",
    response=StockOut,
    summary="A listing's stock at each location and its latest movements",
)
def listing_stock(request, listing_id: int):
    return _stock_out(_listing(request, listing_id, "market.listing.view_own"))


@router.post(
    "/listings/{listing_id}/stock-adjustments",
    response={201: AdjustedOut},
    summary="Add or remove stock at one of the cooperative's locations, with a reason",
)
def listing_stock_adjust(request, listing_id: int, payload: StockAdjustIn):
    listing = _listing(request, listing_id, "market.stock.adjust")
    if payload.location_id in (None, ""):
        raise _invalid("location_id", _("Choose a location."))
    location = stock.location_for(cooperative=listing.cooperative, location_id=payload.location_id)
    if payload.delta in (None, ""):
        raise _invalid("delta", _("Enter a whole number."))
    movement = stock.stock_adjust(
        actor=request.user,
        listing=listing,
        location=location,
        delta=payload.delta,  # type: ignore[arg-type]  # validated by the service
        note=payload.note or "",
    )
    return Status(201, {"movement": _movement_out(movement), "stock": _stock_out(listing)})


@router.get(
    "/cooperatives/{slug}/locations",
    response=list[LocationOut],
    summary="A cooperative's outlets and warehouses",
)
def location_list(request, slug: str):
    cooperative = _cooperative(slug)
    require(request.user, "market.listing.view_own", cooperative)
    return [_location_out(location) for location in Location.objects.filter(cooperative=cooperative)]


@router.post(
    "/cooperatives/{slug}/locations",
    response={201: LocationOut},
    summary="Add an outlet or a warehouse",
)
def location_add(request, slug: str, payload: LocationIn):
    cooperative = _cooperative(slug)
    require(request.user, "market.listing.manage", cooperative)
    code = (payload.village_code or "").strip()
    village = Region.objects.filter(code=code, level=4).first() if code else None
    if village is None:
        raise _invalid("village_code", _("Choose a village."), "unknown_region")
    location = stock.location_create(
        actor=request.user,
        cooperative=cooperative,
        kind=(payload.kind or "").strip(),
        name=payload.name or "",
        village=village,
        address=payload.address or "",
        latitude=_coordinate(payload.latitude, 90, "latitude"),
        longitude=_coordinate(payload.longitude, 180, "longitude"),
    )
    return Status(201, _location_out(location))
