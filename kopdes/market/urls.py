"""The market's pages, one module per area: catalog and search, cart/checkout/buyer's orders,
the seller's order board and payments, listings and stock, display points."""

from .urls_cart import urlpatterns as cart_urls
from .urls_catalog import urlpatterns as catalog_urls
from .urls_display import urlpatterns as display_urls
from .urls_listings import urlpatterns as listing_urls
from .urls_seller import urlpatterns as seller_urls

app_name = "market"
urlpatterns = [*catalog_urls, *cart_urls, *seller_urls, *listing_urls, *display_urls]
