"""The storefront: the product page's buying section and the microsite's products for sale, both
cached for visitors and both showing a price or stock change at once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kopdes.market.choices import DeliveryMethod, PaymentMethod
from kopdes.market.models import Listing, Review
from kopdes.market.services_orders import CheckoutRequest, DeliveryChoice, cart_get, cart_set, checkout_place
from kopdes.market.services_stock import listing_update, stock_adjust
from kopdes.market.tests.factories import generation_queries
from kopdes.products.choices import ProductStatus
from kopdes.products.tests.factories import make_product

from .factories import JAHAB, make_listing, officer, outlet, seller

pytestmark = pytest.mark.django_db

CART_ADD = reverse("market:cart_add")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def coop(regions):
    return seller(JAHAB)


@pytest.fixture
def ketua(coop):
    return officer(coop)


@pytest.fixture
def madu(coop):
    return make_listing(JAHAB, name="Madu Kelulut", price=85_000, stock=7, min_order=2, stars=4)


def add_form(html: str, listing: Listing) -> str:
    """The add-to-cart form of `listing` on a page."""
    for form in re.findall(r"<form [^>]*>.*?</form>", html, flags=re.S):
        if f'action="{CART_ADD}"' in form and f'name="listing" value="{listing.pk}"' in form:
            return form
    raise AssertionError(f"no add-to-cart form for listing {listing.pk}")


def reviewed(listing: Listing, stars: int, text: str, author: str) -> Review:
    cart = cart_get()
    cart_set(actor=None, cart=cart, listing_id=listing.pk, quantity=listing.min_order)
    request = CheckoutRequest(
        deliveries={
            listing.cooperative_id: DeliveryChoice(
                method=DeliveryMethod.PICKUP, pickup_location_id=outlet(listing.cooperative).pk
            )
        },
        contact_name=author,
        contact_phone="0812-3456-7890",
        payment_method=PaymentMethod.COD,
    )
    [order] = checkout_place(actor=None, cart=cart, request=request, idempotency_key=f"review-{author}")
    line = order.lines.get()
    review = Review.objects.create(
        order_line=line, listing=listing, product=listing.product, stars=stars, text=text, author_name=author
    )
    Listing.objects.filter(pk=listing.pk).update(rating_sum=stars, rating_count=1)
    return review


# --- The product page -------------------------------------------------------------------------


def test_the_product_page_sells_with_price_stock_minimum_seller_and_reviews_in_five_queries(
    client, coop, madu, django_assert_max_num_queries
):
    reviewed(madu, 4, "Manis dan asli", "Maria Goreti")

    # Five to render it; with a cache per worker (no Redis), the catalog generation's row too.
    with django_assert_max_num_queries(5 + generation_queries()):
        response = client.get(madu.product.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-marketplace="pending"' not in html
    section = html[html.index('id="buy"') :]
    assert "Rp85.000" in section and "5 in stock" in section and "minimum 2" in section
    assert coop.name in section and coop.get_public_url() in section
    form = add_form(html, madu)
    assert 'method="post"' in form and 'name="quantity" value="2"' in form
    assert f'name="next" value="{madu.product.get_absolute_url()}"' in form
    assert "csrfmiddlewaretoken" not in html  # the page is the same for every visitor (ADR 8)
    reviews = html[html.index('id="reviews"') :]
    assert "★★★★" in reviews and "★★★★★" not in reviews and "Manis dan asli" in reviews
    assert "Maria Goreti" in reviews


def test_a_price_change_shows_at_once_on_the_cached_product_page(
    client, coop, ketua, madu, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    url = madu.product.get_absolute_url()
    assert "Rp85.000" in client.get(url).content.decode()
    with django_assert_max_num_queries(generation_queries()):
        client.get(url)  # from the visitors' cache

    with django_capture_on_commit_callbacks(execute=True):
        listing_update(actor=ketua, listing=madu, price=90_000)

    html = client.get(url).content.decode()
    assert "Rp90.000" in html and "Rp85.000" not in html


def test_a_stock_change_shows_at_once_and_sold_out_has_no_cart_button(
    client, coop, ketua, madu, django_capture_on_commit_callbacks
):
    url = madu.product.get_absolute_url()
    client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        stock_adjust(actor=ketua, listing=madu, location=outlet(coop), delta=-6, note="Rusak")

    html = client.get(url).content.decode()
    assert "Out of stock" in html and f'action="{CART_ADD}"' not in html


def test_a_listing_off_sale_says_so_and_offers_no_cart(client, coop, ketua, madu):
    listing_update(actor=ketua, listing=madu, is_active=False)

    html = client.get(madu.product.get_absolute_url()).content.decode()

    assert "Not on sale at the moment" in html and f'action="{CART_ADD}"' not in html


def test_a_product_not_listed_keeps_the_placeholder(client, coop):
    product = make_product(JAHAB, status=ProductStatus.READY, name="Belum Dijual")
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'data-marketplace="pending"' in html and f'action="{CART_ADD}"' not in html


def test_the_add_to_cart_form_puts_the_minimum_in_the_cart(client, coop, madu):
    html = client.get(madu.product.get_absolute_url()).content.decode()
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', add_form(html, madu)))

    response = client.post(CART_ADD, fields)

    assert response.status_code == 302 and response["Location"] == madu.product.get_absolute_url()
    cart = cart_get(token=client.session["market_cart"], create=False)
    assert [(item.listing_id, item.quantity) for item in cart.items.all()] == [(madu.pk, 2)]


# --- The microsite ----------------------------------------------------------------------------


def test_the_microsite_shows_its_products_for_sale_with_price_stock_and_add_to_cart(
    client, coop, ketua, madu
):
    sold_out = make_listing(JAHAB, name="Amplang Habis", price=20_000, stock=0)
    hidden = make_listing(JAHAB, name="Kue Disimpan", price=5_000)
    listing_update(actor=ketua, listing=hidden, is_active=False)
    unready = make_listing(
        JAHAB, product=make_product(JAHAB, status=ProductStatus.CURATED, name="Anyaman Belum Siap"), price=1
    )

    html = client.get(coop.get_public_url()).content.decode()

    products = html[html.index('id="products"') :]
    assert "Madu Kelulut" in products and "Rp85.000" in products and "In stock" in products
    assert "Amplang Habis" in products and "Out of stock" in products
    assert "Kue Disimpan" not in html and unready.name not in html
    form = add_form(html, madu)
    assert 'name="quantity" value="2"' in form and f'name="next" value="{coop.get_public_url()}"' in form
    assert f'name="listing" value="{sold_out.pk}"' not in html
    assert reverse("products:public", args=[madu.slug]) in products
    assert "<script" not in html


def test_a_price_change_shows_at_once_on_the_cached_microsite(
    client, coop, ketua, madu, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    url = coop.get_public_url()
    client.get(url)
    with django_assert_max_num_queries(generation_queries()):
        client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        listing_update(actor=ketua, listing=madu, price=79_000)

    html = client.get(url).content.decode()
    assert "Rp79.000" in html and "Rp85.000" not in html


def test_a_cooperative_with_nothing_for_sale_shows_no_product_section(client, coop):
    html = client.get(coop.get_public_url()).content.decode()
    assert 'id="products"' not in html
