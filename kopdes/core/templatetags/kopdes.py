"""Indonesian formats for templates: Rupiah, numbers, dates; NIK masking; WhatsApp links."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from lokal import format_rupiah, parse_phone

from ..masking import mask_nik

register = template.Library()


@register.filter
def rupiah(value) -> str:
    """12500 -> 'Rp12.500'."""
    if value in (None, ""):
        return ""
    return format_rupiah(int(value))


@register.filter
def angka(value) -> str:
    """1234567 -> '1.234.567' whatever the active language (Indonesian format everywhere)."""
    if value in (None, ""):
        return ""
    return f"{int(value):,}".replace(",", ".")


@register.filter
def tanggal(value) -> str:
    """A date as '22 Nov 2026' in the active language."""
    if not value:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)  # the date in Indonesia, not in UTC
    return formats.date_format(value, "j M Y")


@register.filter
def nik(value) -> str:
    return mask_nik(value)


@register.filter
def whatsapp(phone: str | None, text: str = "") -> str:
    """A wa.me click-to-chat address for an Indonesian mobile number ('' when it has none)."""
    if not phone:
        return ""
    info = parse_phone(phone)
    if not info.whatsapp:
        return ""
    from urllib.parse import quote

    return f"https://wa.me/{info.whatsapp}" + (f"?text={quote(text)}" if text else "")
