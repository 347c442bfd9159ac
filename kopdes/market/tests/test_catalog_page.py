"""The catalog page /pasar/: cards, filters, sorts, the visitor cache (a price or stock change
shows at once), pinned query counts, and a bad filter answered with a clear message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kopdes.market import services_stock
from kopdes.market.models import Listing
from kopdes.market.search import stem_text
from kopdes.market.tests.factories import JAHAB, MASABEWA, generation_queries, make_listing, officer, outlet
from kopdes.products.choices import Category, Line

pytestmark = pytest.mark.django_db

URL = "/pasar/"


def named(name: str, village_code: str = JAHAB, **fields) -> Listing:
    listing = make_listing(village_code, name=name, **fields)
    listing.search_name = stem_text(name)
    listing.save(update_fields=["search_name"])
    return listing


def card_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-listing="(\d+)"', response.content.decode())]


def test_the_catalog_is_at_pasar_and_in_everyones_navigation(client, regions):
    assert reverse("market:catalog") == URL
    response = client.get(URL)
    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()


def test_a_card_shows_price_region_and_an_add_to_cart_form(client, regions):
    listing = named("Kopi Arabika", price=25_000, min_order=2)
    Listing.objects.filter(pk=listing.pk).update(
        stars=4, rating_sum=9, rating_count=2, photo="products/kopi.jpg"
    )
    html = client.get(URL).content.decode()
    assert "Rp25.000" in html
    assert "Kopi Arabika" in html
    assert "Kabupaten Kutai Kartanegara" in html
    assert "★★★★<" in html and "rated 4.5 (2)" in html
    assert f'href="{reverse("products:public", args=[listing.slug])}"' in html
    assert 'src="/media/products/kopi.jpg"' in html
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    assert form.group(1) == reverse("market:cart_add")
    assert f'name="listing" value="{listing.pk}"' in form.group(2)
    assert 'name="quantity" value="2"' in form.group(2)
    assert f'name="next" value="{URL}"' in form.group(2)
    assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{32,}"', form.group(2))


def test_a_sold_out_listing_has_a_badge_and_no_cart_button(client, regions):
    listing = named("Madu Kosong", stock=0)
    html = client.get(URL).content.decode()
    card = html[html.index(f'data-listing="{listing.pk}"') :]
    card = card[: card.index("</li>")]
    assert "data-sold-out" in card and "Sold out" in card
    assert "<form" not in card


def test_the_page_is_small_self_contained_and_without_script(client, regions):
    for n in range(24):
        named(f"Produk Tenun Ikat Nomor {n} dengan Nama yang Cukup Panjang")
    response = client.get(URL)
    html = response.content.decode()
    assert len(response.content) < 60_000
    assert "<script" not in html  # no JavaScript at all on the catalog
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from another site
    assert '<meta name="viewport"' in html


def test_adding_from_the_catalog_puts_the_listing_in_the_cart(client, regions):
    from kopdes.market.models import CartItem

    listing = named("Gula Aren", min_order=3)
    html = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        reverse("market:cart_add"),
        {"csrfmiddlewaretoken": token, "listing": listing.pk, "quantity": 3, "next": URL},
    )
    assert response.status_code == 302 and response["Location"] == URL
    assert CartItem.objects.get(listing=listing).quantity == 3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": Category.HONEY}, {"madu"}),
        ({"province": "53"}, {"tenun"}),
        ({"province": "64", "regency": "64.02"}, {"kopi", "madu", "murah"}),
        ({"regency": "53.07"}, {"tenun"}),
        ({"line": Line.OSOP}, set()),
        ({"line": Line.OVOP}, {"kopi", "madu", "tenun", "murah"}),
        ({"stars": "4"}, {"kopi"}),
        ({"halal": "1"}, {"madu"}),
        ({"bpom": "1"}, {"kopi"}),
        ({"price_min": "20000", "price_max": "30.000"}, {"kopi", "tenun"}),
        ({"in_stock": "1"}, {"kopi", "madu", "tenun"}),
        ({"q": "kopi", "in_stock": "1"}, {"kopi"}),
        ({"q": "madu", "province": "53"}, set()),
    ],
)
def test_filters(client, regions, params, expected):
    listings = {
        "kopi": named("Kopi Arabika", price=25_000),
        "madu": named("Madu Hutan", price=60_000, category=Category.HONEY),
        "tenun": named("Tenun Ikat", MASABEWA, price=30_000),
        "murah": named("Keripik Murah", price=5_000, stock=0),
    }
    Listing.objects.filter(pk=listings["kopi"].pk).update(stars=4, has_bpom=True)
    Listing.objects.filter(pk=listings["madu"].pk).update(stars=2, has_halal=True)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert set(card_ids(response)) == {listings[key].pk for key in expected}


def test_the_regency_select_offers_the_chosen_provinces_regencies(client, regions):
    html = client.get(URL, {"province": "64"}).content.decode()
    assert '<option value="64.02" selected' not in html
    assert '<option value="64.02">Kabupaten Kutai Kartanegara</option>' in html
    assert 'value="53.07"' not in html
    html = client.get(URL).content.decode()
    assert 'name="regency" disabled' in html


def test_sort_by_price_and_links_keep_the_filters(client, regions):
    cheap, dear = named("Kopi Murah", price=10_000), named("Kopi Mahal", price=90_000)
    assert card_ids(client.get(URL, {"sort": "price_low"})) == [cheap.pk, dear.pk]
    assert card_ids(client.get(URL, {"sort": "price_high"})) == [dear.pk, cheap.pk]
    html = client.get(URL, {"q": "kopi", "sort": "price_low", "per_page": "1"}).content.decode()
    assert 'href="/pasar/?q=kopi&amp;sort=price_low&amp;page=2&amp;per_page=1"' in html


def test_nothing_found_suggests_a_spelling(client, regions):
    named("Kopi Arabika")
    html = client.get(URL, {"q": "kopi arabica"}).content.decode()
    assert 'id="suggestion"' in html
    assert 'href="/pasar/?q=kopi+arabika"' in html


def test_a_bad_filter_is_refused_with_the_fields_message(client, regions):
    response = client.get(URL, {"stars": "9", "province": "99", "sort": "cheapest"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some fields are not valid." in html
    assert "Enter a number from 0 to 5." in html
    assert "Unknown region code: 99" in html
    response = client.get(URL, {"stars": "9"}, HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    assert "Beberapa isian tidak valid." in response.content.decode()


def test_a_regency_outside_the_province_is_refused(client, regions):
    response = client.get(URL, {"province": "64", "regency": "53.07"})
    assert response.status_code == 400
    assert "This regency is not in the chosen province." in response.content.decode()


# --- Cache -----------------------------------------------------------------------------------------


def test_visitors_get_the_cached_page_without_queries(client, regions, django_assert_num_queries):
    named("Kopi Arabika")
    first = client.get(URL, {"q": "kopi"})
    with django_assert_num_queries(generation_queries()):  # the generation's row without Redis
        again = client.get(URL, {"q": " kopi ", "page": "1", "category": ""})  # the same, normalised
    assert again.status_code == 200
    assert card_ids(again) == card_ids(first)
    assert b"kopdes-csrf-placeholder" not in again.content
    with CaptureQueriesContext(connection) as queries:  # an unknown parameter: rendered afresh
        client.get(URL, {"q": "kopi", "utm_source": "wa"})
    assert len(queries) > 0


def test_the_same_parameters_again_are_answered_without_parsing_them(client, regions, monkeypatch):
    named("Kopi Arabika")
    first = client.get(URL, {"q": "kopi", "sort": "newest"})

    def parse(_data):
        raise AssertionError("parsed again")

    monkeypatch.setattr("kopdes.market.selectors_catalog.catalog_query_parse", parse)
    again = client.get(URL, {"sort": "newest", "q": "kopi"})  # the same parameters, in another order
    assert again.status_code == 200 and card_ids(again) == card_ids(first)


def test_each_visitor_gets_their_own_csrf_token_from_the_cache(client, regions):
    from django.test import Client

    named("Kopi Arabika")
    pattern = r'name="csrfmiddlewaretoken" value="([^"]+)"'
    one = re.search(pattern, client.get(URL).content.decode()).group(1)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    two = re.search(pattern, other.get(URL).content.decode()).group(1)
    assert one != two  # masked tokens differ, even from the same cached page
    assert other.cookies["csrftoken"].value


def test_a_price_change_shows_at_once(client, regions, django_capture_on_commit_callbacks):
    listing = named("Kopi Arabika", price=25_000)
    ketua = officer(listing.cooperative)
    assert "Rp25.000" in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services_stock.listing_update(actor=ketua, listing=listing, price=27_500)
    html = client.get(URL).content.decode()
    assert "Rp27.500" in html and "Rp25.000" not in html


def test_a_stock_change_shows_at_once(client, regions, django_capture_on_commit_callbacks):
    listing = named("Kopi Arabika", stock=1)
    ketua = officer(listing.cooperative)
    assert "data-sold-out" not in client.get(URL).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services_stock.stock_adjust(
            actor=ketua, listing=listing, location=outlet(listing.cooperative), delta=-1, note="rusak"
        )
    assert "data-sold-out" in client.get(URL).content.decode()


def test_logged_in_users_get_a_fresh_page(client, regions):
    listing = named("Kopi Arabika", price=25_000)
    client.force_login(officer(listing.cooperative))
    assert "Rp25.000" in client.get(URL).content.decode()
    Listing.objects.filter(pk=listing.pk).update(price=26_000)  # no generation bump: still fresh
    assert "Rp26.000" in client.get(URL).content.decode()


# --- Query counts (rendered, not cached) ---------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "newest"},
        {"q": "kopi"},
        {"q": "kopi arabika", "province": "64", "sort": "price_low", "halal": "1"},
        # In a regency: SQLite counts its listings first; PostgreSQL sets a filtered search's
        # planner settings and gives them back (ADR 14, "Searches with filters").
        {"q": "kopi", "province": "64", "regency": "64.02"},
        {"q": "kopi arabica"},  # nothing found: the suggestion's queries too
    ],
)
def test_the_page_takes_a_fixed_number_of_queries(client, regions, params, django_assert_max_num_queries):
    for n in range(30):
        listing = named(f"Kopi Arabika {n}", price=10_000 + n)
        Listing.objects.filter(pk=listing.pk).update(has_halal=True, photo=f"p/{n}.jpg")
    client.get(URL, {"sort": "stars"})  # region names and generation now in the cache
    client.force_login(officer(listing.cooperative))  # logged in: never served from the cache
    # The user and their roles (the navigation), then at most 4 for the catalog itself.
    with django_assert_max_num_queries(6):
        response = client.get(URL, params)
    assert response.status_code == 200


def test_the_chosen_filters_stay_selected_and_the_first_sort_is_the_default(client, regions):
    named("Kopi Arabika")
    html = client.get(URL).content.decode()
    assert '<option value="relevance" selected>' in html
    assert " selected>" not in html.replace('<option value="relevance" selected>', "")
    params = {"province": "64", "regency": "64.02", "sort": "price_low", "stars": "4", "line": "ovop"}
    html = client.get(URL, params).content.decode()
    for code in ("64", "64.02", "price_low", "4", "ovop"):
        assert f'<option value="{code}" selected>' in html
    assert '<option value="relevance" selected>' not in html
    assert '<option value="4" selected>4★</option>' in html


def test_a_card_speaks_indonesian_and_escapes_what_sellers_typed(client, regions):
    listing = named('Kopi <b>Asli</b> & "Murni"', min_order=3)
    Listing.objects.filter(pk=listing.pk).update(rating_sum=9, rating_count=2, featured_month=None)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Kopi &lt;b&gt;Asli&lt;/b&gt; &amp; &quot;Murni&quot;" in html
    assert "<b>Asli</b>" not in html
    assert "Tambahkan 3 ke keranjang" in html
    assert "rating 4,5 (2)" in html


def test_a_cards_counts_are_written_as_the_language_writes_them(client, regions):
    listing = named("Gula Aren Curah", min_order=1500, stock=5000)
    Listing.objects.filter(pk=listing.pk).update(rating_sum=5 * 1234, rating_count=1234)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "rating 5,0 (1.234)" in html
    assert "Tambahkan 1.500 ke keranjang" in html
    assert 'name="quantity" value="1500"' in html  # a form value, never localised


# --- The filter form, made in Python (cards.filter_form) -----------------------------------------

# The form as the page's template wrote it before it was made in Python: the oracle.
FORM_TEMPLATE = (Path(__file__).parent / "catalog_filter_form.html").read_text().rstrip("\n")


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, {}),
        (
            {
                "q": 'kopi "<asli>" & murni',
                "province": "64",
                "regency": "64.02",
                "halal": "1",
                "price_min": "9",
            },
            {},
        ),
        (
            {
                "line": "ovop",
                "stars": "4",
                "sort": "price_low",
                "in_stock": "1",
                "bpom": "1",
                "price_max": "9",
            },
            {},
        ),
        (
            {"q": "x" * 3, "stars": "9", "province": "99"},
            {
                "q": ["The search is too long."],
                "stars": ["Enter a number from 0 to 5."],
                "province": ["Unknown region code: <99> & 'more'"],
                "price_min": ["A"],
                "sort": ["B", "C"],
            },
        ),
    ],
)
def test_the_filter_form_is_the_templates_own(rf, regions, params, errors, language):
    """cards.filter_form writes what the page's template wrote, to the character."""
    from django.contrib.auth.models import AnonymousUser
    from django.template import engines
    from django.utils import translation

    from kopdes.market import selectors_catalog, views_catalog
    from kopdes.market.cards import filter_form

    request = rf.get(URL, params)
    request.user = AnonymousUser()
    query = selectors_catalog.CatalogQuery() if errors else selectors_catalog.catalog_query_parse(request.GET)
    with translation.override(language):
        context = views_catalog._context(request, query, None, errors)
        expected = engines["django"].from_string(FORM_TEMPLATE).render(context)
        made = filter_form(
            action=URL,
            query=query,
            values=context["values"],
            options=context["options"],
            errors=errors,
            regencies=bool(context["regencies"]),
        )
    assert made == expected
