from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .panels import panels_for
from .policies import record_denial, require
from .visitor_cache import cache_for_visitors

logger = logging.getLogger(__name__)


@require_GET
@cache_for_visitors(action="core.home.view", key=lambda: "home")
def home(request: HttpRequest) -> HttpResponse:
    require(request.user, "core.home.view")
    panels = panels_for(request.user) if request.user.is_authenticated else []
    return render(request, "core/home.html", {"panels": panels})


@require_GET
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """Switch the interface language with a plain link: no form, so no CSRF token on public pages.

    A language preference is harmless to set cross-site, unlike what Django's POST-only
    set_language guards against; see docs/adr/0008-fast-public-pages.md.
    """
    require(request.user, "core.home.view")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


# Uploads that are public by nature (photos shown on public pages). Anything else under
# MEDIA_ROOT (evidence, imports) is only ever served through a view that checks the policy.
PUBLIC_MEDIA_PREFIXES = ("cooperatives/photos/", "cooperatives/units/")


@require_GET
def public_media(request: HttpRequest, path: str) -> FileResponse:
    """Serve a public upload from the file system (with object storage, MEDIA_URL points there)."""
    require(request.user, "core.home.view")
    if ".." in path.split("/") or not path.startswith(PUBLIC_MEDIA_PREFIXES):
        raise Http404
    from django.core.files.storage import default_storage

    try:
        handle = default_storage.open(path, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle)
    response["Cache-Control"] = "public, max-age=2592000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def ping(request: HttpRequest) -> HttpResponse:
    """The framework floor for benchmarks: the full middleware stack, no database, no template."""
    require(request.user, "core.home.view")
    return HttpResponse("pong", content_type="text/plain")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # a health check reports every failure rather than raising
        logger.exception("health check: database")
        checks["database"] = "down"
        healthy = False
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception:
            logger.exception("health check: redis")
            checks["redis"] = "down"
            healthy = False
    else:
        checks["redis"] = "not configured"
    checks["database_vendor"] = connection.vendor
    return JsonResponse({"status": "ok" if healthy else "down", **checks}, status=200 if healthy else 503)


def error_400(request, exception=None):
    return _error(request, 400, exception)


def error_403(request, exception=None):
    if exception is not None:
        record_denial(exception)
    return _error(request, 403, exception)


def error_404(request, exception=None):
    return _error(request, 404, exception)


def error_500(request):
    # No context processors, no database: whatever broke must not break the error page too.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)


def _error(request, status: int, exception) -> HttpResponse:
    message = getattr(exception, "message", None)
    return render(request, f"{status}.html", {"message": message}, status=status)
