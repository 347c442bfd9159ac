"""URLs of the seller's side of orders: the order board, an order's page and its actions, the
settlement record."""

from django.urls import path

from . import views_seller as views

urlpatterns = [
    path("koperasi/pesanan/", views.order_boards, name="order_boards"),
    path("koperasi/<slug:slug>/pesanan/", views.order_board, name="order_board"),
    path("koperasi/<slug:slug>/pesanan/<str:number>/", views.seller_order, name="seller_order"),
    path(
        "koperasi/<slug:slug>/pesanan/<str:number>/langkah/",
        views.seller_order_step,
        name="seller_order_step",
    ),
    path(
        "koperasi/<slug:slug>/pesanan/<str:number>/ongkir/",
        views.seller_order_quote,
        name="seller_order_quote",
    ),
    path(
        "koperasi/<slug:slug>/pesanan/<str:number>/pembayaran/",
        views.seller_payment_confirm,
        name="seller_payment_confirm",
    ),
    path(
        "koperasi/<slug:slug>/pengembalian-dana/<int:pk>/selesai/",
        views.seller_refund_done,
        name="seller_refund_done",
    ),
    path("koperasi/<slug:slug>/penyelesaian/", views.settlement, name="settlement"),
    path(
        "koperasi/<slug:slug>/penyelesaian/unduh.<str:fmt>",
        views.settlement_export,
        name="settlement_export",
    ),
]
