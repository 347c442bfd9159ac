"""The catalog's cache generation moves on for every worker, whatever the cache backend."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from kopdes.core.models import Generation
from kopdes.market.catalog_cache import NAME, catalog_generation, catalog_touch

pytestmark = pytest.mark.django_db

LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gen-test"}}


def test_without_a_shared_cache_every_worker_reads_the_generation_from_the_database(
    settings, django_capture_on_commit_callbacks
):
    settings.CACHES = LOCAL
    before = catalog_generation()

    with django_capture_on_commit_callbacks(execute=True):
        catalog_touch()
    cache.clear()  # another worker: its memory knows nothing of the change

    assert catalog_generation() == before + 1
    assert Generation.objects.get(name=NAME).value == before + 1


def test_without_a_shared_cache_a_rolled_back_change_moves_nothing(
    settings, django_capture_on_commit_callbacks
):
    settings.CACHES = LOCAL
    before = catalog_generation()

    with django_capture_on_commit_callbacks(execute=False):
        catalog_touch()

    assert catalog_generation() == before


def test_with_a_shared_cache_the_generation_is_a_counter_there(
    monkeypatch, django_capture_on_commit_callbacks
):
    # Redis in production; here the tests' own cache stands in for it.
    monkeypatch.setattr("kopdes.core.generations.cache_is_shared", lambda: True)
    before = catalog_generation()

    with django_capture_on_commit_callbacks(execute=True):
        catalog_touch()

    assert catalog_generation() == before + 1
    assert not Generation.objects.exists()
