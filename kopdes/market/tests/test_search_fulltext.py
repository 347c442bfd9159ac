"""Full-text search: Indonesian stemming, every word required, the same answers on SQLite (FTS5)
and PostgreSQL (tsvector), relevance, featured listings, typo-tolerant suggestions.

CI runs this file on both databases; the expected sets below are exact, so both must agree."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from kopdes.market.choices import SortOrder
from kopdes.market.models import Listing, ListingTotals, SearchTerm
from kopdes.market.search import query_terms, stem_text, suggest_terms, vocabulary_rebuild
from kopdes.market.selectors_catalog import (
    MAX_RESULTS,
    CatalogQuery,
    _filtered,
    catalog_search,
    catalog_search_naive,
    catalog_suggest,
)
from kopdes.market.tests.factories import make_listing
from kopdes.products.selectors_licences import local_month

pytestmark = pytest.mark.django_db

VISITOR = AnonymousUser()

CORPUS = {
    "gayo": ("Kopi Arabika Gayo", "Biji kopi olahan petani Gayo, dipetik merah."),
    "robusta": ("Kopi Robusta Sangrai", "Kopi bubuk; kami mengolah sendiri di desa."),
    "teh": ("Teh Hijau", "Daun teh pilihan, cocok diminum bersama kopi."),
    "madu": ("Madu Hutan Asli", "Madu lebah hutan Kalimantan, dipanen lestari."),
    "tenun": ("Tenun Ikat Sikka", "Kain tenun tangan dengan pewarna alam."),
    "keripik": ("Keripik Pisang", "Olahan pisang kepok, renyah dan gurih."),
    "gula": ("Gula Aren", "Gula merah dari nira aren, 250 gram."),
}

# query -> the corpus keys it must find, exactly.
EXPECTED = {
    "kopi": {"gayo", "robusta", "teh"},
    "KOPI": {"gayo", "robusta", "teh"},
    "kopi arabika": {"gayo"},
    "arabika kopi": {"gayo"},
    "kopi, arabika!": {"gayo"},
    "olahan": {"gayo", "robusta", "keripik"},  # olahan, mengolah, olahan -> olah
    "mengolah kopi": {"gayo", "robusta"},
    "teh kopi": {"teh"},  # one word in the name, the other in the text
    "madu hutan": {"madu"},
    "hutan madu kalimantan": {"madu"},
    "kopi madu": set(),
    "gula 250": {"gula"},
    "250": {"gula"},
    "pisang": {"keripik"},
    "tenun sikka": {"tenun"},
    "tenunan": {"tenun"},  # tenunan -> tenun
    "kop": set(),  # whole words, not prefixes
    "xyzzy": set(),
}


def listing_with(name: str, text: str, **fields) -> Listing:
    """A listing whose stemmed name and text are exactly these (the product's own text aside)."""
    listing = make_listing(name=name, **fields)
    listing.search_name = stem_text(name)
    listing.search_text = stem_text(text)
    listing.save(update_fields=["search_name", "search_text"])
    return listing


@pytest.fixture
def corpus(regions) -> dict[str, Listing]:
    return {key: listing_with(name, text) for key, (name, text) in CORPUS.items()}


def ids(page) -> list[int]:
    return [listing.pk for listing in page.items]


def search(q: str = "", **filters):
    return catalog_search(user=VISITOR, query=CatalogQuery(q=q, **filters))


def test_stemming_makes_word_forms_meet():
    assert stem_text("olahan") == stem_text("mengolah") == "olah"
    assert stem_text("Kopi, ARABIKA!") == "kopi arabika"
    assert query_terms("kopi kopi  arabika") == ["kopi", "arabika"]
    assert query_terms("a b c d e f g h i j") == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert query_terms("!!!") == []


@pytest.mark.parametrize(("q", "expected"), sorted(EXPECTED.items()))
def test_search_finds_exactly_the_listings_with_every_word(corpus, q, expected):
    page = search(q)
    assert set(ids(page)) == {corpus[key].pk for key in expected}, connection.vendor
    assert page.total == len(expected)
    assert not page.total_capped
    # A filter that keeps everything takes the other way to the candidates on PostgreSQL (the GIN
    # indexes, not the names' words): the same page.
    assert ids(search(q, price_min=0)) == ids(page)
    # In a regency, SQLite reads the regency's listings instead of its index: the same page.
    assert ids(search(q, regency="64.02")) == ids(page)


def test_parity_corpus_gives_the_same_sets_on_this_database(corpus):
    # The whole table at once, so a failure shows every difference from the shared expectation.
    found = {q: {key for key, listing in corpus.items() if listing.pk in ids(search(q))} for q in EXPECTED}
    assert found == EXPECTED, connection.vendor


def test_name_matches_rank_above_text_matches_then_newest_id(corpus):
    page = search("kopi")
    assert ids(page) == [corpus["robusta"].pk, corpus["gayo"].pk, corpus["teh"].pk]


def test_more_words_in_the_name_rank_higher(regions):
    both = listing_with("Kopi Lampung", "bubuk arabika")
    name = listing_with("Kopi Arabika", "bubuk")
    assert ids(search("kopi arabika")) == [name.pk, both.pk]


def test_a_featured_listing_ranks_higher_at_equal_relevance(corpus):
    gayo = corpus["gayo"]
    Listing.objects.filter(pk=gayo.pk).update(featured_month=local_month(gayo.province_code))
    page = search("kopi")
    assert ids(page) == [gayo.pk, corpus["robusta"].pk, corpus["teh"].pk]
    assert page.items[0].is_featured and not page.items[1].is_featured
    # Featured never beats a better match: the name match still leads the text match.
    teh = corpus["teh"]
    Listing.objects.filter(pk=gayo.pk).update(featured_month=None)
    Listing.objects.filter(pk=teh.pk).update(featured_month=local_month(teh.province_code))
    assert ids(search("kopi"))[-1] == teh.pk


def test_last_months_feature_does_not_count(corpus):
    gayo = corpus["gayo"]
    Listing.objects.filter(pk=gayo.pk).update(featured_month="2020-01-01")
    assert ids(search("kopi"))[0] == corpus["robusta"].pk


def test_browsing_without_words_puts_featured_first_then_newest(corpus):
    madu = corpus["madu"]
    Listing.objects.filter(pk=madu.pk).update(featured_month=local_month(madu.province_code))
    newest_first = sorted((listing.pk for listing in corpus.values()), reverse=True)
    newest_first.remove(madu.pk)
    assert ids(search()) == [madu.pk, *newest_first]
    # Pages continue after the featured ones without repeating them.
    first = search(per_page=3)
    second = search(per_page=3, page=2)
    third = search(per_page=3, page=3)
    assert ids(first) + ids(second) + ids(third) == [madu.pk, *newest_first]
    assert first.num_pages == 3 and first.has_next and not third.has_next


def test_browsing_pages_in_one_statement_where_the_featured_fill_them(
    corpus, monkeypatch, django_assert_num_queries
):
    """The count and a page's cards are one statement; a page that the featured listings do not
    fill reads their ids and the newest besides (three). The same pages either way."""
    from kopdes.market import selectors_catalog

    featured = [corpus[key] for key in ("robusta", "tenun", "gula")]
    for listing in featured:
        Listing.objects.filter(pk=listing.pk).update(featured_month=local_month(listing.province_code))
    featured_first = sorted((listing.pk for listing in featured), reverse=True)
    newest_first = sorted((listing.pk for listing in corpus.values()), reverse=True)
    rest = [pk for pk in newest_first if pk not in featured_first]
    search()  # the region names in the cache
    pages = []
    for page, statements in ((1, 1), (2, 3), (3, 3), (4, 3), (5, 1)):
        with django_assert_num_queries(statements):
            found = search(per_page=2, page=page)
        assert found.total == 7
        pages.append(ids(found))
    assert pages == [featured_first[:2], [featured_first[2], rest[0]], rest[1:3], rest[3:], []]
    for page, expected in ((1, newest_first[:4]), (2, newest_first[4:]), (3, [])):
        with django_assert_num_queries(1):
            assert ids(search(per_page=4, page=page, sort=SortOrder.NEWEST)) == expected
    # A page far past the counted listings reads no rows to find it empty.
    for sort in (SortOrder.RELEVANCE, SortOrder.NEWEST):
        with django_assert_num_queries(1) as captured:
            far = search(per_page=60, page=100_000, sort=sort)
        assert far.items == [] and far.total == 7
        assert str(60 * 99_999) not in captured.captured_queries[0]["sql"]  # no such offset
    # At most FEATURED_FIRST go first; the others take their places among the newest.
    monkeypatch.setattr(selectors_catalog, "FEATURED_FIRST", 2)
    everything = ids(search(per_page=3)) + ids(search(per_page=3, page=2)) + ids(search(per_page=3, page=3))
    assert everything == featured_first[:2] + [pk for pk in newest_first if pk not in featured_first[:2]]


def test_a_categorys_featured_listings_are_read_from_the_featured_ones(corpus):
    """In a category or a province, the featured listings come first, then the newest, on both
    databases. On SQLite the featured listings' statements write the category and the province
    away from their indexes (`FEATURED_WALK`): it then walks the featured ones, a fiftieth of the
    catalog, and not the whole category for a few of them; the count keeps the category's index."""
    from django.test.utils import CaptureQueriesContext

    drinks = [corpus[key] for key in ("gayo", "robusta", "teh")]
    Listing.objects.filter(pk__in=[listing.pk for listing in drinks]).update(category="beverage")
    for listing in (corpus["robusta"], corpus["madu"]):  # madu: featured, another category
        Listing.objects.filter(pk=listing.pk).update(featured_month=local_month(listing.province_code))
    gayo, robusta, teh = (listing.pk for listing in drinks)
    with CaptureQueriesContext(connection) as captured:
        assert ids(search(category="beverage")) == [robusta, teh, gayo]
    assert ids(search(category="beverage", province="64")) == [robusta, teh, gayo]
    assert ids(search(category="beverage", province="64", per_page=1, page=2)) == [teh]
    statement = next(query["sql"] for query in captured.captured_queries if "market_listing" in query["sql"])
    count, cards = statement.split(" LEFT JOIN ")
    assert '+"market_listing"."category"' not in count
    assert ('+"market_listing"."category"' in cards) == (connection.vendor == "sqlite"), cards


def test_the_cards_are_the_listings_as_the_orm_loads_them(corpus):
    """The catalog reads its cards with statements of its own (ADR 14): the same values, of the
    same types, as `.only(*CARD_FIELDS)` gives, and the rest of the listing loads when asked."""
    from kopdes.market.selectors_catalog import CARD_FIELDS

    madu = corpus["madu"]
    Listing.objects.filter(pk=madu.pk).update(
        featured_month=local_month(madu.province_code), has_halal=True, photo="p/madu.jpg"
    )
    for page in (search(), search(sort=SortOrder.NEWEST), search("madu")):
        assert page.items
        loaded = {listing.pk: listing for listing in Listing.objects.only(*CARD_FIELDS)}
        for card in page.items:
            orm = loaded[card.pk]
            for name in CARD_FIELDS:
                mine, theirs = getattr(card, name), getattr(orm, name)
                assert (mine, type(mine)) == (theirs, type(theirs)), name
            assert card._state.adding is False and card._state.db == "default"
            assert card.get_deferred_fields() == orm.get_deferred_fields()
    card = next(card for card in search().items if card.pk == madu.pk)
    assert card.is_featured and card.has_halal and card.photo == "p/madu.jpg"
    assert card.search_text == Listing.objects.get(pk=madu.pk).search_text  # deferred: loaded now


def test_featured_follows_each_provinces_own_month_when_they_differ(regions, monkeypatch):
    """On the evening of 31 October (WIB) it is already November in WITA: a WITA listing featured
    for November is featured, one featured for October no longer is, and a WIB listing featured
    for October still is."""
    import datetime as dt

    from django.utils import timezone

    from kopdes.regions.models import Region

    moment = dt.datetime(2026, 10, 31, 16, 30, tzinfo=dt.UTC)  # 23:30 WIB, 00:30 WITA
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert (local_month("31"), local_month("64")) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    jakarta = Region.objects.filter(level=4, code__startswith="31.").order_by("code").first().code
    wita_now = listing_with("Madu November", "")
    wita_before = listing_with("Madu Oktober", "")
    wib_now = listing_with("Kopi Oktober", "", village_code=jakarta)
    plain = listing_with("Teh Biasa", "")
    Listing.objects.filter(pk=wita_now.pk).update(featured_month=dt.date(2026, 11, 1))
    Listing.objects.filter(pk__in=[wita_before.pk, wib_now.pk]).update(featured_month=dt.date(2026, 10, 1))
    page = search()
    assert ids(page) == [wib_now.pk, wita_now.pk, plain.pk, wita_before.pk]
    assert [card.is_featured for card in page.items] == [True, True, False, False]
    # In a category too. With two months no index serves the condition: SQLite keeps the
    # category's (`featured_walk`), and does not walk every listing, newest first.
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert ids(search(category=wita_now.category)) == ids(page)
    statement = next(query["sql"] for query in captured.captured_queries if "market_listing" in query["sql"])
    assert '+"market_listing"."category"' not in statement


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        (SortOrder.PRICE_LOW, lambda listing: (listing.price, -listing.pk)),
        (SortOrder.PRICE_HIGH, lambda listing: (-listing.price, -listing.pk)),
        (SortOrder.STARS, lambda listing: (-listing.stars, -listing.pk)),
        (SortOrder.NEWEST, lambda listing: (-listing.created_at.timestamp(), -listing.pk)),
    ],
)
def test_sort_orders_with_and_without_words(regions, sort, key):
    listings = [
        listing_with("Kopi A", "", price=30_000),
        listing_with("Kopi B", "", price=10_000),
        listing_with("Kopi C", "", price=30_000),
        listing_with("Kopi D", "", price=20_000),
    ]
    for stars, listing in zip((3, 5, 3, 1), listings, strict=True):
        Listing.objects.filter(pk=listing.pk).update(stars=stars)
    fresh = list(Listing.objects.filter(pk__in=[listing.pk for listing in listings]))
    expected = [listing.pk for listing in sorted(fresh, key=key)]
    assert ids(search(sort=sort)) == expected
    assert ids(search("kopi", sort=sort)) == expected


