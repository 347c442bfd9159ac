"""The products app's pages, one module per area: catalog (potential, producers, products, public
pages), curation, and licences with featured products and target boards."""

from .urls_catalog import urlpatterns as catalog_urls
from .urls_curation import urlpatterns as curation_urls
from .urls_licences import urlpatterns as licence_urls

app_name = "products"
urlpatterns = [*catalog_urls, *curation_urls, *licence_urls]
