from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.products import services_licences as services
from kopdes.products.choices import LicenceStatus, LicenceType, ProductStatus
from kopdes.products.models import FeaturedProduct, Licence, ProvinceTarget
from kopdes.products.tests.factories import make_product
from kopdes.regions.models import Region


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def product(regions):
    return make_product()


@pytest.fixture
def producer_user(product):
    return person(Role.PRODUCER, org=product.producer.organization)


def test_the_producer_sees_the_licences_page_and_saves_a_licence(client, product, producer_user):
    client.force_login(producer_user)
    url = reverse("products:licences", args=[product.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"SPP-IRT" in page.content
    response = client.post(
        url,
        {
            "licence_type": LicenceType.NIB,
            "status": LicenceStatus.ISSUED,
            "number": "1234567890123",
            "issuer": "OSS",
            "issued_on": "2025-01-01",
            "expires_on": "",
            "document": SimpleUploadedFile("nib.pdf", b"%PDF-1.4 x"),
        },
    )
    assert response.status_code == 302
    assert Licence.objects.get(product=product).number == "1234567890123"


def test_an_expiry_before_issue_shows_on_the_form(client, product, producer_user):
    client.force_login(producer_user)
    response = client.post(
        reverse("products:licences", args=[product.pk]),
        {
            "licence_type": LicenceType.NIB,
            "status": LicenceStatus.ISSUED,
            "number": "1",
            "issued_on": "2025-01-01",
            "expires_on": "2024-01-01",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["expires_on"]
    assert not Licence.objects.exists()


def test_another_cooperatives_officer_is_refused_the_licences_page(client, product, regions):
    other = make_product("53.07.01.2001" if Region.objects.filter(code="53.07.01.2001").exists() else None)
    client.force_login(person(Role.KETUA, org=other.cooperative.organization))
    assert client.get(reverse("products:licences", args=[product.pk])).status_code == 403


def test_a_buyer_cannot_post_a_licence(client, product, regions):
    client.force_login(person(Role.BUYER))
    assert client.post(reverse("products:licences", args=[product.pk]), {}).status_code == 403


def test_marking_ready_from_the_page_says_what_is_missing(client, product, producer_user):
    product.status = ProductStatus.CURATED
    product.save()
    client.force_login(producer_user)
    response = client.post(reverse("products:mark_ready", args=[product.pk]), follow=True)
    assert b"missing" in response.content
    product.refresh_from_db()
    assert product.status == ProductStatus.CURATED


def test_a_mentor_cannot_mark_a_product_ready(client, product, regions):
    client.force_login(person(Role.MENTOR, region="64.02", scope="64.02"))
    assert client.post(reverse("products:mark_ready", args=[product.pk])).status_code == 403


def test_the_due_list_shows_the_officers_whatsapp(client, product, producer_user):
    ketua = person(Role.KETUA, org=product.cooperative.organization, phone="+6281234567890")
    services.licence_set(
        actor=producer_user,
        product=product,
        licence_type=LicenceType.NIB,
        number="1",
        issued_on=dt.date(2025, 1, 1),
        expires_on=dt.date.today() + dt.timedelta(days=20),
        status=LicenceStatus.ISSUED,
    )
    client.force_login(ketua)
    page = client.get(reverse("products:licences_due"))
    assert page.status_code == 200
    assert b"https://wa.me/6281234567890" in page.content


def test_the_due_list_is_empty_for_another_regency_admin_and_refused_to_a_buyer(client, product, regions):
    client.force_login(person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"))
    assert b"No licence expires" in client.get(reverse("products:licences_due")).content
    client.force_login(person(Role.BUYER))
    assert client.get(reverse("products:licences_due")).status_code == 403


def test_the_province_board_is_public_and_fast(client, regions, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        page = client.get(reverse("products:board_province", args=["53"]) + "?year=2026")
    assert page.status_code == 200 and b"Sikka" in page.content


def test_a_province_admin_sets_the_target_on_the_board_and_others_are_refused(client, regions):
    url = reverse("products:board_province", args=["53"])
    client.force_login(person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"))
    assert client.post(url, {"per_regency_per_month": 4}).status_code == 403
    client.force_login(person(Role.ADMIN_PROVINCE, region="53", scope="53"))
    assert client.post(url, {"per_regency_per_month": 4}).status_code == 302
    assert ProvinceTarget.objects.get(province_id="53").per_regency_per_month == 4


def test_a_regency_admin_features_a_product_from_the_regency_board(client, regions):
    village = Region.objects.filter(code__startswith="53.07.", level=4).order_by("code").first()
    product = make_product(village.code, status=ProductStatus.CURATED)
    url = reverse("products:board_regency", args=["53.07"])
    client.force_login(person(Role.ADMIN_REGENCY, region="53.01", scope="53.01"))
    assert client.post(url, {"product": product.pk}).status_code == 403
    client.force_login(person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"))
    assert client.post(url, {"product": product.pk}).status_code == 302
    assert FeaturedProduct.objects.filter(product=product).exists()
    client.logout()
    page = client.get(url)
    assert page.status_code == 200 and product.name.encode() in page.content


def test_an_unknown_region_board_is_a_404(client, regions):
    assert client.get(reverse("products:board_province", args=["99"])).status_code == 404
    assert client.get(reverse("products:board_regency", args=["53"])).status_code == 404


def test_the_licence_document_is_served_to_the_producer_and_refused_to_others(client, product, producer_user):
    licence = services.licence_set(
        actor=producer_user,
        product=product,
        licence_type=LicenceType.NIB,
        document=SimpleUploadedFile("nib.pdf", b"%PDF-1.4 x"),
    )
    url = reverse("products:licence_document", args=[licence.pk])
    client.force_login(producer_user)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"))
    assert client.get(url).status_code == 403
