"""Sections of public pages (a product page, a cooperative's microsite), contributed by apps that
sit above the page's own app, as the home page's panels are.

The products app renders a product page without knowing the market; the market registers a
"buy" section for it. A section is a function (request, obj) -> context dict, or None when it has
nothing to show for this object, plus the template that renders it (with the dict as `section`).

Public pages are cached for visitors (ADR 8). A section whose content changes without the page's
own object changing (a price, a stock count) gives a `cache_key` part: the page puts every part
into its cache key, so a change shows at once. A section's context must not depend on who asks:
anonymous visitors share one cached page.

Conventions a page may read from a section's context:
- `replaces_price`: the section shows the selling price, so the page leaves out its reference price.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PRODUCT = "product"
COOPERATIVE = "cooperative"


@dataclass(frozen=True)
class Section:
    page: str
    template: str
    context: Callable[[Any, Any], dict | None]
    order: int = 50
    cache_key: Callable[[], str] | None = None


_sections: list[Section] = []


def register(section: Section) -> None:
    if all((s.page, s.template) != (section.page, section.template) for s in _sections):
        _sections.append(section)
        _sections.sort(key=lambda s: s.order)


def sections_for(page: str, request, obj) -> list[tuple[str, dict]]:
    """The (template, context) of each section that has something to show for `obj`."""
    shown = []
    for section in _sections:
        if section.page != page:
            continue
        context = section.context(request, obj)
        if context:
            shown.append((section.template, context))
    return shown


def cache_key_for(page: str) -> str:
    """The part of a cached page's key that moves on when a section's content may have changed."""
    return ".".join(s.cache_key() for s in _sections if s.page == page and s.cache_key is not None)
