"""Navigation entries of this area, and its sections on the product page and the microsite
(registered by MarketConfig.ready)."""

from django.utils.translation import gettext_lazy as _


def _serves_a_cooperative(user) -> bool:
    from kopdes.accounts.choices import OFFICER_ROLES
    from kopdes.accounts.scopes import org_ids

    return bool(user is not None and user.is_authenticated and org_ids(user, *OFFICER_ROLES))


def _generation() -> str:
    from .catalog_cache import catalog_generation

    return f"m{catalog_generation()}"


def register() -> None:
    from kopdes.core import sections
    from kopdes.core.nav import NavItem
    from kopdes.core.nav import register as register_nav

    from . import views_listings

    register_nav(NavItem(_("My shop"), "market:seller_home", _serves_a_cooperative, order=42))
    sections.register(
        sections.Section(
            page=sections.PRODUCT,
            template="market/storefront/_product.html",
            context=views_listings.product_section,
            cache_key=_generation,
        )
    )
    sections.register(
        sections.Section(
            page=sections.COOPERATIVE,
            template="market/storefront/_cooperative.html",
            context=views_listings.cooperative_section,
            cache_key=_generation,
        )
    )
