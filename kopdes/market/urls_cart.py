from django.urls import path

from . import views_cart as views

urlpatterns = [
    path("keranjang/", views.cart_view, name="cart"),
    path("keranjang/tambah/", views.cart_add, name="cart_add"),
    path("keranjang/ubah/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/kodepos/", views.checkout_postal_code, name="checkout_postal_code"),
    path("checkout/selesai/<str:key>/", views.checkout_done, name="checkout_done"),
    path("pesanan/saya/", views.my_orders, name="my_orders"),
    path("pesanan/<str:number>/<str:token>/", views.order_private, name="order_private"),
    path("pesanan/<str:number>/<str:token>/aksi/", views.order_act, name="order_act"),
    path("pesanan/<str:number>/<str:token>/ulasan/<int:line_id>/", views.order_review, name="order_review"),
]
