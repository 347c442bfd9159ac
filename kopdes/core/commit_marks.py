"""What a commit schedules in the shared cache, sent in one round trip.

A checkout's commit schedules three things in Redis: the catalog's generation moves on (so no
cached page shows the old stock), and two marks are added, each queueing its task only if it was
absent (the rollups' fold, the buyer's notices: one task however many orders commit). Each was
a round trip of its own after the commit, 0.08 to 0.1 ms of the worker's CPU apiece, and a switch to
Redis and back on a busy machine. `Mark` and `generations.Bump` are hooks for
`transaction.on_commit` that work alone; `run_together` runs a list of hooks with those two kinds
sent together in one pipeline (`rows.Statement` hands its hooks to the transaction this way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.cache import cache, caches

from .generations import Bump
from .redis_cache import RedisCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mark:
    """A hook that adds `key` to the cache for `timeout` seconds and, if it was absent, calls
    `then` (queues a task): once per mark's life however many commits call it."""

    key: str
    timeout: int
    then: Callable[[], object]

    def __post_init__(self) -> None:
        # Django names a robust hook that failed by its __qualname__.
        object.__setattr__(self, "__qualname__", f"Mark({self.key!r})")

    def __call__(self) -> None:
        if cache.add(self.key, 1, timeout=self.timeout):
            self.then()


def _call(func: Callable[[], object], robust: bool) -> None:
    """As Django calls an on_commit hook: a robust one's failure is logged, not raised."""
    if not robust:
        func()
        return
    try:
        func()
    except Exception as exc:
        logger.error("Error calling %r after a commit (%s).", func, exc, exc_info=True)


def run_together(hooks: Sequence[tuple[Callable[[], object], bool]]) -> None:
    """Call the hooks ((function, robust) pairs, as for `transaction.on_commit`): with Redis as
    the shared cache, the marks and bumps among them in one round trip, then the `then` of the
    marks added, then the other hooks in their order."""
    backend = caches["default"]
    sent = [(func, robust) for func, robust in hooks if isinstance(func, (Mark, Bump))]
    if not (sent and isinstance(backend, RedisCache)):
        for func, robust in hooks:
            _call(func, robust)
        return
    marks = [(func, robust) for func, robust in sent if isinstance(func, Mark)]
    try:
        added = backend.add_and_bump(
            [(mark.key, mark.timeout) for mark, _robust in marks],
            [func.name for func, _robust in sent if isinstance(func, Bump)],
        )
    except Exception as exc:
        if not all(robust for _func, robust in sent):
            raise
        logger.error("Error sending the marks of a commit (%s).", exc, exc_info=True)
        added = [False] * len(marks)
    for (mark, robust), was_added in zip(marks, added, strict=True):
        if was_added:
            _call(mark.then, robust)
    for func, robust in hooks:
        if not isinstance(func, (Mark, Bump)):
            _call(func, robust)
