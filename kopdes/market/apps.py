from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "kopdes.market"
    label = "market"
    verbose_name = "Market"

    def ready(self) -> None:
        from . import (  # noqa: F401  importing registers the rules and listeners
            nav_cart,
            nav_catalog,
            nav_display,
            nav_listings,
            nav_seller,
            policies,
            subscribers,
            views_cart,
        )

        for area in (nav_catalog, nav_cart, nav_seller, nav_listings, nav_display):
            area.register()

        from kopdes.core import demo

        from .demo import demo_market_load
        from .demo_display import demo_display_load

        demo.register(40, "market", demo_market_load)
        demo.register(45, "display points", demo_display_load)
