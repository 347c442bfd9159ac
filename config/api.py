"""The Kopdes API root: /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from ninja import NinjaAPI

from kopdes.accounts.api import router as accounts_router
from kopdes.accounts.api_auth import API_AUTH
from kopdes.cooperatives.api import router as cooperatives_router
from kopdes.cooperatives.api_imports import router as imports_router
from kopdes.core.api import install_error_handlers
from kopdes.market.api_catalog import router as market_catalog_router
from kopdes.market.api_display import router as display_router
from kopdes.market.api_orders import router as market_orders_router
from kopdes.monitoring.api import router as coverage_router
from kopdes.monitoring.api_map import router as map_router
from kopdes.products.api_catalog import router as products_router
from kopdes.products.api_curation import router as curation_router
from kopdes.products.api_licences import router as licences_router
from kopdes.regions.api import router as regions_router

api = NinjaAPI(
    title="Kopdes API",
    version="1",
    description=(
        "The API of Kopdes, the platform of Indonesia's village cooperatives. Every capability "
        "of the web interface, behind the same policies. Authenticate with a session cookie or "
        "`Authorization: Bearer <token>` (tokens are created on the account page). Errors always "
        'come as {"error": {"code", "message", "fields"}}.'
    ),
    urls_namespace="api",
    auth=API_AUTH,
)
install_error_handlers(api)
# The market's routes first: Django tries an API address against each route in turn, and the
# checkout and the cart are the busiest (about 100 routes tried before them otherwise).
api.add_router("/market", market_orders_router)
api.add_router("/market", market_catalog_router)
api.add_router("/regions", regions_router)
api.add_router("/", accounts_router)
api.add_router("/cooperatives", cooperatives_router)
api.add_router("/imports", imports_router)
api.add_router("/coverage", map_router)  # before coverage: its /{code} would catch map.geojson
api.add_router("/coverage", coverage_router)
api.add_router("/products", products_router)
api.add_router("/curation", curation_router)
api.add_router("/licences", licences_router)
api.add_router("/display-points", display_router)
