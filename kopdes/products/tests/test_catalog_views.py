"""Catalog pages: potential, producers, managing products and the public product pages."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.market.tests.factories import generation_queries
from kopdes.products import services_catalog as services
from kopdes.products.choices import Category, LicenceStatus, LicenceType, ProductStatus, Sector
from kopdes.products.models import Licence, Potential, Producer, Product
from kopdes.products.tests.factories import cooperative_for, make_producer, make_product
from kopdes.regions.models import Region

JAHAB = "64.02.06.1001"
LOA_IPUH = "64.02.06.1002"


def png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (179, 0, 27)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def coop(regions):
    return cooperative_for(JAHAB)


@pytest.fixture
def ketua(coop):
    return person(Role.KETUA, region=JAHAB, org=coop.organization)


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


@pytest.fixture
def producer(coop):
    return make_producer(JAHAB)


@pytest.fixture
def maker(producer):
    return person(Role.PRODUCER, org=producer.organization)


# --- Potential --------------------------------------------------------------------------------


def test_anyone_sees_a_villages_potential_but_only_officers_get_the_form(client, ketua, coop):
    url = reverse("products:potential_village", args=[JAHAB])
    response = client.get(url)
    assert response.status_code == 200 and b"Record a commodity" not in response.content
    client.force_login(ketua)
    response = client.post(
        url,
        {
            "sector": Sector.PLANTATION,
            "commodity": "Kopi",
            "yearly_volume": "12,5",
            "unit": "ton",
            "image": png(),
        },
    )
    assert response.status_code == 302
    potential = Potential.objects.get()
    assert potential.photos.count() == 1 and str(potential.yearly_volume) == "12.50"
    assert b"Kopi" in client.get(url).content


def test_an_officer_of_another_regency_cannot_post_potential(client, sikka_admin, regions):
    client.force_login(sikka_admin)
    response = client.post(
        reverse("products:potential_village", args=[JAHAB]), {"sector": Sector.FISHERY, "commodity": "Udang"}
    )
    assert response.status_code == 403
    assert not Potential.objects.exists()


def test_the_regency_page_shows_clusters_in_few_queries(client, ketua, coop, django_assert_max_num_queries):
    admin = person(Role.ADMIN_REGENCY, scope="64.02")
    for code in (JAHAB, LOA_IPUH):
        services.potential_record(
            actor=admin,
            village=Region.objects.get(code=code),
            sector=Sector.PLANTATION,
            commodity="Kopi",
            yearly_volume=3,
            unit="ton",
        )
    with django_assert_max_num_queries(4):
        response = client.get(reverse("products:potential_regency", args=["64.02"]))
    assert response.status_code == 200
    assert b"Loa Ipuh" in response.content and b"6 ton" in response.content


def test_an_unknown_regency_is_not_found(client, regions):
    assert client.get(reverse("products:potential_regency", args=["99.99"])).status_code == 404


# --- Producers and managing -------------------------------------------------------------------


def test_a_ketua_registers_a_producer_and_a_buyer_is_refused(client, ketua, coop):
    client.force_login(ketua)
    url = reverse("products:producers")
    response = client.post(url, {"cooperative": coop.pk, "kind": "group", "name": "KWT Mawar"})
    assert response.status_code == 302
    assert Producer.objects.filter(name="KWT Mawar", village_id=JAHAB).exists()
    client.force_login(person(Role.BUYER))
    assert client.get(url).status_code == 403


def test_a_producer_adds_a_product_with_a_price_written_the_indonesian_way(client, maker, producer):
    client.force_login(maker)
    response = client.post(
        reverse("products:create"),
        {
            "producer": producer.pk,
            "name": "Madu Hutan",
            "category": Category.HONEY,
            "price": "1,5 jt",
            "unit": "botol",
            "processing_level": "packaged",
            "local_material_percent": "100",
        },
    )
    product = Product.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("products:edit", args=[product.pk])
    assert product.current_version.price == 1_500_000 and product.status == ProductStatus.DRAFT


def test_a_bad_local_share_is_shown_on_the_form(client, maker, producer):
    client.force_login(maker)
    response = client.post(
        reverse("products:create"),
        {
            "producer": producer.pk,
            "name": "Madu",
            "category": "honey",
            "price": "25.000",
            "unit": "pcs",
            "processing_level": "processed",
            "local_material_percent": "150",
        },
    )
    assert response.status_code == 200 and b"between 0 and 100" in response.content
    assert not Product.objects.exists()


def test_the_managed_list_shows_own_products_in_few_queries(
    client, maker, producer, django_assert_max_num_queries
):
    for _ in range(5):
        make_product(producer=producer)
    make_product(producer=make_producer(JAHAB), name="Bukan Milikku")
    client.force_login(maker)
    client.get(reverse("products:manage"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("products:manage"))
    assert response.status_code == 200 and b"Bukan Milikku" not in response.content


def test_editing_a_locked_product_makes_a_new_version_and_the_history_shows_both(client, maker, producer):
    product = make_product(producer=producer)
    product.current_version.locked = True
    product.current_version.save()
    client.force_login(maker)
    url = reverse("products:edit", args=[product.pk])
    data = {
        "action": "edit",
        "name": product.name,
        "category": product.category,
        "price": "30.000",
        "unit": "pcs",
        "processing_level": "processed",
        "description": "Uji",
    }
    assert client.post(url, data).status_code == 302
    product.refresh_from_db()
    assert product.versions.count() == 2 and product.current_version.price == 30_000
    response = client.get(url)
    assert b"Submitted to curation" in response.content and b"Editable" in response.content


def test_photos_are_added_and_removed_on_the_edit_page(client, maker, producer):
    product = make_product(producer=producer)
    client.force_login(maker)
    url = reverse("products:edit", args=[product.pk])
    assert client.post(url, {"action": "photo", "image": png()}).status_code == 302
    photo = product.photos.get()
    assert client.post(url, {"action": "remove_photo", "photo": photo.pk}).status_code == 302
    assert not product.photos.exists()


def test_another_cooperatives_officer_cannot_open_the_edit_page(client, producer, regions):
    product = make_product(producer=producer)
    other = cooperative_for(LOA_IPUH)
    client.force_login(person(Role.KETUA, org=other.organization))
    assert client.get(reverse("products:edit", args=[product.pk])).status_code == 403


# --- Public pages -----------------------------------------------------------------------------


def test_the_public_page_shows_stars_licences_producer_and_cooperative_in_five_queries(
    client, producer, django_assert_max_num_queries
):
    product = make_product(producer=producer, status=ProductStatus.CURATED, stars=4, name="Kopi Jahab")
    Licence.objects.create(
        product=product, licence_type=LicenceType.HALAL, status=LicenceStatus.ISSUED, number="ID123"
    )
    product.photos.create(image="products/photos/x.png")
    with django_assert_max_num_queries(5):
        response = client.get(product.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "★★★★" in body and "★★★★★" not in body
    assert "Halal certificate" in body and "ID123" in body
    assert producer.name in body and product.cooperative.get_public_url() in body
    assert reverse("regions:detail", args=[JAHAB]) in body and 'data-marketplace="pending"' in body


def test_the_public_page_is_cached_for_visitors(client, producer, django_assert_max_num_queries):
    product = make_product(producer=producer, status=ProductStatus.IN_CURATION)
    client.get(product.get_absolute_url())
    with django_assert_max_num_queries(generation_queries()):  # the generation's row without Redis
        assert client.get(product.get_absolute_url()).status_code == 200


def test_a_draft_is_hidden_from_visitors_but_its_producer_sees_it(client, maker, producer):
    product = make_product(producer=producer)
    assert client.get(product.get_absolute_url()).status_code == 403
    client.force_login(maker)
    assert client.get(product.get_absolute_url()).status_code == 200


def test_the_public_list_filters_by_stars_and_regency_in_five_queries_with_the_region_picker(
    client, producer, django_assert_max_num_queries
):
    for stars in (5, 3, 3):
        make_product(producer=producer, status=ProductStatus.CURATED, stars=stars)
    make_product(producer=producer, name="Draf Rahasia")
    with django_assert_max_num_queries(5):
        response = client.get(
            reverse("products:public_list"), {"stars": "3", "regency__1": "64", "regency__2": "64.02"}
        )
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 2
    assert b"Draf Rahasia" not in client.get(reverse("products:public_list")).content
