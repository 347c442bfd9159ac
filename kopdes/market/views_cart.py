"""The buyer's side: cart, checkout, the order page behind its private link, reviews, my orders."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth import user_logged_in
from django.contrib.auth.decorators import login_required
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kopdes.core.errors import DomainError
from kopdes.core.paging import paginate
from kopdes.core.policies import require
from kopdes.regions.forms import picked_code
from kopdes.regions.models import Region

from . import selectors_cart
from . import selectors_orders as orders
from . import services_orders as services
from .choices import OrderStatus, PaymentMethod
from .context_processors import CART_COUNT_KEY, CART_SESSION_KEY
from .forms_cart import CheckoutForm, ReviewForm, initial_for
from .qris import order_qris, qris_svg
from .services_reviews import review_add
from .whatsapp import order_message, whatsapp_link

CHECKOUTS_SESSION_KEY = "market_checkouts"  # idempotency keys of the checkouts this session placed
MAX_REMEMBERED_CHECKOUTS = 20


# --- The session's cart -------------------------------------------------------------------------


def session_cart(request: HttpRequest, *, create: bool = True):
    """The visitor's cart: by account when logged in, else by the token kept in the session.
    With create=False a visitor without a cart gets None (and no session)."""
    token = request.session.get(CART_SESSION_KEY)
    if not create and not request.user.is_authenticated and not token:
        return None
    cart = services.cart_get(user=request.user, token=token, create=create)
    if cart is not None and cart.user_id is None and token != str(cart.token):
        request.session[CART_SESSION_KEY] = str(cart.token)
    return cart


def _remember_count(request: HttpRequest, count: int) -> None:
    if request.session.get(CART_COUNT_KEY, 0) != count:
        request.session[CART_COUNT_KEY] = count


@receiver(user_logged_in, dispatch_uid="market.cart_merge_on_login")
def cart_merge_on_login(sender, request, user, **kwargs) -> None:
    """A guest's cart joins the account's cart when they log in (the session survives the login)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    token = session.pop(CART_SESSION_KEY, None)
    cart = services.cart_merge(user=user, guest_token=token) if token else None
    cart = cart or services.cart_get(user=user, create=False)
    session[CART_COUNT_KEY] = selectors_cart.cart_count(cart=cart)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


# --- Cart ---------------------------------------------------------------------------------------