def test_filters_narrow_the_search(corpus):
    gula = corpus["gula"]
    Listing.objects.filter(pk=gula.pk).update(has_halal=True, price=15_000)
    assert ids(search("gula", halal=True)) == [gula.pk]
    assert ids(search("gula", bpom=True)) == []
    assert ids(search("gula", price_max=14_999)) == []
    assert ids(search("gula", price_min=15_000, price_max=15_000)) == [gula.pk]
    assert ids(search("gula", province="53")) == []
    assert ids(search("gula", regency="64.02")) == [gula.pk]


def test_unsellable_listings_are_never_found(corpus):
    Listing.objects.filter(pk=corpus["gayo"].pk).update(sellable=False)
    assert set(ids(search("kopi"))) == {corpus["robusta"].pk, corpus["teh"].pk}


def test_the_index_follows_renames_and_deletes(corpus):
    madu = corpus["madu"]
    madu.search_name = stem_text("Madu Kelulut")
    madu.save(update_fields=["search_name"])
    assert ids(search("kelulut")) == [madu.pk]
    assert ids(search("asli")) == []
    # A price or stock change leaves the index as it was.
    Listing.objects.filter(pk=madu.pk).update(price=99_000)
    ListingTotals.objects.filter(pk=madu.pk).update(stock_online=3)
    assert ids(search("kelulut")) == [madu.pk]
    listing = Listing.objects.get(pk=corpus["tenun"].pk)
    listing.stock_levels.all().delete()
    listing.delete()
    assert ids(search("tenun")) == []


