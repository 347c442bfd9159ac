"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client()` makes a new `redis.Redis` for every operation, and
redis-py fills each new client's table of ~170 response callbacks: a quarter of a millisecond per
cache read here, twice on a page served from the cache (the region tree's version and the
catalog's generation). A `redis.Redis` is safe to share between threads (each command takes a
connection from the pool), so the client is made once per pool and kept.

The task queue (RQ) takes its client from this cache too (`RQ_QUEUES[...]["USE_REDIS_CACHE"]`):
given a URL, django-rq makes a new client, pool and TCP connection for every task enqueued,
about 3 ms of CPU each.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]  # Django's own
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = super().get_client(key, write=write)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def get_master_client(self):
        """The shared client, for django-rq (`USE_REDIS_CACHE`)."""
        return self._cache.get_client(write=True)

    def counter_bump(self, key, version=None) -> int:
        """Add one to a counter in one round trip (`cache.incr` asks whether the key exists first,
        and raises if not); a missing counter (evicted, or never read) becomes 2, never 1, the
        value that readers of `kopdes.core.generations` take for a missing one."""
        key = self.make_and_validate_key(key, version=version)
        with self._cache.get_client(key, write=True).pipeline(transaction=True) as pipe:
            _bump_in(pipe, key)
            return int(pipe.execute()[-1])

    def add_and_bump(self, marks: Sequence[tuple[str, int]], counters: Sequence[str]) -> list[bool]:
        """In one round trip: each mark (key, timeout in seconds) added as `add` adds it, and
        whether it was; each counter moved on as `counter_bump` moves it."""
        client = self._cache.get_client(None, write=True)
        with client.pipeline(transaction=True) as pipe:
            for key, timeout in marks:
                pipe.set(self.make_and_validate_key(key), 1, nx=True, ex=timeout)
            for key in counters:
                _bump_in(pipe, self.make_and_validate_key(key))
            results = pipe.execute()
        return [bool(result) for result in results[: len(marks)]]


def _bump_in(pipe, key: str) -> None:
    """A counter moved on inside a MULTI pipeline: a missing one becomes 2, never 1."""
    pipe.set(key, 1, nx=True)
    pipe.incr(key)
