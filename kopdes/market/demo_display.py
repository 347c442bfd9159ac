"""Demo data of display points: an operator, a point at the airport, consigned stock."""

from __future__ import annotations


def demo_display_load() -> tuple[str, list[tuple[str, str, str]]]:
    return "0 display points created", []