def test_candidates_are_capped_and_name_matches_kept(regions, monkeypatch):
    from kopdes.market import selectors_catalog

    monkeypatch.setattr(selectors_catalog, "MAX_RESULTS", 3)
    body = [listing_with(f"Produk {n}", "kopi") for n in range(4)]
    named = listing_with("Kopi Istimewa", "")
    page = search("kopi")
    assert page.total_capped and page.total == 3
    assert ids(page)[0] == named.pk  # found by the name, although past the cap
    assert set(ids(page)) <= {named.pk, *(listing.pk for listing in body)}
    assert MAX_RESULTS >= 1000


def test_when_the_name_matches_reach_the_cap_they_are_the_candidates(regions, monkeypatch):
    from kopdes.market import selectors_catalog

    monkeypatch.setattr(selectors_catalog, "MAX_RESULTS", 3)
    text_only = [listing_with(f"Produk {n}", "kopi robusta") for n in range(3)]
    named = [listing_with(f"Kopi Robusta {n}", "") for n in range(4)]
    page = search("kopi robusta")
    assert page.total_capped and page.total == 3
    assert len(ids(page)) == 3
    assert set(ids(page)) <= {listing.pk for listing in named}
    assert not set(ids(page)) & {listing.pk for listing in text_only}
    # A word found in the name of too few: the text matches fill the candidates up.
    assert set(ids(search("produk kopi"))) <= {listing.pk for listing in text_only}