# Product pages, the catalog and microsites are cached whole for visitors (ADR 8), so their
# add-to-cart forms cannot carry a per-visitor CSRF token. Adding to one's own cart is harmless;
# the checkout, which spends money, keeps its CSRF check.
@csrf_exempt
@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    cart = session_cart(request)
    try:
        item = services.cart_set(
            actor=request.user,
            cart=cart,
            listing_id=request.POST.get("listing"),
            quantity=request.POST.get("quantity") or 1,
            add=True,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        if item is not None:
            messages.success(
                request,
                _("Added to cart: %(name)s (%(quantity)s in your cart).")
                % {"name": item.listing.name, "quantity": item.quantity},
            )
        _remember_count(request, selectors_cart.cart_count(cart=cart))
    return redirect(_back(request))


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    cart = session_cart(request, create=False)
    changes = []
    if cart is not None:
        require(request.user, "market.cart.use", cart)
        changes = services.cart_refresh_prices(cart=cart)
    groups = selectors_cart.cart_groups(user=request.user, cart=cart)
    count = sum(len(group.lines) for group in groups)
    if cart is not None:
        _remember_count(request, count)
    context = {
        "groups": groups,
        "changes": changes,
        "count": count,
        "total": sum(group.subtotal for group in groups),
        "has_problems": any(group.has_problems for group in groups),
    }
    return render(request, "market/cart/cart.html", context)


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    """Change a line's quantity; quantity 0 (or the remove button) takes it out."""
    cart = session_cart(request, create=False)
    if cart is None:
        return redirect("market:cart")
    quantity = "0" if "remove" in request.POST else request.POST.get("quantity")
    try:
        item = services.cart_set(
            actor=request.user, cart=cart, listing_id=request.POST.get("listing"), quantity=quantity
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your cart is updated.") if item else _("Removed from your cart."))
    _remember_count(request, selectors_cart.cart_count(cart=cart))
    return redirect("market:cart")


# --- Checkout -----------------------------------------------------------------------------------


def _last_order(user):
    if not user.is_authenticated:
        return None
    return (
        orders.orders_of_buyer(user=user)
        .select_related(None)
        .only("address_village", "address_postal_code", "address_line")
        .first()
    )


def _remember_checkout(request: HttpRequest, key: str) -> None:
    keys = [k for k in request.session.get(CHECKOUTS_SESSION_KEY, []) if k != key]
    request.session[CHECKOUTS_SESSION_KEY] = [*keys, key][-MAX_REMEMBERED_CHECKOUTS:]


def _placed(request: HttpRequest, key: str, placed: list) -> HttpResponse:
    _remember_checkout(request, key)
    _remember_count(request, 0)
    if len(placed) == 1:
        messages.success(request, _("Your order is placed. Keep this page's link to follow it."))
        return redirect(placed[0].get_absolute_url())
    return redirect("market:checkout_done", key)


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    cart = session_cart(request, create=False)
    key = request.POST.get("idempotency_key", "") if request.method == "POST" else ""
    if request.method == "POST" and key in request.session.get(CHECKOUTS_SESSION_KEY, []):
        # A second click on "place order" after the first went through: the same orders.
        return _placed(request, key, orders_of_checkout(request, key))
    if cart is not None:
        require(request.user, "market.checkout.place", cart)
    changes = services.cart_refresh_prices(cart=cart) if cart is not None and request.method == "GET" else []
    groups = selectors_cart.cart_groups(user=request.user, cart=cart)
    if not groups:
        if request.method == "POST" and cart is not None and key:
            placed = orders_of_checkout(request, key, check_session=False)
            if placed:  # the same key placed by a concurrent request of this cart
                return _placed(request, key, placed)
        messages.info(request, _("Your cart is empty."))
        return redirect("market:cart")
    options = selectors_cart.checkout_options(cooperatives=[group.cooperative for group in groups])
    if request.method == "POST":
        form = CheckoutForm(request.POST, groups=groups, options=options)
        if form.is_valid():
            try:
                placed = services.checkout_place(
                    actor=request.user,
                    cart=cart,
                    request=form.checkout_request(),
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except services.PriceChanged as exc:
                changes = exc.changes
                groups = selectors_cart.cart_groups(user=request.user, cart=cart)  # the new prices
                form = CheckoutForm(request.POST, groups=groups, options=options)
                form.is_valid()
                form.apply_error(exc)
            except DomainError as exc:
                form.apply_error(exc)
            else:
                return _placed(request, form.cleaned_data["idempotency_key"], placed)
    else:
        initial = initial_for(request.user, _last_order(request.user))
        form = CheckoutForm(initial=initial, groups=groups, options=options)
        if form.village is not None and not initial.get("postal_code"):
            form.initial["postal_code"] = form.village.postal_code
    context = {
        "form": form,
        "sellers": form.sellers(),
        "changes": changes,
        "subtotal": sum(group.subtotal for group in groups),
        "has_problems": any(group.has_problems for group in groups),
    }
    return render(request, "market/cart/checkout.html", context)


@require_GET
def checkout_postal_code(request: HttpRequest) -> HttpResponse:
    """htmx: the postal code box, filled from the village just picked in the address picker."""
    code = picked_code(request.GET, "address")
    village = Region.objects.filter(code=code, level=4).first() if code else None
    value = request.GET.get("postal_code", "")
    if village is not None and village.postal_code:
        value = village.postal_code
    return render(request, "market/cart/_postal_code.html", {"value": value})


def orders_of_checkout(request: HttpRequest, key: str, *, check_session: bool = True) -> list:
    if check_session and key not in request.session.get(CHECKOUTS_SESSION_KEY, []):
        raise Http404()
    return selectors_cart.checkout_orders(user=request.user, idempotency_key=key)


@require_GET
def checkout_done(request: HttpRequest, key: str) -> HttpResponse:
    """The orders one checkout made (one per cooperative), each with its private link. Only the
    session that placed them may see this page."""
    placed = orders_of_checkout(request, key)
    if not placed:
        raise Http404()
    links = [(order, request.build_absolute_uri(order.get_absolute_url())) for order in placed]
    return render(request, "market/cart/done.html", {"links": links, "total": sum(o.total for o in placed)})


# --- The order behind its private link ----------------------------------------------------------


def _order(request: HttpRequest, number: str, token: str):
    order = orders.order_by_link(user=request.user, number=number, token=token)
    if order.status == OrderStatus.CREATED:
        services.order_expire_if_due(order=order)
    return order


def _payment(order) -> dict:
    """What the buyer needs to pay: the QRIS image and text, the transfer details, or cash."""
    due = order.status == OrderStatus.CREATED
    payment = {"due": due and order.shipping_confirmed, "waiting_fee": due and not order.shipping_confirmed}
    if payment["due"] and order.payment_method == PaymentMethod.QRIS:
        try:
            payload = order_qris(order)
        except ValueError:
            payment["qris_broken"] = True
        else:
            payment.update(qris_payload=payload, qris_svg=_fluid(qris_svg(payload)))
    return payment


def _fluid(svg: str) -> str:
    """Give the QR image a viewBox, so that it scales to the phone's width instead of overflowing."""
    match = re.match(r'<svg([^>]*?) width="(\d+)" height="(\d+)"', svg)
    if match is None:
        return svg
    width, height = match.group(2), match.group(3)
    return svg.replace(match.group(0), f'<svg{match.group(1)} viewBox="0 0 {width} {height}"', 1)


@require_GET
def order_private(request: HttpRequest, number: str, token: str) -> HttpResponse:
    order = _order(request, number, token)
    return render(request, "market/cart/order.html", _order_context(request, order))


def _order_context(request: HttpRequest, order, review_forms: dict | None = None) -> dict:
    detail = orders.order_detail(order)
    lines = detail["lines"]
    reviews = selectors_cart.line_reviews(lines=lines)
    may_review = order.status in (OrderStatus.RECEIVED, OrderStatus.COMPLETED)
    review_forms = review_forms or {}
    rows = [
        {
            "line": line,
            "review": reviews.get(line.pk),
            "form": (review_forms.get(line.pk) or ReviewForm(prefix=f"r{line.pk}"))
            if may_review and line.pk not in reviews
            else None,
        }
        for line in lines
    ]
    link = request.build_absolute_uri(order.get_absolute_url())
    chat = whatsapp_link(order.cooperative.phone, order_message(order, lines=lines, url=link))
    steps = services.allowed_steps(order, services.BUYER)
    return {
        "order": order,
        "rows": rows,
        "events": detail["events"],
        "payments": detail["payments"],
        "payment": _payment(order),
        "steps": steps,
        "link": link,
        "chat": chat,
        "statuses": OrderStatus,
        "methods": PaymentMethod,
    }


BUYER_STEPS: dict[str, Any] = {
    OrderStatus.CANCELLED: gettext_lazy("The order is cancelled."),
    OrderStatus.RECEIVED: gettext_lazy("Thank you: the order is marked received."),
    OrderStatus.COMPLETED: gettext_lazy("The order is complete."),
}


@require_POST
def order_act(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """The buyer cancels an unpaid order, says it arrived, or completes it."""
    order = _order(request, number, token)
    to_status = request.POST.get("to", "")
    try:
        services.order_transition(
            actor=request.user,
            order=order,
            to_status=to_status,
            party=services.BUYER,
            note=(request.POST.get("note") or "").strip()[:255],
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, str(BUYER_STEPS.get(to_status, _("Done."))))
    return redirect(order.get_absolute_url())


@require_POST
def order_review(request: HttpRequest, number: str, token: str, line_id: int) -> HttpResponse:
    """The buyer reviews one line of a received order."""
    order = _order(request, number, token)
    line = selectors_cart.order_line(order=order, line_id=line_id)
    if line is None:
        raise Http404()
    form = ReviewForm(request.POST, prefix=f"r{line.pk}")
    if form.is_valid():
        try:
            review_add(actor=request.user, line=line, **form.cleaned_data)
        except DomainError as exc:
            if not exc.fields:  # already reviewed: nothing to correct in the form
                messages.error(request, str(exc.message))
                return redirect(order.get_absolute_url() + f"#line-{line.pk}")
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Thank you for your review."))
            return redirect(order.get_absolute_url() + f"#line-{line.pk}")
    context = _order_context(request, order, review_forms={line.pk: form})
    return render(request, "market/cart/order.html", context, status=400)


# --- My orders ----------------------------------------------------------------------------------


@login_required
@require_GET
def my_orders(request: HttpRequest) -> HttpResponse:
    page = paginate(request, orders.orders_of_buyer(user=request.user))
    return render(request, "market/cart/my_orders.html", {"page": page})
