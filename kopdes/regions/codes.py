"""Kemendagri code helpers shared by every app: parse, validate and test containment."""

from __future__ import annotations

import re

_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


def normalize_code(raw: str) -> str | None:
    """'5307', '53.07', ' 53.07 ' -> '53.07'; 10 digits -> village code. None when malformed."""
    text = (raw or "").strip()
    if "." not in text and text.isdigit() and len(text) in (2, 4, 6, 10):
        text = ".".join(p for p in (text[0:2], text[2:4], text[4:6], text[6:10]) if p)
    return text if _CODE.match(text) else None


def level_of(code: str) -> int:
    return code.count(".") + 1


def within(code: str, prefix: str) -> bool:
    """True when region `code` lies in the subtree of `prefix` ('' is the whole nation)."""
    return prefix == "" or code == prefix or code.startswith(prefix + ".")