def test_without_filters_the_candidates_are_the_newest_name_matches(regions, monkeypatch):
    """PostgreSQL takes them from the names' words, newest first, and SQLite walks its full-text
    index backwards; with several words whose windows find too few, PostgreSQL's GIN index of the
    names adds the rest."""
    from kopdes.market import search as search_module
    from kopdes.market import selectors_catalog

    monkeypatch.setattr(selectors_catalog, "MAX_RESULTS", 3)
    named = [listing_with(f"Kopi Robusta {n}", "") for n in range(5)]
    other = [listing_with(f"Kopi Arabika {n}", "") for n in range(4)]
    newest = [listing.pk for listing in reversed(named)][:3]
    for q in ("kopi robusta", "robusta"):
        page = search(q)
        assert page.total_capped and page.total == 3
        assert ids(page) == newest, q
    # Windows of two entries: "kopi" sees only the two newest arabika, which have no "robusta";
    # nothing is found among the windows and the names' GIN index finds them all the same.
    monkeypatch.setattr(search_module, "WORDS_WINDOW", 2)
    assert other[-1].pk > named[-1].pk
    page = search("robusta kopi")
    assert page.total_capped and page.total == 3
    assert set(ids(page)) <= {listing.pk for listing in named}
    monkeypatch.setattr(selectors_catalog, "MAX_RESULTS", 20)
    assert set(ids(search("robusta kopi"))) == {listing.pk for listing in named}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's names' words")
