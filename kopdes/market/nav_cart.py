"""Navigation entries of this area (registered by MarketConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from kopdes.core.nav import NavItem
from kopdes.core.nav import register as nav_register


def _logged_in(user) -> bool:
    return user is not None and user.is_authenticated


def register() -> None:
    nav_register(NavItem(_("My orders"), "market:my_orders", _logged_in, order=46))
