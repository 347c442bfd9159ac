"""The catalog's cache generation: every change a visitor could see (price, stock, a listing on or
off sale) moves it on, so cached catalog pages are never stale (`kopdes.core.generations`)."""

from __future__ import annotations

from django.db import transaction

from kopdes.core.generations import generation, generation_touch

NAME = "market:catalog-generation"


def catalog_generation() -> int:
    return generation(NAME)


def catalog_touch(later=transaction.on_commit) -> None:
    """Move the generation on once the current transaction commits (`later`: as
    `generation_touch`'s)."""
    generation_touch(NAME, later=later)
