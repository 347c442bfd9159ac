from django.urls import include, path

from .api import api

handler400 = "kopdes.core.views.error_400"
handler403 = "kopdes.core.views.error_403"
handler404 = "kopdes.core.views.error_404"
handler500 = "kopdes.core.views.error_500"

urlpatterns = [
    path("", include("kopdes.core.urls")),
    path("api/v1/", api.urls),
    path("wilayah/", include("kopdes.regions.urls")),
    path("", include("kopdes.accounts.urls")),
    path("", include("kopdes.cooperatives.urls")),
    path("", include("kopdes.monitoring.urls")),
    path("", include("kopdes.products.urls")),
    path("", include("kopdes.market.urls")),
]
