"""Whole-page cache for visitors who are not logged in.

A public page (home, region browse) is the same for every anonymous visitor in a language, so
its HTML is kept in the process's page cache (`caches["pages"]`, local memory: the key holds
the versions the page depends on) and served without rendering; logged-in users, htmx requests,
query strings and anything that sets a cookie always get a fresh render. The policy layer is
still asked on every request, hit or miss. See docs/adr/0008-fast-public-pages.md.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from .policies import require


def page_cache():
    """Where whole pages for visitors are kept: each process's own memory (settings.CACHES)."""
    return caches["pages"]


class KeptObjects:
    """Objects kept as they are in this process's memory, under keys that hold the versions they
    depend on: no pickling (a dashboard with its regions and translated labels took longer to
    unpickle than to read again). What is kept is shared by every request of the process, so it
    is never changed after it is kept. At most `size` objects; the oldest goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._objects: dict[str, object] = {}

    def get(self, key: str):
        return self._objects.get(key)

    def set(self, key: str, value: object) -> None:
        while len(self._objects) >= self.size:
            try:
                del self._objects[next(iter(self._objects))]
            except (KeyError, StopIteration, RuntimeError):  # another thread got there first
                break
        self._objects[key] = value

    def clear(self) -> None:
        self._objects.clear()


_KEPT = KeptObjects(512)


def kept_objects() -> KeptObjects:
    """The process's kept objects (the dashboards): see KeptObjects."""
    return _KEPT


def _cacheable(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.headers.get("HX-Request")
    )


def cache_for_visitors(*, action: str, key: Callable[..., str], timeout: int = 3600):
    """Serve the view's 200 answers to anonymous visitors from the cache, under `key(...)`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not _cacheable(request):
                return view(request, *args, **kwargs)
            require(request.user, action)
            cache_key = f"page:{get_language()}:{key(*args, **kwargs)}"
            hit = page_cache().get(cache_key)
            if hit is not None:
                content, content_type = hit
                response = HttpResponse(content, content_type=content_type)
                patch_vary_headers(response, ("Cookie",))
                return response
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies and not response.streaming:
                page_cache().set(cache_key, (response.content, response["Content-Type"]), timeout)
            return response

        return wrapped

    return decorator
