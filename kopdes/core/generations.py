"""Cache generations: a named counter that every change a cached page depends on moves on, so
that pages cached under the old value are never served again (the catalog, the dashboards).

With a shared cache (Redis) a generation is a counter there. Without one, each worker process
has a cache of its own, and a counter in it would move on in one worker only: the generation is
then a database row every worker reads (a primary-key lookup per cached page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from .redis_cache import RedisCache


def cache_is_shared() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("LocMemCache", "DummyCache"))


def generation(name: str) -> int:
    """The current value of the generation `name` (1 until it first moves); with a shared cache,
    `name` is the counter's key there."""
    if not cache_is_shared():
        from .models import Generation

        # Plain SQL: on a page served from the cache this is all the work, and the ORM's
        # compiling would cost more than the lookup.
        table = connection.ops.quote_name(Generation._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {table} WHERE name = %s", [name])  # noqa: S608  (our table's name)
            row = cursor.fetchone()
        return int(row[0]) if row else 1
    value = cache.get(name)
    if value is None:
        cache.add(name, 1, None)
        value = cache.get(name) or 1
    return int(value)


def _bump(name: str) -> None:
    if not cache_is_shared():
        from .models import Generation

        if not Generation.objects.filter(name=name).update(value=F("value") + 1):
            try:
                with transaction.atomic():
                    Generation.objects.create(name=name, value=2)
            except IntegrityError:  # another worker made the row first: move it on
                Generation.objects.filter(name=name).update(value=F("value") + 1)
        return
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        backend.counter_bump(name)  # one round trip
        return
    try:
        cache.incr(name)
    except ValueError:
        cache.add(name, 2, None)


@dataclass(frozen=True)
class Bump:
    """The hook that moves the generation `name` on (`kopdes.core.commit_marks.run_together`
    sends it with the other marks of a commit, in one round trip to Redis)."""

    name: str

    def __post_init__(self) -> None:
        # Django names a robust hook that failed by its __qualname__.
        object.__setattr__(self, "__qualname__", f"Bump({self.name!r})")

    def __call__(self) -> None:
        _bump(self.name)


def generation_touch(name: str, later=transaction.on_commit) -> None:
    """Move the generation `name` on once the current transaction commits (at once outside one).
    `later`: what registers for the commit (a Statement's `on_commit`, for the rows it writes)."""
    # Robust: the change is committed already; a failed bump is logged, never the caller's error.
    later(Bump(name), robust=True)
