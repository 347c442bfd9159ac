from __future__ import annotations

from .request_context import channel, client_ip


class RequestContextMiddleware:
    """Makes the request's origin (address, web or API) known to services and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = "api" if request.path.startswith("/api/") else "web"
        with channel(name, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")):
            return self.get_response(request)
