from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives import media, services
from kopdes.cooperatives.choices import Position, Stage, UnitKind, UnitStatus
from kopdes.core.tests.browser import horizontal_overflow, load_measured, screenshot
from kopdes.core.visitor_cache import page_cache
from kopdes.market.tests.factories import generation_queries
from kopdes.regions.models import Region


@pytest.fixture(autouse=True)
def _in_english(client):
    # These tests read the English messages; the interface defaults to Indonesian.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


VILLAGE = "64.02.06.1001"
NIK = "6402064101900001"


def png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (179, 0, 27)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


@pytest.fixture
def coop(admin):
    return services.cooperative_create(
        actor=None,
        village=Region.objects.get(code=VILLAGE),
        phone="0812-3456-7890",
        description="Kami melayani sembako dan simpan pinjam.",
        latitude="-0.416700",
        longitude="116.983300",
    )


@pytest.fixture
def furnished(coop, admin):
    """A cooperative with an officer, a member, units (with photos) and a photo."""
    chair = person(region=VILLAGE, full_name="Budi Santoso", phone="+6281311112222")
    services.officer_appoint(
        actor=admin, cooperative=coop, user=chair, position=Position.KETUA, term_start=dt.date(2025, 7, 1)
    )
    services.member_add(
        actor=admin, cooperative=coop, nik=NIK, full_name="Siti Anggota", joined_on=dt.date(2025, 8, 1)
    )
    shop = services.unit_create(
        actor=admin, cooperative=coop, kind=UnitKind.GERAI_SEMBAKO, status=UnitStatus.OPERATING
    )
    services.unit_create(actor=admin, cooperative=coop, kind=UnitKind.AGEN_LPG, name="Pangkalan LPG Maju")
    media.unit_photo_add(actor=admin, unit=shop, image=png("shop.png"), caption="Gerai kami")
    media.cooperative_photo_add(
        actor=admin, cooperative=coop, image=png("front.png"), caption="Kantor koperasi"
    )
    services.stage_record(
        actor=admin, cooperative=coop, stage=Stage.SOSIALISASI, happened_on=dt.date(2025, 6, 1)
    )
    return coop


def test_the_microsite_address_is_the_village_code_without_dots(coop):
    assert coop.get_public_url() == "/k/6402061001/"


