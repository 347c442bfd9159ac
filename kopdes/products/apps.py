from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "kopdes.products"
    label = "products"
    verbose_name = "Products"

    def ready(self) -> None:
        from . import policies_catalog, policies_curation, policies_licences  # importing registers the rules

        policies_licences.register_nav()  # licences due soon, for admins and officers
        policies_curation.register_nav()  # the curator's queue
        policies_catalog.register_nav()  # public products, and "My products" for makers

        from kopdes.core import demo

        from .demo import demo_products_load

        demo.register(30, "products", demo_products_load)
