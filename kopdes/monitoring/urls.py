from django.urls import path

from . import views, views_dashboard, views_map, views_reports

app_name = "monitoring"
urlpatterns = [
    path("cakupan/", views.coverage, name="coverage"),
    path("cakupan/excel", views.coverage_excel, name="excel_nation"),
    path("cakupan/<str:code>/", views.coverage, name="region"),
    path("cakupan/<str:code>/excel", views.coverage_excel, name="excel"),
    path("cakupan/<str:code>/tanpa-koperasi/", views.villages_without, name="without"),
    path("dasbor/", views_dashboard.dashboard, name="dashboard"),
    path("dasbor/saya/", views_dashboard.dashboard_mine, name="dashboard_mine"),
    path("dasbor/excel", views_dashboard.dashboard_excel, name="dashboard_excel_nation"),
    path("dasbor/<str:code>/", views_dashboard.dashboard, name="dashboard_region"),
    path("dasbor/<str:code>/excel", views_dashboard.dashboard_excel, name="dashboard_excel"),
    path("peta/", views_map.region_map, name="map"),
    path("peta/titik.geojson", views_map.region_map_geojson, name="map_geojson_nation"),
    path("peta/<str:code>/", views_map.region_map, name="map_region"),
    path("peta/<str:code>/titik.geojson", views_map.region_map_geojson, name="map_geojson"),
    path("laporan/", views_reports.reports, name="reports"),
    path("laporan/berkas/<int:pk>/progres/", views_reports.report_progress, name="report_progress"),
    path("laporan/berkas/<int:pk>/laporan.pdf", views_reports.report_pdf, name="report_pdf"),
    path("laporan/berkas/<int:pk>/laporan.xlsx", views_reports.report_xlsx, name="report_xlsx"),
    path("laporan/nasional/<str:month>/", views_reports.report, name="report_nation"),
    path("laporan/<str:code>/<str:month>/", views_reports.report, name="report"),
]
