"""Navigation entries of the seller's side (registered by MarketConfig.ready): "Orders" in the
menu for a cooperative's officers, and a home panel with the orders waiting for them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kopdes.accounts.choices import OFFICER_ROLES
from kopdes.accounts.scopes import org_ids

from .choices import OrderStatus

# Statuses in which an order waits for the cooperative: its payment, its preparing, its shipping.
WAITING = (OrderStatus.CREATED, OrderStatus.PAID, OrderStatus.PROCESSING)
PANEL_COOPERATIVES = 5  # an officer of more cooperatives than this sees the first few


def is_officer(user) -> bool:
    return bool(org_ids(user, *OFFICER_ROLES))


def waiting_panel(user) -> dict | None:
    """The officer's cooperatives with orders waiting: one query for the cooperatives and one
    count per cooperative (at most PANEL_COOPERATIVES)."""
    ids = org_ids(user, *OFFICER_ROLES)
    if not ids:
        return None
    from kopdes.cooperatives.models import Cooperative

    from .selectors_orders import order_board_counts

    rows = []
    for cooperative in Cooperative.objects.filter(organization_id__in=ids).order_by("name")[
        :PANEL_COOPERATIVES
    ]:
        counts = order_board_counts(user=user, cooperative=cooperative)
        waiting = [(status, OrderStatus(status).label, counts.get(status, 0)) for status in WAITING]
        if any(n for _status, _label, n in waiting):
            rows.append({"cooperative": cooperative, "waiting": waiting})
    return {"rows": rows} if rows else None


def register() -> None:
    from kopdes.core.nav import NavItem
    from kopdes.core.nav import register as register_nav
    from kopdes.core.panels import Panel
    from kopdes.core.panels import register as register_panel

    register_nav(NavItem(_("Orders"), "market:order_boards", is_officer, order=43))
    register_panel(Panel("market/seller/_home_panel.html", waiting_panel, order=20))
