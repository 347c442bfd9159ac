"""Demo data of the market: the demo cooperative's outlet, delivery zone and listings."""

from __future__ import annotations


def demo_market_load() -> tuple[str, list[tuple[str, str, str]]]:
    return "0 listings created", []
