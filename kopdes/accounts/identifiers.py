"""Login identifiers: a phone number in any common form, or an email address."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from lokal import parse_phone


def normalize_phone(raw: str) -> str:
    """'0812-3456-7890', '+62 812 3456 7890', '6281234567890' -> '+6281234567890'."""
    info = parse_phone(raw or "")
    if not info.valid or not info.e164:
        raise ValidationError(
            _("Enter a valid Indonesian phone number, e.g. 0812-3456-7890."), code="invalid_phone"
        )
    return info.e164


def normalize_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    validate_email(email)
    return email


def login_key(raw: str) -> str | None:
    """The stored form of what someone typed in the login box, or None if it is neither kind."""
    text = (raw or "").strip()
    if not text:
        return None
    if "@" in text:
        try:
            return normalize_email(text)
        except ValidationError:
            return None
    try:
        return normalize_phone(text)
    except ValidationError:
        return None
