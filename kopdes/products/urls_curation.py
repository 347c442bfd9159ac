"""URLs of the curation pages."""

from django.urls import path

from . import views_curation as views

urlpatterns: list = [
    path("kurasi/", views.queue, name="curation_queue"),
    path("kurasi/ronde/<int:pk>/", views.round_detail, name="curation_round"),
    path("kurasi/ronde/<int:pk>/nilai/", views.score, name="curation_score"),
    path("produk/<int:pk>/kurasi/", views.history, name="curation_history"),
    path("produk/<int:pk>/kurasi/ajukan/", views.submit, name="curation_submit"),
]
