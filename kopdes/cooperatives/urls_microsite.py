"""URLs of the microsite pages (see urls.py): the short, stable public address of a cooperative."""

from django.urls import path

from . import views_microsite

urlpatterns: list = [
    path("k/<slug:slug>/", views_microsite.microsite, name="microsite"),
    path("k/<slug:slug>/qr.svg", views_microsite.microsite_qr, name="microsite_qr"),
]
