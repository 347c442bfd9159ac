"""The seller's shop pages under /koperasi/<slug>/jualan/ (see views_listings)."""

from django.urls import path

from . import views_listings as views

urlpatterns = [
    path("jualan/", views.seller_home, name="seller_home"),
    path("koperasi/<slug:slug>/jualan/", views.listings, name="listings"),
    path("koperasi/<slug:slug>/jualan/<int:pk>/", views.listing_edit, name="listing_edit"),
    path("koperasi/<slug:slug>/jualan/<int:pk>/stok/", views.listing_stock, name="listing_stock"),
    path("koperasi/<slug:slug>/jualan/tempat/", views.locations, name="locations"),
    path("koperasi/<slug:slug>/jualan/pengantaran/", views.zones, name="zones"),
    path("koperasi/<slug:slug>/jualan/pengaturan/", views.seller_settings, name="seller_settings"),
    path("koperasi/<slug:slug>/jualan/katalog.<str:fmt>", views.feed, name="feed"),
]
