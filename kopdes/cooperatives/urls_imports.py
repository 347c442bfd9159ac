"""URLs of the imports pages (see urls.py)."""

from django.urls import path

from . import views_imports as views

urlpatterns = [
    path("koperasi/impor/", views.import_list, name="import_list"),
    path("koperasi/impor/baru/", views.import_start, name="import_start"),
    path("koperasi/impor/<int:pk>/", views.import_detail, name="import_detail"),
    path("koperasi/impor/<int:pk>/progres/", views.import_progress, name="import_progress"),
    path("koperasi/impor/<int:pk>/masalah.xlsx", views.import_errors, name="import_errors"),
    path("koperasi/impor/templat/<slug:kind>.xlsx", views.import_template, name="import_template"),
]
