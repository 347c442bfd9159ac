from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("cakupan/", views.coverage, name="coverage"),
    path("cakupan/excel", views.coverage_excel, name="excel_nation"),
    path("cakupan/<str:code>/", views.coverage, name="region"),
    path("cakupan/<str:code>/excel", views.coverage_excel, name="excel"),
    path("cakupan/<str:code>/tanpa-koperasi/", views.villages_without, name="without"),
]
