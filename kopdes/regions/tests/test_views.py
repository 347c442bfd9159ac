from __future__ import annotations

import re

import pytest
from django.urls import reverse


def test_the_national_page_lists_the_38_provinces(client, regions, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("regions:index"))

    assert response.status_code == 200
    assert len(response.context["children"]) == 38
    assert "Nusa Tenggara Timur" in response.content.decode()


@pytest.mark.parametrize(("code", "children"), [("53", 22), ("64.02", 20), ("64.02.06", 14)])
def test_a_region_page_shows_its_children_in_a_fixed_number_of_queries(
    client, regions, django_assert_max_num_queries, code, children
):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("regions:detail", args=[code]))

    assert response.status_code == 200
    assert (
        len(set(re.findall(rf'href="/wilayah/({re.escape(code)}\.[0-9.]+)/"', response.content.decode())))
        == children
    )


def test_a_village_page_shows_its_postal_code_and_breadcrumb(client, regions):
    response = client.get(reverse("regions:detail", args=["64.02.06.1001"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Kabupaten Kutai Kartanegara" in html and "Tenggarong" in html
    assert response.context["region"].postal_code in html


@pytest.mark.parametrize("code", ["99", "53.99", "not-a-code", "53.07.01.9999"])
def test_an_unknown_region_code_is_a_friendly_404(client, regions, code):
    response = client.get(reverse("regions:detail", args=[code]))

    assert response.status_code == 404
    assert code in response.content.decode()


def test_a_region_is_reachable_by_its_undotted_code(client, regions):
    response = client.get(reverse("regions:detail", args=["5307"]))

    assert response.context["region"].name == "Kabupaten Sikka"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("sikka", "Kabupaten Sikka"),
        ("tenggarong", "Tenggarong"),
        ("Kab. Kutai Kartanegara", "Kabupaten Kutai Kartanegara"),
    ],
)
def test_searching_a_place_by_name_puts_the_best_match_first(client, regions, query, first):
    response = client.get(reverse("regions:search"), {"q": query})

    assert response.context["results"][0].name == first


def test_an_htmx_search_returns_only_the_results_fragment(client, regions):
    response = client.get(reverse("regions:search"), {"q": "tenggarong"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html and "Tenggarong Seberang" in html


def test_a_search_without_matches_says_what_to_do_next(client, regions):
    response = client.get(reverse("regions:search"), {"q": "qwertyuiop"})

    assert response.context["results"] == []
    assert reverse("regions:index") in response.content.decode()


def test_the_picker_starts_with_the_provinces(client, regions):
    response = client.get(reverse("regions:picker"), {"name": "region"})

    levels = response.context["picker"]["levels"]
    assert [lv["level"] for lv in levels] == [1]
    assert len(levels[0]["options"]) == 38


def test_the_picker_offers_the_next_level_after_each_choice(client, regions, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(
            reverse("regions:picker"),
            {"name": "addr", "addr__1": "53", "addr__2": "53.07", "addr__3": "53.07.01"},
            HTTP_HX_REQUEST="true",
        )

    levels = response.context["picker"]["levels"]
    assert [lv["selected"] for lv in levels] == ["53", "53.07", "53.07.01", ""]
    assert all(code.startswith("53.07.01.") for code, _ in levels[3]["options"])
    assert 'name="addr__4"' in response.content.decode()


def test_the_picker_drops_lower_choices_that_no_longer_fit(client, regions):
    # The province changed to Kalimantan Timur while Sikka was still chosen below it.
    response = client.get(
        reverse("regions:picker"), {"name": "r", "r__1": "64", "r__2": "53.07", "r__3": "53.07.01"}
    )

    levels = response.context["picker"]["levels"]
    assert [lv["selected"] for lv in levels] == ["64", ""]


def test_the_picker_stops_at_its_deepest_level(client, regions):
    response = client.get(
        reverse("regions:picker"), {"name": "r", "max_level": 2, "r__1": "53", "r__2": "53.07"}
    )

    assert [lv["level"] for lv in response.context["picker"]["levels"]] == [1, 2]


def test_a_region_page_body_is_served_from_the_cache_on_the_next_visit(
    client, regions, django_assert_max_num_queries
):
    client.get(reverse("regions:detail", args=["53"]))

    with django_assert_max_num_queries(1):  # the region itself, for the 404 check and the policy
        response = client.get(reverse("regions:detail", args=["53"]))

    assert "Kabupaten Sikka" in response.content.decode()


def test_reloading_the_tree_with_changes_drops_the_cached_pages(
    client, regions, django_capture_on_commit_callbacks
):
    from kopdes.regions.models import Region
    from kopdes.regions.services import regions_load

    client.get(reverse("regions:detail", args=["53"]))
    Region.objects.filter(code="53.07").update(name="Kabupaten Lama")
    with django_capture_on_commit_callbacks(execute=True):
        regions_load()  # repairs the name and bumps the tree version

    assert "Kabupaten Sikka" in client.get(reverse("regions:detail", args=["53"])).content.decode()


def test_a_process_trusts_the_tree_version_it_read_for_a_few_seconds(monkeypatch):
    """Another process's load is seen within TREE_VERSION_TRUSTED seconds (one cache read per
    process in that time, not one per page); this process's own load at once."""
    from django.core.cache import cache

    from kopdes.regions import selectors
    from kopdes.regions.services import _bump_tree_version

    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    selectors.forget_tree_version()
    cache.set(selectors.TREE_VERSION_KEY, 7, None)
    assert selectors.tree_version() == 7

    cache.set(selectors.TREE_VERSION_KEY, 8, None)  # another process loaded the regions
    clock[0] += selectors.TREE_VERSION_TRUSTED - 0.1
    assert selectors.tree_version() == 7
    clock[0] += 0.1
    assert selectors.tree_version() == 8

    _bump_tree_version()  # a load here
    assert selectors.tree_version() == cache.get(selectors.TREE_VERSION_KEY) != 8


def test_the_language_switch_is_a_link_and_needs_no_csrf_token(client, regions):
    response = client.get("/bahasa/en/?next=/wilayah/53/")

    assert response.status_code == 302 and response.url == "/wilayah/53/"
    assert "Regions of Indonesia" in client.get(reverse("regions:index")).content.decode()
    assert client.get("/bahasa/id/?next=https://evil.example/").url == "/"
