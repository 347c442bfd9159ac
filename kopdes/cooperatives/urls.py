"""The cooperative app's pages, one module per area: the registry, imports and the microsite."""

from .urls_imports import urlpatterns as import_urls
from .urls_microsite import urlpatterns as microsite_urls
from .urls_registry import urlpatterns as registry_urls

app_name = "cooperatives"
urlpatterns = [*registry_urls, *import_urls, *microsite_urls]
