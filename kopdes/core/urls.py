from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("bahasa/<str:code>/", views.switch_language, name="language"),
    path("media/<path:path>", views.public_media, name="media"),
]