def test_the_names_words_follow_the_listings(regions):
    from kopdes.market.search import WORDS_TABLE

    def words(listing) -> dict[str, tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT term, stars, featured_month, province_code, price, created_at FROM {WORDS_TABLE}"  # noqa: S608
                " WHERE listing_id = %s",
                [listing.pk],
            )
            return {row[0]: row[1:] for row in cursor.fetchall()}

    listing = listing_with("Kopi Arabika Gayo", "biji kopi")
    listing.refresh_from_db()
    columns = (
        listing.stars,
        listing.featured_month,
        listing.province_code,
        listing.price,
        listing.created_at,
    )
    assert words(listing) == dict.fromkeys(["kopi", "arabika", "gayo"], columns)
    listing.search_name = stem_text("Kopi Luwak")
    listing.save(update_fields=["search_name"])
    assert set(words(listing)) == {"kopi", "luwak"}
    Listing.objects.filter(pk=listing.pk).update(price=77_000, stars=4)
    assert {(value[0], value[3]) for value in words(listing).values()} == {(4, 77_000)}  # stars, price
    ListingTotals.objects.filter(pk=listing.pk).update(stock_online=0)  # stock is not theirs
    assert set(words(listing)) == {"kopi", "luwak"}
    Listing.objects.filter(pk=listing.pk).update(sellable=False)
    assert words(listing) == {}
    Listing.objects.filter(pk=listing.pk).update(sellable=True)
    assert set(words(listing)) == {"kopi", "luwak"}
    listing.stock_levels.all().delete()
    Listing.objects.filter(pk=listing.pk).delete()
    assert words(listing) == {}
    listing_with("Madu Hutan", "")
    with connection.cursor() as cursor:
        count = f"SELECT count(*) FROM {WORDS_TABLE}"  # noqa: S608
        cursor.execute(count)
        assert cursor.fetchone()[0] == 2
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending checks
        cursor.execute("TRUNCATE market_listing CASCADE")  # as Django's flush does; rolled back after
        cursor.execute(count)
        assert cursor.fetchone()[0] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's names' words")
