from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("", views.region_index, name="index"),
    path("cari/", views.region_search_view, name="search"),
    path("pilih/", views.region_picker, name="picker"),
    path("<str:code>/", views.region_detail, name="detail"),
]
