"""Logging filter that masks anything shaped like a NIK before it reaches a log (UU 27/2022)."""

from __future__ import annotations

import logging

from .masking import mask_sensitive


class MaskNikFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_sensitive(record.msg)
        if record.args:
            if isinstance(record.args, dict):
                record.args = mask_sensitive(record.args)
            else:
                record.args = tuple(mask_sensitive(list(record.args)))
        return True
