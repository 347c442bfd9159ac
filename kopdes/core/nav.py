"""Navigation by role: apps register their entries; the shell shows those the user may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.urls import reverse
from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class NavItem:
    label: StrOrPromise
    url_name: str
    visible: Callable[[object], bool]
    order: int = 50


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in _items):
        _items.append(item)
        _items.sort(key=lambda i: i.order)


@lru_cache(maxsize=128)
def _url(name: str) -> str:
    return reverse(name)


def items_for(user) -> list[tuple[str, str]]:
    return [(str(item.label), _url(item.url_name)) for item in _items if item.visible(user)]
