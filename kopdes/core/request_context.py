"""Where the current change comes from: the web address of the request, or a named channel.

Set by `RequestContextMiddleware` for web and API requests and by `channel()` for commands and
tasks, so that services can record "from where" without every caller passing it along.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    channel: str = "system"  # web, api, cli, task, system
    user_agent: str = ""


_origin: ContextVar[Origin] = ContextVar("kopdes_origin", default=Origin())  # noqa: B039  (frozen)


def current_origin() -> Origin:
    return _origin.get()


@contextlib.contextmanager
def channel(name: str, *, ip: str | None = None, user_agent: str = "") -> Iterator[Origin]:
    origin = Origin(ip=ip, channel=name, user_agent=user_agent[:200])
    token = _origin.set(origin)
    try:
        yield origin
    finally:
        _origin.reset(token)


def client_ip(request) -> str | None:
    """The client's address; behind `PROXY_COUNT` trusted proxies, taken from X-Forwarded-For."""
    from django.conf import settings

    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
