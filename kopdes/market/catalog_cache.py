"""The catalog's cache generation: every change a visitor could see (price, stock, a listing on or
off sale) moves it on, so cached catalog pages are never stale."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

_KEY = "market:catalog-generation"


def catalog_generation() -> int:
    value = cache.get(_KEY)
    if value is None:
        cache.add(_KEY, 1, None)
        value = cache.get(_KEY) or 1
    return int(value)


def catalog_touch() -> None:
    """Move the generation on once the current transaction commits."""

    def bump() -> None:
        try:
            cache.incr(_KEY)
        except ValueError:
            cache.add(_KEY, 1, None)

    transaction.on_commit(bump)
