"""One error format for every API failure: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .errors import DomainError
from .policies import record_denial

logger = logging.getLogger("kopdes.api")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorBody


def error_response(api: NinjaAPI, request, status: int, code: str, message: StrOrPromise, fields=None):
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        fields = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        return error_response(api, request, exc.status, exc.code, exc.message, fields)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(err.get("loc", ())), []).append(str(err.get("msg", "")))
        return error_response(api, request, 422, "validation_error", _("Some fields are not valid."), fields)

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request, exc):
        return error_response(api, request, 401, "not_authenticated", _("Log in or send a valid API token."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        record_denial(exc)
        message = getattr(exc, "message", None) or _("You are not allowed to do this.")
        return error_response(api, request, 403, "forbidden", message)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error_response(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(MultiPartParserError)
    def unreadable_body(request, exc):
        # A multipart body without its boundary, or cut short: the client's fault, not ours.
        return error_response(
            api, request, 400, "bad_request", _("The request's body could not be read: send it again.")
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return error_response(api, request, exc.status_code, "http_error", str(exc))

    @api.exception_handler(Exception)
    def server_error(request, exc):
        logger.exception("API error on %s", request.path)
        return error_response(
            api,
            request,
            500,
            "server_error",
            _("Something went wrong on our side. Please try again."),
        )
