"""A small in-process event bus: services publish domain events inside their transaction, read
models (rollups, indexes) subscribe. A writer never imports the read side.

Handlers run synchronously in the publisher's transaction, so a rollup changes together with
the facts it counts, or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if fn not in _handlers[event]:
            _handlers[event].append(fn)
        return fn

    return register


def publish(event: str, **payload: Any) -> None:
    for handler in list(_handlers.get(event, ())):
        handler(**payload)


def unsubscribe(event: str, fn: Handler) -> None:
    if fn in _handlers.get(event, []):
        _handlers[event].remove(fn)
