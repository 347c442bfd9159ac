from __future__ import annotations

import re

from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from .request_context import channel, client_ip


class RequestContextMiddleware:
    """Makes the request's origin (address, web or API) known to services and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = "api" if request.path.startswith("/api/") else "web"
        with channel(name, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")):
            return self.get_response(request)


# A JSON string's NUL is the escape \u0000 after an even number of backslashes (none, or escaped
# backslashes that stand for themselves); JSON has no other way to carry one.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _carries_nul(request, *, body: bool) -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
        return True
    if not body:
        return False
    if request.content_type == "application/json":
        return bool(_JSON_NUL.search(request.body))
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    return False


def _refused(code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=400)


class RejectNulMiddleware:
    """A request carrying a NUL character is answered 400 before any view reads it: anywhere in an
    API request (path, query, JSON or form body), in a page's address or query. PostgreSQL cannot
    hold or even compare a NUL in text, so each such string was a 500 there (schemathesis found
    them on a token's name, a display point's region filter, a regency code; a crawl on the
    people, organisations and audit filters); SQLite took them silently. A page's forms refuse a
    NUL field by field already (Django's `ProhibitNullCharactersValidator`), with their messages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        try:
            nul = _carries_nul(request, body=api)
        except MultiPartParserError:  # read here first: answered as the API answers it (core.api)
            return _refused("bad_request", _("The request's body could not be read: send it again."))
        if nul:
            message = _("The request contains a NUL character, which no field accepts.")
            if api:
                return _refused("invalid_characters", message)
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)
