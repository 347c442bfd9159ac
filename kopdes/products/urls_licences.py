"""URLs of the licences pages: licences and "ready for market", featured products and boards."""

from django.urls import path

from . import views_licences as views

urlpatterns = [
    path("produk/<int:pk>/izin/", views.licences, name="licences"),
    path("produk/<int:pk>/siap-pasar/", views.mark_ready, name="mark_ready"),
    path("produk/izin/<int:pk>/dokumen/", views.licence_document, name="licence_document"),
    path("produk/izin/jatuh-tempo/", views.licences_due, name="licences_due"),
    path("unggulan/provinsi/<str:code>/", views.board_province, name="board_province"),
    path("unggulan/kabupaten/<str:code>/", views.board_regency, name="board_regency"),
]
