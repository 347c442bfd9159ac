"""The catalog's cache generation: every change a visitor could see (price, stock, a listing on or
off sale) moves it on, so cached catalog pages are never stale.

With a shared cache (Redis) the generation is a counter there. Without one, each worker process
has a cache of its own, and a counter in it would move on in one worker only: the generation is
then one database row every worker reads (a primary-key lookup per cached page)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F

_KEY = "market:catalog-generation"


def _cache_is_shared() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("LocMemCache", "DummyCache"))


def catalog_generation() -> int:
    if not _cache_is_shared():
        from .models import CatalogGeneration

        # Plain SQL: on a page served from the cache this is all the work, and the ORM's
        # compiling would cost more than the lookup.
        table = connection.ops.quote_name(CatalogGeneration._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {table} WHERE id = 1")  # noqa: S608  (our table's name)
            row = cursor.fetchone()
        return int(row[0]) if row else 0
    value = cache.get(_KEY)
    if value is None:
        cache.add(_KEY, 1, None)
        value = cache.get(_KEY) or 1
    return int(value)


def catalog_touch() -> None:
    """Move the generation on once the current transaction commits."""

    def bump() -> None:
        if not _cache_is_shared():
            from .models import CatalogGeneration

            if not CatalogGeneration.objects.filter(pk=1).update(value=F("value") + 1):
                try:
                    with transaction.atomic():
                        CatalogGeneration.objects.create(pk=1, value=1)
                except IntegrityError:  # another worker made the row first: move it on
                    CatalogGeneration.objects.filter(pk=1).update(value=F("value") + 1)
            return
        try:
            cache.incr(_KEY)
        except ValueError:
            cache.add(_KEY, 1, None)

    # Robust: the change is committed already; a failed bump is logged, never the buyer's error.
    transaction.on_commit(bump, robust=True)
