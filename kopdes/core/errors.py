"""Domain errors that services raise and both the web and the API turn into clear 4xx answers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A request that the rules refuse. `code` is stable for clients; `message` is translated."""

    status = 400
    code = "invalid"

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None):
        self.message = message or _("The request is not valid.")
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(str(self.message))


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("Not found."), **kwargs)


class Conflict(DomainError):
    status = 409
    code = "conflict"
