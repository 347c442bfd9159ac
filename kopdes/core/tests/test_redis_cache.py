"""The Redis cache backend keeps one client per connection pool (see kopdes/core/redis_cache.py)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

from kopdes.core.redis_cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (the PostgreSQL + Redis run)")


def test_the_client_is_made_once_and_the_cache_still_works():
    backend = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    client = backend._cache.get_client()

    assert backend._cache.get_client() is client
    assert backend._cache.get_client(write=True) is client  # one server: reads and writes alike
    backend.set("k", {"n": 1}, 30)
    assert backend.add("n", 1, 30) and backend.incr("n") == 2
    assert backend.get("k") == {"n": 1} and backend.get_many(["k", "n"]) == {"k": {"n": 1}, "n": 2}
    backend.delete_many(["k", "n"])
    assert backend.get("k") is None


def test_the_task_queue_shares_the_cache_client_and_its_connections():
    """django-rq given a URL makes a client, a pool and a TCP connection for every task enqueued;
    with USE_REDIS_CACHE it takes the cache's one client, whose pool keeps its connections."""
    import django_rq
    from django.core.cache import cache

    shared = cache._cache.get_client(write=True)
    first, second = django_rq.get_queue("default"), django_rq.get_queue("default")

    assert first.connection is shared and second.connection is shared
    pool = shared.connection_pool
    first.connection.ping()
    made = pool._created_connections
    for _ in range(5):
        second.connection.ping()
    assert pool._created_connections == made  # no new connection for the later calls


@contextlib.contextmanager
def round_trips(backend) -> Iterator[list]:
    """The connections taken from `backend`'s pool meanwhile (one per command or pipeline)."""
    pool = backend._cache.get_client(write=True).connection_pool
    sent: list = []
    original = pool.get_connection

    def counting(*args, **kwargs):
        sent.append(1)
        return original(*args, **kwargs)

    pool.get_connection = counting
    try:
        yield sent
    finally:
        pool.get_connection = original


def test_a_counter_moves_on_in_one_round_trip_and_a_missing_one_starts_at_two():
    backend = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    with round_trips(backend) as sent:
        assert backend.counter_bump("generation") == 2  # missing: never the readers' 1
        assert backend.counter_bump("generation") == 3
    assert len(sent) == 2  # one connection taken, one round trip, per bump
    assert backend.get("generation") == 3  # read back as Django's own counters are
    backend.set("generation", 7, 30)
    assert backend.counter_bump("generation") == 8
    backend.delete("generation")


def test_a_commits_marks_and_bumps_go_together_in_one_round_trip():
    """`commit_marks.run_together`: the marks and generation bumps of a commit in one pipeline;
    a mark's task is queued only when the mark was absent; the other hooks run after, in order."""
    from django.core.cache import cache

    from kopdes.core.commit_marks import Mark, run_together
    from kopdes.core.generations import Bump, generation

    name = f"test-generation-{uuid.uuid4().hex}"
    queued: list[str] = []
    fold = Mark(f"test-fold-{uuid.uuid4().hex}", 30, lambda: queued.append("fold"))
    notices = Mark(f"test-notices-{uuid.uuid4().hex}", 30, lambda: queued.append("notices"))

    def broken():
        raise RuntimeError("a robust hook's failure is logged")

    hooks = [(fold, True), (lambda: queued.append("event"), False), (Bump(name), True), (broken, True)]
    hooks.append((notices, True))
    with round_trips(cache) as sent:
        run_together(hooks)
        assert len(sent) == 1  # two marks and a bump: one round trip
        run_together(hooks)
    assert queued == ["fold", "notices", "event", "event"]  # the marks' tasks once, while they last
    assert generation(name) == 3  # moved on twice from the readers' 1
    cache.delete_many([name, fold.key, notices.key])
