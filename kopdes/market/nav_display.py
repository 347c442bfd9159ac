"""Navigation entries of this area (registered by MarketConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from kopdes.core.nav import NavItem
from kopdes.core.nav import register as nav_register
from kopdes.core.policies import can


def register() -> None:
    nav_register(NavItem(_("Display points"), "market:display_list", lambda user: True, order=47))
    nav_register(
        NavItem(
            _("Goods on display"),
            "market:display_cooperative",
            lambda user: can(user, "market.display.cooperative", None),
            order=48,
        )
    )
