"""The cart link in every page's header.

The count is kept in the session by the pages that change the cart (add, update, checkout, the
cart page itself, login), so the header costs no query, and a visitor without a session gets
none: reading a key of an empty session neither loads nor creates one.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import reverse

CART_SESSION_KEY = "market_cart"  # a guest cart's token
CART_COUNT_KEY = "market_cart_count"  # how many products the cart holds, for the header


@lru_cache(maxsize=1)
def _cart_url() -> str:
    return reverse("market:cart")


def cart(request) -> dict:
    session = getattr(request, "session", None)
    count = session.get(CART_COUNT_KEY, 0) if session is not None else 0
    return {"market_cart": {"url": _cart_url(), "count": count}}
