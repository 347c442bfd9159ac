"""URLs of the catalog pages (included at the site root under the "products" namespace)."""

from django.urls import path

from . import views_catalog as views

urlpatterns = [
    path("potensi/kabupaten/<str:code>/", views.potential_regency, name="potential_regency"),
    path("potensi/<str:code>/", views.potential_village, name="potential_village"),
    path("produk/", views.public_list, name="public_list"),
    path("produk/kelola/", views.product_manage, name="manage"),
    path("produk/baru/", views.product_create, name="create"),
    path("produk/produsen/", views.producer_list, name="producers"),
    path("produk/<int:pk>/ubah/", views.product_edit, name="edit"),
    path("produk/<slug:slug>/", views.public, name="public"),
]
