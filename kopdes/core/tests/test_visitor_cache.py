from __future__ import annotations

import pytest
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person


def test_an_anonymous_visitor_gets_the_cached_page_without_queries(
    client, regions, django_assert_num_queries
):
    first = client.get(reverse("regions:detail", args=["64.02"]))

    with django_assert_num_queries(0):
        second = client.get(reverse("regions:detail", args=["64.02"]))

    assert second.content == first.content
    assert "Cookie" in second["Vary"]


def test_the_cache_keeps_languages_apart(client, regions):
    indonesian = client.get("/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Masuk" in indonesian and "Log in" in english


def test_a_logged_in_user_never_gets_the_visitors_copy(client, regions):
    client.get("/")  # a visitor fills the cache
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02", full_name="Admin Kukar")
    client.force_login(admin)

    html = client.get("/").content.decode()

    assert reverse("accounts:users") in html  # the admin's own navigation


def test_an_unknown_region_is_not_cached_and_stays_404(client, regions):
    assert client.get(reverse("regions:detail", args=["99"])).status_code == 404
    assert client.get(reverse("regions:detail", args=["99"])).status_code == 404


@pytest.mark.parametrize("extra", [{"QUERY_STRING": "x=1"}, {"HTTP_HX_REQUEST": "true"}])
def test_query_strings_and_htmx_requests_bypass_the_cache(client, regions, extra):
    client.get(reverse("regions:detail", args=["53"]))

    response = client.get(reverse("regions:detail", args=["53"]), **extra)

    assert response.status_code == 200
    assert response.context is not None  # rendered, not served from the cache
