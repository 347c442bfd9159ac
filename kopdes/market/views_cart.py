"""The buyer's side: cart, checkout, the order page behind its private link."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kopdes.core.errors import DomainError

from . import services_orders as services

CART_SESSION_KEY = "market_cart"


def session_cart(request: HttpRequest, *, create: bool = True):
    """The visitor's cart: by account when logged in, else by the token kept in the session."""
    cart = services.cart_get(user=request.user, token=request.session.get(CART_SESSION_KEY), create=create)
    if cart is not None and cart.user_id is None:
        request.session[CART_SESSION_KEY] = str(cart.token)
    return cart


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    cart = session_cart(request)
    try:
        services.cart_set(
            actor=request.user,
            cart=cart,
            listing_id=request.POST.get("listing"),
            quantity=request.POST.get("quantity") or 1,
            add=True,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(_back(request))
