from django.urls import path

from . import views_cart as views

urlpatterns = [
    path("keranjang/tambah/", views.cart_add, name="cart_add"),
]
