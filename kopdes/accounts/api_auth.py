"""API authentication: a bearer token for integrations, or the browser session."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, SessionAuth

from kopdes.core.audit import audit_record
from kopdes.core.errors import DomainError

from .services import token_authenticate


class TokenRejected(DomainError):
    status = 401


_MESSAGES = {
    "expired": _("This API token has expired. Create a new one on your account page."),
    "revoked": _("This API token has been revoked."),
    "invalid": _("This API token is not valid."),
}


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user, reason = token_authenticate(key=token)
        if user is None:
            audit_record(
                actor=None,
                action="auth.token_rejected",
                object_type="accounts.apitoken",
                object_repr=f"{token[:10]}… ({reason})",
            )
            raise TokenRejected(_MESSAGES[reason], code=f"token_{reason}")
        request.user = user
        return user


class Session(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


API_AUTH = [TokenAuth(), Session()]
