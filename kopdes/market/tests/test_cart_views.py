"""The buyer's cart and checkout pages: add, change, remove, check out (idempotent), and every
refusal with a clear message and nothing half-saved."""

from __future__ import annotations

import pytest

from kopdes.accounts.tests.factories import person
from kopdes.market.choices import DeliveryMethod, OrderStatus, PaymentMethod
from kopdes.market.models import (
    Cart,
    CartItem,
    Checkout,
    Listing,
    ListingTotals,
    Order,
    SellerSettings,
    StockLevel,
)
from kopdes.market.services_stock import listing_update

from .factories import JAHAB, MASABEWA, make_listing, officer, outlet

pytestmark = pytest.mark.django_db

CART = "/keranjang/"
CHECKOUT = "/checkout/"


def add(client, listing, quantity=1):
    return client.post("/keranjang/tambah/", {"listing": listing.pk, "quantity": quantity, "next": CART})


def checkout_data(client, *listings, method=DeliveryMethod.PICKUP, payment=PaymentMethod.QRIS, **fields):
    """What a buyer fills in, with the idempotency key the form was shown with: the same delivery
    and payment for each cooperative (`fields` can set one cooperative's own)."""
    page = client.get(CHECKOUT)
    assert page.status_code == 200
    data = {
        "idempotency_key": page.context["form"].initial["idempotency_key"],
        "contact_name": "Maria Goreti",
        "contact_phone": "0812-3456-7890",
        "contact_email": "",
        "address__1": "64",
        "address__2": "64.02",
        "address__3": "64.02.06",
        "address__4": JAHAB,
        "postal_code": "",
        "address_line": "Jl. Mangkurawang 12",
    }
    for listing in listings:
        value = f"pickup-{outlet(listing.cooperative).pk}" if method == DeliveryMethod.PICKUP else method
        data[f"delivery_{listing.cooperative_id}"] = value
        data[f"payment_{listing.cooperative_id}"] = payment
    data.update(fields)
    return data


# --- Cart -----------------------------------------------------------------------------------------


