"""NIK masking (UU 27/2022): wherever a NIK is shown or logged, only its frame is visible."""

from __future__ import annotations

import re
from typing import Any

_NIK = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")


def mask_nik(value: str | None) -> str:
    """'5310123456780001' -> '5310********0001'. Anything not 16 digits is masked whole."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", str(value))
    if len(digits) != 16:
        return "*" * len(digits)
    return f"{digits[:4]}{'*' * 8}{digits[12:]}"


def mask_sensitive(value: Any) -> Any:
    """Masks every 16-digit run (a NIK's shape) in strings, dicts and lists, recursively."""
    if isinstance(value, str):
        return _NIK.sub(lambda m: f"{m.group(1)}{'*' * 8}{m.group(2)}", value)
    if isinstance(value, dict):
        return {k: mask_sensitive(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_sensitive(v) for v in value]
    return value
