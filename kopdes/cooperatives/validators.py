"""Checks of Indonesian identifiers for cooperatives and members, with lokal-id."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.text import slugify
from django.utils.translation import gettext as _
from lokal import is_valid_nik, parse_npwp, parse_phone, parse_qris

from kopdes.core.errors import DomainError


def invalid(field: str, message: str) -> DomainError:
    return DomainError(message, code="invalid", fields={field: [message]})


def clean_nik(raw: str, field: str = "nik") -> str:
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) != 16 or not is_valid_nik(digits):
        raise invalid(field, _("A NIK is 16 digits with a valid region and birth date."))
    return digits


def clean_npwp(raw: str, field: str = "npwp") -> str:
    if not raw:
        return ""
    info = parse_npwp(raw)
    if not info.valid or not info.npwp16:
        raise invalid(field, _("Not a valid NPWP (15 or 16 digits)."))
    return info.npwp16


def clean_phone(raw: str, field: str = "phone") -> str:
    if not raw:
        return ""
    info = parse_phone(raw)
    if not info.valid or not info.e164:
        raise invalid(field, _("Enter a valid Indonesian phone number, e.g. 0812-3456-7890."))
    return info.e164


def clean_nib(raw: str, field: str = "nib") -> str:
    digits = re.sub(r"\D", "", raw or "")
    if raw and len(digits) != 13:
        raise invalid(field, _("An NIB is 13 digits."))
    return digits


def clean_qris(raw: str, field: str = "qris_payload") -> str:
    payload = (raw or "").strip()
    if not payload:
        return ""
    info = parse_qris(payload)
    if not info.valid:
        raise invalid(
            field, _("This is not a valid QRIS code: copy the text of the cooperative's static QRIS.")
        )
    if info.type != "static":
        raise invalid(field, _("Use the cooperative's static QRIS (the one without an amount)."))
    return payload


def clean_coordinates(latitude, longitude) -> tuple:
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None:
        raise invalid("latitude", _("Give both latitude and longitude, or neither."))
    # Indonesia lies between about 6°N to 11°S and 95°E to 141°E; allow a margin.
    if not (-12 <= float(latitude) <= 7 and 94 <= float(longitude) <= 142):
        raise invalid("latitude", _("This point is outside Indonesia."))
    return latitude, longitude


MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# What an evidence file may be, told by its first bytes (the name alone proves nothing).
EVIDENCE_SIGNATURES = {b"%PDF-": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


def clean_evidence(upload, field: str = "evidence"):
    """A PDF, JPEG or PNG of at most 5 MB, renamed so that its extension follows its content."""
    if not upload:
        return None
    if upload.size > MAX_EVIDENCE_BYTES:
        raise invalid(field, _("The file is larger than 5 MB."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    extension = next((ext for magic, ext in EVIDENCE_SIGNATURES.items() if head.startswith(magic)), None)
    if extension is None:
        raise invalid(field, _("Upload a PDF, JPEG or PNG file."))
    # Served as what it is: a "PDF" named page.html would otherwise be served as a web page.
    stem = slugify(str(upload.name).rsplit(".", 1)[0])[:60] or "evidence"
    upload.name = f"{stem}.{extension}"
    return upload


def clean_email(raw: str, field: str = "email") -> str:
    email = (raw or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise invalid(field, _("Enter a valid email address.")) from None
    return email
