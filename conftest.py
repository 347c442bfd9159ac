"""Test-suite setup shared by every app.

The test database gets the real national region tree once per session (loaded by the same
service as `manage.py load_regions`), so every test works on real Kemendagri codes.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from kopdes.core.sqlite import audit_purge_allowed
from kopdes.core.visitor_cache import kept_objects, page_cache

# The browser fixtures (one Chromium per session, phone-sized pages) are shared by every
# browser test; declared here once so that pytest starts a single Playwright.
pytest.register_assert_rewrite("kopdes.core.tests.browser")
pytest_plugins = ["kopdes.core.tests.browser"]


def pytest_collection_modifyitems(items):
    # Browser tests flush the database when they end (they need a live server); run them last
    # so that the region tree loaded for the session stays in place for every other test.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def _allow_test_flush():
    # The audit trail refuses DELETE; the test runner's flush between transactional tests is
    # the one exception (see kopdes/core/sqlite.py and core migration 0002).
    with audit_purge_allowed():
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from kopdes.regions.services import regions_load

    with django_db_blocker.unblock():
        regions_load()


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    page_cache().clear()
    kept_objects().clear()
    yield


@pytest.fixture
def product_defaults(db):
    """The default curation rubric and licence rules (migration data), restored after a flush."""
    import importlib

    from django.apps import apps

    from kopdes.products.models import LicenceRequirement, Rubric

    if not Rubric.objects.exists() or not LicenceRequirement.objects.exists():
        seed = importlib.import_module("kopdes.products.migrations.0002_rubric_and_licence_rules")
        seed.backward(apps, None)
        seed.forward(apps, None)


@pytest.fixture
def regions(db):
    """The real region tree, reloaded if an earlier transactional test flushed it."""
    from kopdes.regions.models import Region
    from kopdes.regions.services import regions_load

    if not Region.objects.filter(code="53").exists():
        regions_load()
    return Region.objects
