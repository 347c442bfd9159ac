"""URLs of the registry pages (see urls.py)."""

from django.urls import path

from . import views_registry as views

urlpatterns = [
    path("koperasi/", views.cooperative_list, name="list"),
    path("koperasi/baru/", views.cooperative_create, name="create"),
    path("koperasi/keanggotaan/", views.my_memberships, name="my_memberships"),
    path("koperasi/<int:pk>/", views.cooperative_detail, name="detail"),
    path("koperasi/<int:pk>/ubah/", views.cooperative_edit, name="edit"),
    path("koperasi/<int:pk>/pengurus/", views.officers, name="officers"),
    path("koperasi/<int:pk>/anggota/", views.members, name="members"),
    path("koperasi/<int:pk>/unit/", views.units, name="units"),
    path("koperasi/anggota/<int:pk>/", views.member_detail, name="member"),
    path("koperasi/unit/<int:pk>/", views.unit_detail, name="unit"),
    path("koperasi/tahap/<int:pk>/bukti/", views.stage_evidence, name="stage_evidence"),
]
