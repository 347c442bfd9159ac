"""SQLite connection setup: the function the audit trail's delete trigger asks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_purge_allowed = False


def _audit_purge() -> int:
    return 1 if _purge_allowed else 0


def register_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("kopdes_audit_purge", 0, _audit_purge, deterministic=False)


@contextlib.contextmanager
def audit_purge_allowed(allowed: bool = True) -> Iterator[None]:
    """Only for the test suite's database flush: lets DELETE through the audit trigger."""
    global _purge_allowed
    previous, _purge_allowed = _purge_allowed, allowed
    try:
        yield
    finally:
        _purge_allowed = previous
