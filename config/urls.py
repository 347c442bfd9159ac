from django.urls import include, path
from django.views.i18n import set_language

from .api import api

handler400 = "kopdes.core.views.error_400"
handler403 = "kopdes.core.views.error_403"
handler404 = "kopdes.core.views.error_404"
handler500 = "kopdes.core.views.error_500"

urlpatterns = [
    path("", include("kopdes.core.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("wilayah/", include("kopdes.regions.urls")),
    path("", include("kopdes.accounts.urls")),
]