def test_anyone_can_open_the_microsite_without_logging_in(client, furnished):
    response = client.get(furnished.get_public_url(), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert furnished.name in html
    assert "Budi Santoso" in html and "Chair (ketua)" in html
    assert "Kami melayani sembako" in html
    assert "Pangkalan LPG Maju" in html
    assert 'loading="lazy"' in html and "/media/cooperatives/units/" in html
    assert "/media/cooperatives/photos/" in html
    assert reverse("regions:detail", args=["64.02"]) in html
    assert (
        "https://www.openstreetmap.org/?mlat=-0.416700&amp;mlon=116.983300#map=16/-0.416700/116.983300"
        in html
    )
    assert reverse("cooperatives:microsite_qr", args=[furnished.slug]) in html


def test_the_microsite_offers_whatsapp_with_a_prefilled_question(client, coop):
    html = client.get(coop.get_public_url()).content.decode()

    assert "https://wa.me/6281234567890?text=Hal" in html or "https://wa.me/6281234567890?text=Hello" in html
    assert "Merah%20Putih" in html
    assert "0812-3456-7890" in html


def test_the_microsite_shows_which_of_the_seven_units_operate_and_the_formation_progress(client, furnished):
    html = client.get(furnished.get_public_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert html.count("✓") == 1  # the grocery outlet; socialisation is recorded but not yet verified
    assert "In progress" in html
    assert "1 of the 7 expected units is operating." in html


def test_the_microsite_never_shows_members_niks_or_officers_phones(client, furnished):
    html = client.get(furnished.get_public_url()).content.decode()

    assert "Siti Anggota" not in html
    # No NIK: sixteen digits that are not part of a longer hex token (a photo's file name is a
    # random UUID, sixteen digits in a row in one of them now and then).
    assert not re.search(r"(?<![0-9a-f])\d{16}(?![0-9a-f])", html)
    assert "6402********0001" not in html
    assert "6281311112222" not in html and "0813-1111-2222" not in html


def test_the_microsite_stays_light_for_a_weak_connection(client, furnished, admin):
    for kind in [*UnitKind.values] * 2:
        unit = services.unit_create(actor=admin, cooperative=furnished, kind=kind, name=f"Unit {kind}")
        for n in range(5):
            media.unit_photo_add(actor=admin, unit=unit, image=png(), caption=f"Foto {n}")
    for n in range(15):
        media.cooperative_photo_add(actor=admin, cooperative=furnished, image=png(), caption=f"Foto {n}")

    response = client.get(furnished.get_public_url())

    html = response.content.decode()
    assert len(response.content) < 30_000
    assert "<script>" not in html and "<iframe" not in html
    assert all('loading="lazy"' in img for img in re.findall(r"<img [^>]*>", html))


def test_an_unknown_address_gets_the_friendly_404_page(client, regions):
    response = client.get("/k/9999999999/")

    assert response.status_code == 404
    assert "No cooperative has this address" in response.content.decode()


def test_the_second_anonymous_visit_is_served_from_the_cache_without_rendering(
    client, furnished, django_assert_num_queries, django_assert_max_num_queries
):
    # Seven: the cooperative's own six, and the market's products for sale (a registered section);
    # with a cache per worker (no Redis), the catalog generation's row too, for the cache key.
    with django_assert_max_num_queries(7 + generation_queries()):
        first = client.get(furnished.get_public_url())

    with django_assert_num_queries(generation_queries()):  # the generation's row without Redis
        second = client.get(furnished.get_public_url())

    assert second.status_code == 200 and second.content == first.content


def test_a_logged_in_visitor_gets_a_fresh_page_in_a_few_queries(
    client, furnished, django_assert_max_num_queries
):
    client.force_login(person(Role.BUYER))
    client.get(furnished.get_public_url())

    # Nine: session and user, the page's seven (the market's products for sale among them).
    with django_assert_max_num_queries(9):
        response = client.get(furnished.get_public_url())

    assert response.status_code == 200 and "Budi Santoso" in response.content.decode()


def test_the_qr_code_is_an_svg_of_the_full_address_with_long_cache_headers(client, coop):
    response = client.get(reverse("cooperatives:microsite_qr", args=[coop.slug]))

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert body.startswith(("<svg", "<?xml"))
    # Our own server's output, not untrusted input.
    assert ET.fromstring(body).tag.endswith("svg")  # noqa: S314
    path_d = re.search(r' d="([^"]+)"', body).group(1)
    assert path_d in segno.make("http://testserver/k/6402061001/", error="m").svg_inline(scale=4, border=2)
    assert "max-age=2592000" in response["Cache-Control"] and "public" in response["Cache-Control"]


def test_the_qr_code_of_an_unknown_address_is_a_404(client, regions):
    assert client.get("/k/9999999999/qr.svg").status_code == 404


def test_a_new_cooperatives_microsite_says_what_is_still_missing(client, regions):
    bare = services.cooperative_create(actor=None, village=Region.objects.get(code="64.02.06.1002"))

    html = client.get(bare.get_public_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Formation not started" in html
    assert "The officers have not been registered yet" in html
    assert "No photos yet" in html and "The map point has not been set yet" in html
    assert "No contact has been given yet" in html and "wa.me" not in html
    assert "0 of the 7 expected units are operating." in html


def test_a_change_reaches_visitors_when_the_cached_page_expires(client, coop, admin):
    client.get(coop.get_public_url())
    services.cooperative_update(actor=admin, cooperative=coop, description="Profil baru")

    cached = client.get(coop.get_public_url()).content.decode()
    page_cache().clear()  # what the 5-minute timeout does
    fresh = client.get(coop.get_public_url()).content.decode()

    assert "Profil baru" not in cached and "Profil baru" in fresh


# --- On a phone -----------------------------------------------------------------------------

# Everything, the frame's shared (and browser-cached) stylesheet and htmx included, as for the home page.
PAGE_BUDGET = 100 * 1024
# What is the microsite's own: its HTML and the QR code.
OWN_BUDGET = 15 * 1024


@pytest.mark.browser
def test_the_microsite_fits_a_phone_and_loads_little_from_this_server_only(
    phone_page, live_server, route_guard, regions
):
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    coop = services.cooperative_create(
        actor=None,
        village=Region.objects.get(code=VILLAGE),
        phone="0812-3456-7890",
        description="Kami melayani sembako dan simpan pinjam untuk warga Jahab.",
        latitude="-0.416700",
        longitude="116.983300",
    )
    chair = person(region=VILLAGE, full_name="Budi Santoso")
    services.officer_appoint(
        actor=admin, cooperative=coop, user=chair, position=Position.KETUA, term_start=dt.date(2025, 7, 1)
    )
    services.unit_create(
        actor=admin, cooperative=coop, kind=UnitKind.GERAI_SEMBAKO, status=UnitStatus.OPERATING
    )

    transfer = load_measured(phone_page, coop.get_public_url())

    screenshot(phone_page, "microsite")
    assert horizontal_overflow(phone_page) <= 0
    assert phone_page.locator("h1").inner_text() == coop.name
    assert phone_page.locator("img[src$='qr.svg']").evaluate("img => img.naturalWidth") > 0
    assert transfer.decoded_bytes <= PAGE_BUDGET, transfer.describe()
    own = sum(size for url, *_rest, size in transfer.entries if "/k/" in url)
    assert own <= OWN_BUDGET, transfer.describe()
    route_guard.assert_only_live_server()
