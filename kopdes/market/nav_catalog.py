"""Navigation entry of the catalog, and the listeners that keep the search's read side in step
(registered by MarketConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_TEXT_FIELDS = {"search_name", "search_text"}


def _everyone(user) -> bool:
    return True


def listing_saved(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """New words of a listing join the suggestion vocabulary."""
    if raw or (update_fields is not None and not _TEXT_FIELDS & set(update_fields)):
        return
    from .search import vocabulary_add

    vocabulary_add(instance.search_name, instance.search_text)


def schema_ensure(sender, using="default", **kwargs) -> None:
    """After every migrate (and test flush): SQLite loses the search triggers when Django rebuilds
    the listing table to alter it; put them back."""
    from django.db import connections

    from .search import search_schema_ensure

    connection = connections[using]
    if "market_searchterm" in connection.introspection.table_names():  # migration 0002 applied
        search_schema_ensure(connection)


def register() -> None:
    from django.apps import apps
    from django.db.models.signals import post_migrate, post_save

    from kopdes.core.nav import NavItem
    from kopdes.core.nav import register as register_nav

    register_nav(NavItem(_("Marketplace"), "market:catalog", _everyone, order=39))
    post_save.connect(listing_saved, sender="market.Listing", dispatch_uid="market.search_vocabulary")
    post_migrate.connect(
        schema_ensure, sender=apps.get_app_config("market"), dispatch_uid="market.search_schema"
    )
