"""Sections of a logged-in user's home page, contributed by apps (as the navigation is).

A panel is a function (user) -> context dict, or None when it has nothing for this user, plus the
template that renders it. Core shows them without knowing the apps behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[Any], dict | None]
    order: int = 50


_panels: list[Panel] = []


def register(panel: Panel) -> None:
    if all(existing.template != panel.template for existing in _panels):
        _panels.append(panel)
        _panels.sort(key=lambda p: p.order)


def panels_for(user) -> list[tuple[str, dict]]:
    shown = []
    for panel in _panels:
        context = panel.context(user)
        if context:
            shown.append((panel.template, context))
    return shown
