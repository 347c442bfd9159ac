from django.urls import path

from . import views_display as views

urlpatterns = [
    path("titik-pajang/", views.display_list, name="display_list"),
    path("titik-pajang/baru/", views.display_create, name="display_create"),
    path("titik-pajang/koperasi/", views.display_cooperative, name="display_cooperative"),
    path("titik-pajang/setelmen/<int:pk>/", views.display_statement, name="display_statement"),
    path("titik-pajang/setelmen/<int:pk>/xlsx/", views.display_statement_xlsx, name="display_statement_xlsx"),
    path("titik-pajang/<slug:slug>/", views.display_public, name="display_point"),
    path("titik-pajang/<slug:slug>/kelola/", views.display_manage, name="display_manage"),
    path("titik-pajang/<slug:slug>/ubah/", views.display_edit, name="display_edit"),
    path("titik-pajang/<slug:slug>/tutup-buka/", views.display_open_close, name="display_open_close"),
    path("titik-pajang/<slug:slug>/kasir/", views.display_cashier, name="display_cashier"),
    path("titik-pajang/<slug:slug>/setelmen/", views.display_settlements, name="display_settlements"),
]
