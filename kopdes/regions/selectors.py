"""Reads of the region tree."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from kopdes.core.errors import NotFound

from .codes import normalize_code
from .models import Region
from .services import search_key

_LIST_FIELDS = ("code", "name", "level", "kind", "postal_code", "child_count", "village_count")


def region_get(*, code: str) -> Region:
    normal = normalize_code(code)
    try:
        return Region.objects.get(code=normal) if normal else _missing(code)
    except Region.DoesNotExist:
        return _missing(code)


def _missing(code: str):
    raise NotFound(_unknown_message(code), code="unknown_region")


def _unknown_message(code: str):
    from django.utils.translation import gettext

    return gettext("Unknown region code: %(code)s") % {"code": code}


def region_children(*, parent: Region | None) -> QuerySet[Region]:
    qs = Region.objects.only(*_LIST_FIELDS)
    return qs.filter(parent=parent) if parent else qs.filter(level=1)


def region_ancestors(*, region: Region) -> QuerySet[Region]:
    return (
        Region.objects.filter(code__in=region.ancestor_codes()).only("code", "name", "level").order_by("code")
    )


TREE_VERSION_KEY = "regions:tree-version"
# How long a process trusts the version it read. The tree changes only when the regions are loaded
# again (an officer's command), and every page naming regions asked the shared cache for the
# version: a Redis round trip, a tenth of the worker's time for the catalog rendered afresh (ADR
# 14). A load forgets it at once in its own process; other processes see it within these seconds
# (without a shared cache, region pages already keep their hour, ADR 8).
TREE_VERSION_TRUSTED = 5.0
_version_read: list = [-math.inf, 0]  # when (time.monotonic()), and what


def tree_version() -> int:
    """Changes whenever load_regions changes the tree: part of every cached region fragment's key."""
    now = time.monotonic()
    if now - _version_read[0] >= TREE_VERSION_TRUSTED:
        _version_read[:] = [now, cache.get(TREE_VERSION_KEY, 0)]
    return int(_version_read[1])


def forget_tree_version() -> None:
    """Read the version from the cache again at the next `tree_version()`."""
    _version_read[0] = -math.inf


def region_search(
    *, query: str, level: int | None = None, within: str | None = None, limit: int = 20
) -> QuerySet[Region]:
    """Regions whose name contains the query; exact and prefix matches and larger regions first."""
    key = search_key(query)
    if not key:
        return Region.objects.none()
    qs = Region.objects.filter(search_name__contains=key)
    if level:
        qs = qs.filter(level=level)
    if within:
        qs = qs.filter(code__startswith=within + ".")
    rank = Case(
        When(search_name=key, then=Value(0)),
        When(search_name__startswith=key, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", "level", "code")[:limit]


@dataclass
class PickerLevel:
    level: int
    options: list[tuple[str, str]]
    selected: str


def region_picker_levels(*, code: str | None, max_level: int = 4) -> list[PickerLevel]:
    """The selects of the cascading picker for a chosen code: each level down to one below it."""
    normal = normalize_code(code or "") or ""
    parts = normal.split(".") if normal else []
    chosen = [".".join(parts[:i]) for i in range(1, len(parts) + 1)][:max_level]
    parents: list[str | None] = [None, *chosen][:max_level]
    condition = Q(level=1)
    if chosen:
        condition |= Q(parent_id__in=[p for p in parents if p])
    found = Region.objects.filter(condition).only("code", "name", "parent_id").order_by("name")
    by_parent: dict[str | None, list[tuple[str, str]]] = {}
    for region in found:
        by_parent.setdefault(region.parent_id, []).append((region.code, region.name))
    levels = []
    for index, parent in enumerate(parents):
        options = by_parent.get(parent, [])
        if parent is not None and not options:
            break
        selected = chosen[index] if index < len(chosen) else ""
        levels.append(PickerLevel(level=index + 1, options=options, selected=selected))
    return levels
