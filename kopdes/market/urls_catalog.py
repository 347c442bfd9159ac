"""The public catalog (included at the site root under the "market" namespace)."""

from django.urls import path

from . import views_catalog as views

urlpatterns = [
    path("pasar/", views.catalog, name="catalog"),
]