def test_rebuilding_the_names_words_gives_what_the_triggers_kept(corpus):
    from kopdes.market.search import WORDS_TABLE, words_rebuild

    Listing.objects.filter(pk=corpus["teh"].pk).update(sellable=False)
    query = (
        f"SELECT term, listing_id, stars, featured_month, province_code, price, created_at FROM {WORDS_TABLE}"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        kept = sorted(cursor.fetchall())
        assert words_rebuild(connection) == len(kept) > 0
        cursor.execute(query)
        assert sorted(cursor.fetchall()) == kept
    assert {row[1] for row in kept} == {listing.pk for key, listing in corpus.items() if key != "teh"}


# --- Suggestions ----------------------------------------------------------------------------------


def test_a_misspelt_word_gets_the_closest_known_word(corpus):
    for typo in ("kopi arabica", "kopi arabka", "arrabika kopi"):
        page = search(typo)
        assert page.total == 0
        assert sorted(page.suggestion.split()) == ["arabika", "kopi"], typo
    assert search("arabika").suggestion == ""  # something found: nothing to suggest


def test_no_suggestion_when_nothing_is_close_or_words_only_miss_together(corpus):
    assert search("qwzxv").suggestion == ""
    assert search("kopi madu").suggestion == ""  # both words exist, only not together


def test_suggest_terms_replaces_only_unknown_words(corpus):
    assert suggest_terms(["madu", "hutn"]) == ["madu", "hutan"]
    assert suggest_terms(["madu"]) is None


def test_vocabulary_follows_saves_and_can_be_rebuilt(corpus):
    assert SearchTerm.objects.filter(term="arabika").exists()
    SearchTerm.objects.all().delete()
    assert catalog_suggest(user=VISITOR, q="arabica") == []
    assert vocabulary_rebuild() > 10
    assert catalog_suggest(user=VISITOR, q="arabica") == ["arabika"]


def test_the_naive_baseline_agrees_on_simple_words(corpus):
    assert set(catalog_search_naive(q="madu")) == {corpus["madu"].pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN indexes")
def test_the_gin_indexes_keep_no_long_pending_list(regions):
    """Each sale writes its listing's row again: the names' index takes the entries at once and the
    text's keeps at most 128 kB pending, so a search never reads megabytes of them (migration 0006)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN"
            " ('market_listing_search_idx', 'market_listing_search_names_idx')"
        )
        options = dict(cursor.fetchall())
    assert options == {
        "market_listing_search_idx": ["gin_pending_list_limit=128"],
        "market_listing_search_names_idx": ["fastupdate=off"],
    }


def test_the_equality_filters_follow_a_listings_changes(corpus):
    """A listing moved to another regency, category or line, or given a licence, is found with its
    new filters and not with its old ones. On SQLite the filters are words of the full-text index
    too (`filter_tokens`), kept by its triggers; the search asks the index for them, and reads no
    listing's text."""
    from django.test.utils import CaptureQueriesContext

    gayo, robusta, teh = (corpus[key].pk for key in ("gayo", "robusta", "teh"))
    before = Listing.objects.get(pk=robusta)
    assert (before.regency_code, before.category, before.has_bpom) == ("64.02", "processed_food", False)
    line = "osop" if before.line != "osop" else "ovop"
    Listing.objects.filter(pk=robusta).update(
        regency_code="64.01", category="crafts", line=line, has_bpom=True, has_halal=True
    )
    with CaptureQueriesContext(connection) as captured:
        assert ids(search("kopi", regency="64.01")) == [robusta]
    assert ids(search("kopi", regency="64.02")) == [gayo, teh]
    assert ids(search("kopi", province="64")) == [robusta, gayo, teh]
    assert ids(search("kopi", category="crafts")) == [robusta]
    assert ids(search("kopi", category="processed_food")) == [gayo, teh]
    assert ids(search("kopi", line=line)) == [robusta]
    assert ids(search("kopi", bpom=True, halal=True, category="crafts", regency="64.01")) == [robusta]
    assert ids(search("kopi", bpom=True, category="processed_food")) == []
    Listing.objects.filter(pk=robusta).update(has_bpom=False)
    assert ids(search("kopi", bpom=True)) == []
    statements = " ".join(query["sql"] for query in captured.captured_queries)
    assert " LIKE " not in statements
    if connection.vendor == "sqlite":
        assert '"kopi" AND "_r_64.01"' in statements, statements


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 tables")
def test_sqlites_index_as_its_triggers_keep_it_is_what_a_rebuild_gives(corpus):
    """The index is contentless: its triggers must delete exactly the words and filters they
    inserted. After inserts, updates of words and filters, and a delete, every word and filter
    finds what it finds in an index rebuilt from the listings."""
    from kopdes.market.search import FTS_NAME_TABLE, FTS_TABLE, SQLITE_REBUILD

    madu = corpus["madu"]
    madu.search_name = stem_text("Kelulut Hutan")
    madu.save(update_fields=["search_name"])
    Listing.objects.filter(pk=corpus["gula"].pk).update(
        category="honey", has_halal=True, regency_code="64.01"
    )
    Listing.objects.filter(pk=corpus["teh"].pk).update(price=1, stars=5)  # no word or filter changes
    tenun = Listing.objects.get(pk=corpus["tenun"].pk)
    tenun.stock_levels.all().delete()
    tenun.delete()
    words = ["kopi", "madu", "kelulut", "asli", "tenun", "gula", "_c_honey", "_c_processed_food"]
    words += ["_r_64.01", "_r_64.02", "_p_64", "_halal", "_bpom"]

    def index() -> dict[tuple[str, str], list[int]]:
        found = {}
        with connection.cursor() as cursor:
            for table in (FTS_TABLE, FTS_NAME_TABLE):
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")  # noqa: S608
                for word in words:
                    cursor.execute(
                        f"SELECT rowid FROM {table} WHERE {table} MATCH %s ORDER BY rowid",  # noqa: S608
                        [f'"{word}"'],
                    )
                    found[table, word] = [row[0] for row in cursor.fetchall()]
        return found

    kept = index()
    assert kept[FTS_TABLE, "_c_honey"] == [corpus["gula"].pk]
    assert kept[FTS_TABLE, "tenun"] == kept[FTS_TABLE, "asli"] == kept[FTS_NAME_TABLE, "madu"] == []
    assert kept[FTS_TABLE, "madu"] == [madu.pk]  # "madu" of the text, no longer of the name
    with connection.cursor() as cursor:
        for sql in SQLITE_REBUILD:
            cursor.execute(sql)
    assert index() == kept


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 tables")
def test_sqlites_index_of_the_words_alone_is_made_again_with_the_filters(corpus):
    """A database whose full-text tables predate the filters' words (external-content tables of the
    listings' words alone) gets the new tables, filled, at the next migrate."""
    from kopdes.market.search import FTS_TABLE, SQLITE_DROP, search_schema_ensure

    early = [
        """CREATE VIRTUAL TABLE market_listing_search USING fts5(search_name, search_text,
           content='market_listing', content_rowid='id', detail='none', columnsize=0)""",
        """CREATE VIRTUAL TABLE market_listing_search_name USING fts5(search_name,
           content='market_listing', content_rowid='id', detail='none', columnsize=0)""",
        """CREATE TRIGGER market_listing_search_ai AFTER INSERT ON market_listing BEGIN
           INSERT INTO market_listing_search(rowid, search_name, search_text)
           VALUES (new.id, new.search_name, new.search_text); END""",
    ]
    with connection.cursor() as cursor:
        for sql in [*SQLITE_DROP, *early]:
            cursor.execute(sql)
        cursor.execute("INSERT INTO market_listing_search(market_listing_search) VALUES ('rebuild')")
    search_schema_ensure(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [FTS_TABLE])
        assert "search_filters" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            ["market_listing_search_a_"],
        )
        assert cursor.fetchone()[0] == 3
    assert set(ids(search("kopi", category="processed_food", regency="64.02"))) == {
        corpus[key].pk for key in ("gayo", "robusta", "teh")
    }
    assert set(ids(search("kopi"))) == {corpus[key].pk for key in ("gayo", "robusta", "teh")}


def test_a_category_or_a_licence_by_price_or_stars_is_read_in_the_order_of_its_index(corpus):
    """A category's prices are not the catalog's (honey's are above most): walking the price index
    for the cheapest honey read most listings (1.0 s on SQLite, 1.9 s on PostgreSQL at a million
    listings). The category's index holds the price (migration 0012), both ways; another holds
    its stars (SQLite walked every listing's stars for the best of a small category: 750 ms), and
    the licensed listings' prices theirs (migration 0013)."""
    from django.test.utils import CaptureQueriesContext

    Listing.objects.filter(pk=corpus["madu"].pk).update(category="honey", price=90_000, stars=3)
    Listing.objects.filter(pk=corpus["gula"].pk).update(category="honey", price=15_000, stars=4)
    honey = {
        SortOrder.PRICE_LOW: (["gula", "madu"], "listing_category_price_idx"),
        SortOrder.PRICE_HIGH: (["madu", "gula"], "listing_category_price_idx"),
        SortOrder.STARS: (["gula", "madu"], "market_listing_category_stars_idx"),
    }
    Listing.objects.filter(pk__in=[corpus["gula"].pk, corpus["madu"].pk]).update(has_bpom=True)
    cases = [({"category": "honey"}, sort, expected, index) for sort, (expected, index) in honey.items()]
    # BPOM's or halal's dearest (cloth and crafts are dear and seldom licensed): their own indexes.
    cases.append(({"bpom": True}, SortOrder.PRICE_HIGH, ["madu", "gula"], "listing_bpom_price_idx"))
    cases.append(({"halal": True}, SortOrder.PRICE_HIGH, [], "listing_halal_price_idx"))
    for filters, sort, expected, index in cases:
        with CaptureQueriesContext(connection) as captured:
            assert ids(search(sort=sort, **filters)) == [corpus[key].pk for key in expected]
        (statement,) = [
            query["sql"] for query in captured.captured_queries if "market_listing" in query["sql"]
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # A few rows: reading them all and sorting them costs less than any index, and the
                # planner may take that, whatever the statistics of the suite's earlier tests say.
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL enable_sort = off")
                cursor.execute("EXPLAIN " + statement)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + statement)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert index in plan, (sort, plan)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's choice of index")
def test_the_cards_of_a_filtered_search_are_read_by_key(corpus):
    """With a price range SQLite took the price index for the page's cards, and read every listing
    in the range to find 24 (50 ms at a million listings)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert ids(search("gula", price_min=1, price_max=10**9)) == [corpus["gula"].pk]
    cards = [query["sql"] for query in captured.captured_queries if "NOT INDEXED" in query["sql"]]
    assert len(cards) == 1
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + cards[0])
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "market_listing USING INTEGER PRIMARY KEY" in plan, plan


def catalog_listings_sql(**filters) -> object:
    """The listings a search with these filters looks among, as SQL."""
    return _filtered(CatalogQuery(**filters), words=True).query


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN indexes")
def test_the_gin_indexes_hold_the_equality_filters(corpus):
    """A search in a regency, a province, a category or a line is one scan of a GIN index that
    holds the words and the filter (btree_gin; migration 0011)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN"
            " ('market_listing_search_idx', 'market_listing_search_names_idx')"
        )
        definitions = dict(cursor.fetchall())
        assert sorted(definitions) == ["market_listing_search_idx", "market_listing_search_names_idx"]
        columns = "category, line, province_code, regency_code, ((has_halal)::integer), ((has_bpom)::integer)"
        for definition in definitions.values():
            assert columns in definition, definition
        # The B-trees of the regency out of the planner's way (the test's transaction puts them back).
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'market_listing'"
            " AND indexdef LIKE '%%regency_code%%' AND indexdef NOT LIKE '%%USING gin%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM market_listing WHERE regency_code = '64.02'"
            " AND search_name_vector @@ plainto_tsquery('simple', 'kopi')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "market_listing_search_names_idx" in plan, plan
    assert "regency_code" in plan.split("Index Cond:")[1], plan
    # The licences' flags as the catalog writes them on PostgreSQL: the GIN index serves them too.
    halal = str(catalog_listings_sql(halal=True))
    assert '("market_listing"."has_halal")::integer = 1' in halal, halal
    browsing = str(_filtered(CatalogQuery(halal=True)).query)  # no words: the planner's statistics
    assert "::integer" not in browsing and '"market_listing"."has_halal"' in browsing, browsing
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM market_listing WHERE has_halal::integer = 1"
            " AND search_name_vector @@ plainto_tsquery('simple', 'kopi')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "market_listing_search_names_idx" in plan and "has_halal" in plan.split("Index Cond:")[1], plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_searches_with_filters_are_planned_for_their_own_words(corpus):
    """The connections prepare what they run twice, and PostgreSQL may then plan it once for
    every value. A search with filters is never prepared; one without keeps its prepared plan
    (the names' words: one good plan for every word)."""
    from kopdes.core.rows import planned_each_time

    def prepared(*texts: str) -> int:
        with connection.cursor() as cursor:
            sql = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE ALL(%s)"
            cursor.execute(sql, [[f"%{text}%" for text in texts]])
            return cursor.fetchone()[0]

    for _run in range(3):
        assert ids(search("madu", province="64")) == [corpus["madu"].pk]
        assert ids(search("madu")) == [corpus["madu"].pk]
    assert prepared("plainto_tsquery", '"province_code" = $') == 0  # the filtered search
    assert prepared("market_listing_word") == 1
    threshold = connection.connection.prepare_threshold
    assert threshold is not None
    with pytest.raises(RuntimeError), planned_each_time(connection):
        assert connection.connection.prepare_threshold is None
        raise RuntimeError
    assert connection.connection.prepare_threshold == threshold


