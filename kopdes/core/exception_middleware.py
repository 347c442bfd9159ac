from __future__ import annotations

from django.shortcuts import render

from .errors import DomainError


class DomainErrorMiddleware:
    """A DomainError raised by a service in a web view becomes a friendly 4xx page, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        template = "404.html" if exception.status == 404 else "400.html"
        return render(request, template, {"message": exception.message}, status=exception.status)
