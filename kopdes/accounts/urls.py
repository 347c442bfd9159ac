from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", views.LogoutView.as_view(), name="logout"),
    path("daftar/", views.register, name="register"),
    path("akun/", views.profile, name="profile"),
    path("pengguna/", views.user_list, name="users"),
    path("pengguna/baru/", views.user_create, name="user_create"),
    path("pengguna/<int:pk>/", views.user_detail, name="user_detail"),
    path("organisasi/", views.organization_list, name="organizations"),
    path("audit/", views.audit_list, name="audit"),
]
