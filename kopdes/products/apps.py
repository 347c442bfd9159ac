from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "kopdes.products"
    label = "products"
    verbose_name = "Products"

    def ready(self) -> None:
        from . import policies_catalog, policies_curation, policies_licences  # noqa: F401  (register rules)
