from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import override_settings


def test_healthz_reports_the_database_and_redis(client, db):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["redis"] == ("ok" if settings.REDIS_URL else "not configured")


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_answers_503_when_redis_is_down(client, db):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["redis"] == "down"


def test_the_home_page_is_indonesian_by_default_and_english_on_request(client, db):
    indonesian = client.get("/").content.decode()
    client.get("/bahasa/en/?next=/")
    english = client.get("/").content.decode()

    assert 'lang="id"' in indonesian and "Masuk" in indonesian
    assert 'lang="en"' in english and "Log in" in english


def test_the_home_page_is_light_and_loads_nothing_from_outside(client, db):
    response = client.get("/")
    html = response.content.decode()

    assert len(response.content) < 100_000
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html)


@pytest.mark.parametrize(("language", "text"), [("id", "Halaman tidak ditemukan"), ("en", "Page not found")])
def test_an_unknown_page_is_a_friendly_404_in_both_languages(client, db, language, text):
    response = client.get("/tidak-ada/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    assert text in response.content.decode()


def test_the_500_page_renders_without_a_database_or_context():
    from django.test import RequestFactory

    from kopdes.core.views import error_500

    response = error_500(RequestFactory().get("/"))

    assert response.status_code == 500
    assert b"Kopdes" in response.content


def test_the_floor_view_answers_plain_text(client, db):
    response = client.get("/ping")

    assert response.status_code == 200 and response.content == b"pong"


def test_the_api_docs_use_assets_served_by_the_app(client, db):
    html = client.get("/api/v1/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Kopdes API"


def test_public_photos_are_served_and_private_uploads_are_not(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "cooperatives" / "photos").mkdir(parents=True)
    (tmp_path / "cooperatives" / "photos" / "a.jpg").write_bytes(b"\xff\xd8\xff photo")
    (tmp_path / "cooperatives" / "evidence").mkdir(parents=True)
    (tmp_path / "cooperatives" / "evidence" / "deed.pdf").write_bytes(b"%PDF- secret")

    photo = client.get("/media/cooperatives/photos/a.jpg")

    assert photo.status_code == 200 and b"".join(photo.streaming_content) == b"\xff\xd8\xff photo"
    assert client.get("/media/cooperatives/evidence/deed.pdf").status_code == 404
    assert client.get("/media/cooperatives/photos/../evidence/deed.pdf").status_code == 404