def test_browsing_a_range_in_another_order_walks_that_orders_index(regions):
    """A price or stars range, browsed by another order, gives the same pages on both databases;
    on SQLite the page walks the order's index and tests the range on each listing (`_filtered`,
    `walk`), and the count keeps the range's index."""
    from django.test.utils import CaptureQueriesContext

    prices_and_stars = [(10_000, 5), (20_000, 3), (30_000, 4), (40_000, 5), (90_000, 4)]
    pk = []
    for n, (price, stars) in enumerate(prices_and_stars):
        pk.append(listing_with(f"Kopi {n}", "", price=price).pk)
        Listing.objects.filter(pk=pk[-1]).update(stars=stars)
    ranges = {"price_min": 15_000, "price_max": 50_000}
    expected = {
        SortOrder.NEWEST: [pk[3], pk[2], pk[1]],
        SortOrder.PRICE_LOW: [pk[1], pk[2], pk[3]],
        SortOrder.PRICE_HIGH: [pk[3], pk[2], pk[1]],
        SortOrder.STARS: [pk[3], pk[2], pk[1]],
        SortOrder.RELEVANCE: [pk[3], pk[2], pk[1]],
    }
    for sort, listings in expected.items():
        with CaptureQueriesContext(connection) as captured:
            page = search(sort=sort, **ranges)
        assert (ids(page), page.total) == (listings, 3), sort
        # The count and the page's first cards: the first statement (relevance may read more).
        statement = next(
            query["sql"] for query in captured.captured_queries if "market_listing" in query["sql"]
        )
        walked = '+"market_listing"."price"' in statement
        assert walked == (
            connection.vendor == "sqlite" and sort not in (SortOrder.PRICE_LOW, SortOrder.PRICE_HIGH)
        )
        if walked:
            count = statement.split(" LEFT JOIN ")[0]
            assert "+" not in count, count
    assert ids(search(sort=SortOrder.PRICE_LOW, min_stars=5)) == [pk[0], pk[3]]
    assert ids(search(sort=SortOrder.STARS, min_stars=4, price_max=35_000)) == [pk[0], pk[2]]
    if connection.vendor == "sqlite":
        with CaptureQueriesContext(connection) as captured:
            search(sort=SortOrder.NEWEST, price_min=15_000, price_max=50_000)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + captured.captured_queries[-1]["sql"])
            plan = [str(row[-1]) for row in cursor.fetchall()]
        cards = [line for line in plan if "SEARCH market_listing USING" in line][-1]
        assert "listing_newest_idx" in cards, plan
