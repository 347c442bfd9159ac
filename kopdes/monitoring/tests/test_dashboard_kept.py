"""The nation's, a province's and a regency's dashboards are kept in each worker's memory under
the rollups' generation: whatever changes the rollups (a fold, a rebuild, a cooperative's
measures) or the targets read beside them shows on the next read, in every worker."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.visitor_cache import kept_objects
from kopdes.market.tests.factories import JAHAB, make_listing
from kopdes.monitoring.facts import rollups_generation
from kopdes.monitoring.selectors_dashboard import dashboard_get
from kopdes.monitoring.services import rollups_fold, rollups_rebuild
from kopdes.products.services_licences import target_set
from kopdes.regions.models import Region

from .test_dashboard_figures import buy, figures

pytestmark = pytest.mark.django_db

LOCAL = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kept-test"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kept-pages"},
}


@pytest.fixture(params=["database", "shared cache"])
def generations(request, settings, monkeypatch):
    """Each worker with its own memory (the generation a database row), or Redis (a counter there;
    the tests' own cache stands in for it)."""
    if request.param == "database":
        # A deployment without Redis: local caches, and the tasks queued in the database (RQ's
        # client is the Redis cache's, settings.RQ_QUEUES).
        settings.CACHES = LOCAL
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        kept_objects().clear()  # these caches outlive a test; the database row does not
    else:
        monkeypatch.setattr("kopdes.core.generations.cache_is_shared", lambda: True)
    return request.param


def orders_of(code: str) -> int:
    return figures(dashboard_get(user=None, code=code))["orders_created"].value


@pytest.mark.parametrize("code", ["", "64", "64.02"])
def test_a_kept_dashboard_shows_a_new_order_once_it_is_folded(
    regions, generations, django_capture_on_commit_callbacks, code
):
    listing = make_listing(JAHAB, stock=10)
    assert orders_of(code) == 0
    with django_capture_on_commit_callbacks(execute=True):
        buy(listing, 1, "kept-0001")
    assert orders_of(code) == 0  # placed, not folded yet: the rollups have not moved

    before = rollups_generation()
    with django_capture_on_commit_callbacks(execute=True):
        rollups_fold()
    if generations == "database":
        cache.clear()  # another worker's memory: only the database row tells it
    assert rollups_generation() == before + 1
    assert orders_of(code) == 1


def test_a_fold_or_a_change_rolled_back_moves_nothing(
    regions, generations, django_capture_on_commit_callbacks
):
    make_listing(JAHAB, stock=10)
    before = rollups_generation()
    with django_capture_on_commit_callbacks(execute=False):
        rollups_fold()  # nothing pending either
    assert rollups_generation() == before


def test_a_rebuild_and_a_new_cooperative_move_the_generation(
    regions, generations, django_capture_on_commit_callbacks
):
    before = rollups_generation()
    with django_capture_on_commit_callbacks(execute=True):
        make_listing(JAHAB, stock=10)  # registers a cooperative: its measures reach the rollups
    assert rollups_generation() > before
    assert figures(dashboard_get(user=None, code="64"))["cooperatives"].value == 1

    before = rollups_generation()
    with django_capture_on_commit_callbacks(execute=True):
        rollups_rebuild()
    assert rollups_generation() == before + 1


def test_a_new_target_shows_on_the_kept_board(regions, generations, django_capture_on_commit_callbacks):
    province = Region.objects.get(code="64")
    assert figures(dashboard_get(user=None, code="64.02"))["featured"].target == 2
    with django_capture_on_commit_callbacks(execute=True):
        target_set(actor=person(Role.ADMIN_NATIONAL), province=province, per_regency_per_month=5)
    assert figures(dashboard_get(user=None, code="64.02"))["featured"].target == 5


def test_each_language_and_month_is_kept_apart(regions, generations):
    from django.utils import translation

    with translation.override("id"):
        board_id = [row.label for row in dashboard_get(user=None, code="64.02").board]
    with translation.override("en"):
        board_en = [row.label for row in dashboard_get(user=None, code="64.02").board]
    assert board_id[-1].startswith(
        ("Nov", "Des", "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt")
    )
    assert board_id != board_en  # month names: "Mei" and "May", "Agu" and "Aug", ... at least one differs
    this = dashboard_get(user=None, code="64.02")
    earlier = dashboard_get(user=None, code="64.02", month=this.previous_month)
    assert earlier.month == this.previous_month != this.month


@pytest.mark.parametrize(("code", "queries"), [("64.02.06", 4), (JAHAB, 3)])
def test_districts_and_villages_are_read_every_time(
    regions, django_assert_num_queries, settings, code, queries
):
    settings.CACHES = LOCAL
    kept_objects().clear()
    dashboard_get(user=None, code=code)
    with django_assert_num_queries(queries):
        dashboard_get(user=None, code=code)