def test_a_visitor_without_a_session_gets_no_cart_and_no_session(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(CART)
    assert response.status_code == 200
    assert "Your cart is empty." in response.content.decode()
    assert "sessionid" not in response.cookies
    assert not Cart.objects.exists()


def test_adding_to_the_cart_says_so_and_counts_in_the_header(client):
    listing = make_listing(name="Keripik Pisang", price=25_000)

    response = add(client, listing, 2)

    assert response.status_code == 302 and response["Location"] == CART
    page = client.get(CART)
    html = page.content.decode()
    assert "Added to cart: Keripik Pisang (2 in your cart)." in html
    assert 'id="cart-link" data-count="1"' in html
    assert "Rp50.000" in html
    assert CartItem.objects.get().quantity == 2


def test_adding_more_than_the_stock_is_refused_with_a_message(client):
    listing = make_listing(stock=3)

    add(client, listing, 5)

    html = client.get(CART).content.decode()
    assert "Only 3 left" in html
    assert not CartItem.objects.exists()


def test_adding_below_the_minimum_is_refused(client):
    listing = make_listing(min_order=5, name="Beras Organik")

    add(client, listing, 2)

    assert "The minimum order for Beras Organik is 5." in client.get(CART).content.decode()


def test_an_unknown_listing_cannot_be_added(client):
    response = client.post("/keranjang/tambah/", {"listing": "999999", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert "This product is not for sale." in client.get(CART).content.decode()


def test_the_cart_groups_items_by_cooperative_with_subtotals(client):
    kukar = make_listing(JAHAB, price=10_000, name="Amplang")
    sikka = make_listing(MASABEWA, price=40_000, name="Tenun Ikat")
    add(client, kukar, 3)
    add(client, sikka, 1)

    response = client.get(CART)

    groups = response.context["groups"]
    assert [g.subtotal for g in sorted(groups, key=lambda g: g.subtotal)] == [30_000, 40_000]
    assert response.context["total"] == 70_000
    assert "Rp70.000" in response.content.decode()


def test_quantity_changes_and_removal(client):
    listing = make_listing(stock=10)
    add(client, listing, 1)

    client.post("/keranjang/ubah/", {"listing": listing.pk, "quantity": 4})
    assert CartItem.objects.get().quantity == 4

    response = client.post("/keranjang/ubah/", {"listing": listing.pk, "quantity": 4, "remove": "1"})
    assert response["Location"] == CART
    assert not CartItem.objects.exists()
    html = client.get(CART).content.decode()
    assert "Removed from your cart." in html
    assert 'data-count="0"' in html


def test_a_quantity_over_the_stock_is_refused_and_the_cart_keeps_the_old_one(client):
    listing = make_listing(stock=3)
    add(client, listing, 1)

    client.post("/keranjang/ubah/", {"listing": listing.pk, "quantity": 9})

    assert CartItem.objects.get().quantity == 1
    assert "Only 3 left" in client.get(CART).content.decode()


def test_the_cart_shows_a_price_change_and_stock_now_short(client):
    listing = make_listing(stock=5, price=20_000, name="Madu Hutan")
    add(client, listing, 4)
    listing_update(actor=officer(listing.cooperative), listing=listing, price=22_000)
    StockLevel.objects.filter(listing=listing).update(quantity=2)
    ListingTotals.objects.filter(pk=listing.pk).update(stock_online=2)

    html = client.get(CART).content.decode()

    assert 'id="price-changes"' in html and "Rp20.000" in html and "Rp22.000" in html
    assert "Only 2 left: lower the quantity." in html
    assert "Fix the items marked above" in html


def test_the_cart_page_queries_are_pinned(client, django_assert_max_num_queries):
    for index in range(5):
        add(client, make_listing(JAHAB if index % 2 else MASABEWA, name=f"Produk {index}"))
    with django_assert_max_num_queries(5):
        response = client.get(CART)
    assert len(response.context["groups"]) == 2


def test_a_guest_cart_joins_the_account_cart_on_login(client):
    listing = make_listing()
    buyer = person()
    add(client, listing, 2)

    client.force_login(buyer)

    cart = Cart.objects.get(user=buyer)
    assert cart.items.get().quantity == 2
    html = client.get(CART).content.decode()
    assert 'data-count="1"' in html


# --- Checkout -------------------------------------------------------------------------------------


def test_an_empty_cart_cannot_check_out(client):
    response = client.get(CHECKOUT)
    assert response.status_code == 302 and response["Location"] == CART


def test_a_guest_checks_out_and_lands_on_the_order_page(client):
    listing = make_listing(stock=5, price=30_000)
    add(client, listing, 2)

    response = client.post(CHECKOUT, checkout_data(client, listing))

    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert order.total == 60_000 and order.status == OrderStatus.CREATED
    assert order.contact_phone == "+6281234567890"
    assert order.delivery_method == DeliveryMethod.PICKUP
    assert 'data-count="0"' in client.get(CART).content.decode()


def test_a_double_submit_gives_the_same_orders(client):
    kukar = make_listing(JAHAB, stock=5)
    sikka = make_listing(MASABEWA, stock=5)
    add(client, kukar)
    add(client, sikka)
    data = checkout_data(client, kukar, sikka)

    first = client.post(CHECKOUT, data)
    second = client.post(CHECKOUT, data)

    assert Order.objects.count() == 2 and Checkout.objects.count() == 1
    assert first["Location"] == second["Location"] == f"/checkout/selesai/{data['idempotency_key']}/"
    done = client.get(first["Location"])
    assert [o.number for o, _url in done.context["links"]] == list(
        Order.objects.order_by("cooperative_id").values_list("number", flat=True)
    )
    assert StockLevel.objects.get(listing=kukar).quantity == 4


def test_the_checkout_summary_is_only_for_the_session_that_placed_it(client, django_user_model):
    listing = make_listing()
    add(client, listing)
    data = checkout_data(client, listing, listing)
    client.post(CHECKOUT, data)
    other = type(client)()

    assert other.get(f"/checkout/selesai/{data['idempotency_key']}/").status_code == 404
    assert client.get("/checkout/selesai/not-a-key-of-mine/").status_code == 404


def test_a_price_changed_since_the_form_was_shown_renders_the_new_price(client):
    listing = make_listing(stock=5, price=30_000, name="Kopi Liberika")
    add(client, listing, 2)
    data = checkout_data(client, listing)
    listing_update(actor=officer(listing.cooperative), listing=listing, price=35_000)

    response = client.post(CHECKOUT, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "The price of Kopi Liberika has changed." in html
    assert 'id="price-changes"' in html and "Rp35.000" in html
    assert response.context["subtotal"] == 70_000
    assert not Order.objects.exists()

    again = client.post(CHECKOUT, data)  # the buyer has seen the new price and places the order
    assert again.status_code == 302
    assert Order.objects.get().total == 70_000


def test_stock_sold_out_meanwhile_is_a_clear_message_and_nothing_is_saved(client):
    listing = make_listing(stock=5, name="Gula Aren")
    add(client, listing, 3)
    data = checkout_data(client, listing)
    StockLevel.objects.filter(listing=listing).update(quantity=1)
    ListingTotals.objects.filter(pk=listing.pk).update(stock_online=1)

    response = client.post(CHECKOUT, data)

    assert response.status_code == 200
    assert "Only 1 left of Gula Aren." in response.content.decode()
    assert not Order.objects.exists() and not Checkout.objects.exists()
    assert CartItem.objects.get().quantity == 3


def test_below_the_minimum_at_checkout_is_refused(client):
    listing = make_listing(stock=20, min_order=1, name="Telur Asin")
    add(client, listing, 2)
    data = checkout_data(client, listing)
    Listing.objects.filter(pk=listing.pk).update(min_order=5)

    response = client.post(CHECKOUT, data)

    assert "The minimum order for Telur Asin is 5." in response.content.decode()
    assert not Order.objects.exists()


def test_a_bad_phone_and_a_missing_address_are_shown_by_their_fields(client):
    listing = make_listing()
    add(client, listing)
    data = checkout_data(
        client, listing, method=DeliveryMethod.LOCAL, contact_phone="12", address_line="", address__4=""
    )

    response = client.post(CHECKOUT, data)

    form = response.context["form"]
    assert "contact_phone" in form.errors and "address" in form.errors and "address_line" in form.errors
    assert not Order.objects.exists()


def test_local_delivery_takes_the_zone_fee_and_the_village_postal_code(client, regions):
    listing = make_listing(stock=5, price=30_000)
    add(client, listing)

    client.post(CHECKOUT, checkout_data(client, listing, method=DeliveryMethod.LOCAL))

    order = Order.objects.get()
    assert order.shipping_fee == 10_000 and order.total == 40_000
    assert order.address_postal_code == regions.get(code=JAHAB).postal_code


def test_local_delivery_outside_the_zone_is_refused(client):
    listing = make_listing(stock=5)
    add(client, listing)
    data = checkout_data(
        client,
        listing,
        method=DeliveryMethod.LOCAL,
        **{"address__1": "53", "address__2": "53.07", "address__3": "53.07.01", "address__4": MASABEWA},
    )

    response = client.post(CHECKOUT, data)

    assert "does not deliver to this village" in response.content.decode()
    assert not Order.objects.exists()


def test_courier_orders_wait_for_the_fee_and_cannot_be_cash(client):
    listing = make_listing(stock=5)
    add(client, listing)

    refused = client.post(
        CHECKOUT, checkout_data(client, listing, method=DeliveryMethod.COURIER, payment=PaymentMethod.COD)
    )
    assert "Cash is taken only at pickup" in refused.content.decode()

    client.post(CHECKOUT, checkout_data(client, listing, method=DeliveryMethod.COURIER))
    order = Order.objects.get()
    assert not order.shipping_confirmed
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'id="pay-waiting"' in page and 'id="qris"' not in page


def test_each_cooperative_offers_and_takes_its_own_ways_of_paying(client):
    kukar = make_listing(JAHAB, stock=5)
    sikka = make_listing(MASABEWA, stock=5)
    SellerSettings.objects.update_or_create(
        cooperative=sikka.cooperative, defaults={"transfer_enabled": False}
    )
    add(client, kukar)
    add(client, sikka)

    form = client.get(CHECKOUT).context["form"]
    assert [v for v, _label in form.fields[f"payment_{kukar.cooperative_id}"].choices] == [
        "qris",
        "transfer",
        "cod",
    ]
    assert [v for v, _label in form.fields[f"payment_{sikka.cooperative_id}"].choices] == ["qris", "cod"]

    # Sikka takes no transfer: refused by its own field, nothing placed.
    data = checkout_data(client, kukar, sikka, payment=PaymentMethod.TRANSFER)
    refused = client.post(CHECKOUT, data)
    assert refused.status_code == 200 and not Order.objects.exists()
    assert refused.context["form"].errors[f"payment_{sikka.cooperative_id}"]
    assert f"payment_{kukar.cooperative_id}" not in refused.context["form"].errors

    # A transfer to one and cash at pickup to the other: two orders, each paid its own way.
    data[f"payment_{sikka.cooperative_id}"] = PaymentMethod.COD
    client.post(CHECKOUT, data)
    methods = dict(Order.objects.values_list("cooperative_id", "payment_method"))
    assert methods == {kukar.cooperative_id: PaymentMethod.TRANSFER, sikka.cooperative_id: PaymentMethod.COD}
    transfer = Order.objects.get(cooperative=kukar.cooperative)
    assert transfer.unique_code > 0 and transfer.expires_at is not None
    assert Order.objects.get(cooperative=sikka.cooperative).expires_at is None


def test_a_cooperative_that_takes_no_payment_says_so_on_the_checkout(client):
    listing = make_listing(JAHAB, stock=5)
    listing.cooperative.qris_payload = ""
    listing.cooperative.save(update_fields=["qris_payload"])
    SellerSettings.objects.update_or_create(
        cooperative=listing.cooperative, defaults={"transfer_enabled": False, "cod_enabled": False}
    )
    add(client, listing)

    page = client.get(CHECKOUT).content.decode()

    assert "cannot take payments yet" in page
    assert client.post(CHECKOUT, checkout_data(client, listing)).status_code == 200
    assert not Order.objects.exists()


def test_a_logged_in_buyer_gets_their_contact_prefilled_and_owns_the_order(client):
    buyer = person(full_name="Yohanes Bosco", email="yb@example.id")
    client.force_login(buyer)
    listing = make_listing()
    add(client, listing)

    form = client.get(CHECKOUT).context["form"]
    assert form.initial["contact_name"] == "Yohanes Bosco"
    assert form.initial["contact_email"] == "yb@example.id"
    data = checkout_data(client, listing, contact_name="Yohanes Bosco")
    client.post(CHECKOUT, data)

    assert Order.objects.get().buyer == buyer


def test_the_postal_code_box_follows_the_picked_village(client, regions):
    response = client.get(
        "/checkout/kodepos/",
        {"address__1": "64", "address__2": "64.02", "address__3": "64.02.06", "address__4": JAHAB},
    )
    assert f'value="{regions.get(code=JAHAB).postal_code}"' in response.content.decode()
    assert 'value="12345"' in client.get("/checkout/kodepos/", {"postal_code": "12345"}).content.decode()
