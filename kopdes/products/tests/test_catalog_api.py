"""The catalog API: each endpoint allowed for the right people and refused to the others."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kopdes.accounts.choices import Role
from kopdes.accounts.services import token_create
from kopdes.accounts.tests.factories import person
from kopdes.products import services_catalog as services
from kopdes.products.choices import ProductStatus, Sector
from kopdes.products.models import Potential, Producer, Product
from kopdes.products.tests.factories import cooperative_for, make_producer, make_product
from kopdes.regions.models import Region

JAHAB = "64.02.06.1001"
LOA_IPUH = "64.02.06.1002"


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (179, 0, 27)).save(buffer, format="PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def api(client):
    tokens: dict[int, dict] = {}

    def call(method: str, path: str, user=None, data=None, *, multipart: bool = False):
        headers = {}
        if user is not None:
            if user.pk not in tokens:
                tokens[user.pk] = {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, name='t')[1]}"}
            headers = tokens[user.pk]
        url = "/api/v1/products" + path
        send = getattr(client, method)
        if method == "get" or multipart:
            return send(url, data or {}, **headers)
        return send(url, data or {}, content_type="application/json", **headers)

    return call


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


@pytest.fixture
def coop(regions):
    return cooperative_for(JAHAB)


@pytest.fixture
def ketua(coop):
    return person(Role.KETUA, org=coop.organization)


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, scope="53.07")


@pytest.fixture
def producer(coop):
    return make_producer(JAHAB)


@pytest.fixture
def maker(producer):
    return person(Role.PRODUCER, org=producer.organization)


# --- Potential --------------------------------------------------------------------------------


def test_an_officer_records_potential_and_anyone_reads_it(api, ketua):
    body = {
        "village_code": JAHAB,
        "sector": "plantation",
        "commodity": "Kopi",
        "yearly_volume": "4.5",
        "unit": "ton",
    }
    response = api("post", "/potential", ketua, body)
    assert response.status_code == 201, response.content
    listed = api("get", "/potential", data={"village": JAHAB}).json()
    assert [p["commodity_key"] for p in listed] == ["kopi"]
    patched = api("patch", f"/potential/{response.json()['id']}", ketua, {"season": "Juni"})
    assert patched.json()["season"] == "Juni"
    photo = api("post", f"/potential/{response.json()['id']}/photos", ketua, {"image": png()}, multipart=True)
    assert photo.status_code == 201


def test_potential_is_refused_to_an_admin_of_another_regency_and_to_visitors(api, sikka_admin, regions):
    body = {"village_code": JAHAB, "sector": "fishery", "commodity": "Udang"}
    error_of(api("post", "/potential", sikka_admin, body), 403, "forbidden")
    error_of(api("post", "/potential", None, body), 401, "not_authenticated")
    assert not Potential.objects.exists()


def test_the_regency_potential_lists_clusters(api, regions):
    admin = person(Role.ADMIN_REGENCY, scope="64.02")
    for code in (JAHAB, LOA_IPUH):
        services.potential_record(
            actor=admin, village=Region.objects.get(code=code), sector=Sector.PLANTATION, commodity="Kopi"
        )
    body = api("get", "/potential/regency/64.02").json()
    assert body["clusters"] == [
        {"commodity": "Kopi", "commodity_key": "kopi", "village_codes": [JAHAB, LOA_IPUH]}
    ]
    error_of(api("get", "/potential/regency/99.99"), 400, "unknown_region")


# --- Producers --------------------------------------------------------------------------------


def test_a_ketua_registers_and_lists_producers_and_another_regency_is_refused(api, ketua, coop, sikka_admin):
    created = api(
        "post", "/producers", ketua, {"cooperative_id": coop.pk, "kind": "class", "name": "Kelas 9A"}
    )
    assert created.status_code == 201, created.content
    assert created.json()["line"] == "class" and created.json()["village_code"] == JAHAB
    assert [p["name"] for p in api("get", "/producers", ketua, {"cooperative_id": coop.pk}).json()] == [
        "Kelas 9A"
    ]
    error_of(api("get", "/producers", sikka_admin, {"cooperative_id": coop.pk}), 403, "forbidden")
    error_of(
        api("post", "/producers", sikka_admin, {"cooperative_id": coop.pk, "kind": "umkm", "name": "X"}),
        403,
        "forbidden",
    )
    served = api(
        "post",
        "/producers",
        ketua,
        {"cooperative_id": coop.pk, "kind": "umkm", "name": "Y", "village_code": LOA_IPUH},
    )
    error_of(served, 400, "village_not_served")
    assert Producer.objects.count() == 1


# --- Products ---------------------------------------------------------------------------------


def test_a_producer_creates_gets_and_patches_a_product(api, maker, producer):
    body = {
        "producer_id": producer.pk,
        "name": "Tenun Ikat",
        "category": "textile",
        "price": 750000,
        "hs_code": "5208",
    }
    created = api("post", "", maker, body)
    assert created.status_code == 201, created.content
    product = created.json()
    assert product["status"] == "draft" and product["current_version"]["number"] == 1
    patched = api("patch", f"/{product['id']}", maker, {"price": 800000})
    assert (
        patched.json()["current_version"]["price"] == 800000
        and patched.json()["current_version"]["number"] == 1
    )
    assert api("get", f"/{product['id']}", maker).status_code == 200
    error_of(api("get", f"/{product['id']}"), 403, "forbidden")


def test_patching_a_locked_version_creates_a_new_one_listed_in_versions(api, maker, producer):
    product = make_product(producer=producer)
    product.current_version.locked = True
    product.current_version.save()
    patched = api("patch", f"/{product.pk}", maker, {"story": "Ditenun ibu-ibu desa"})
    assert patched.json()["current_version"]["number"] == 2
    versions = api("get", f"/{product.pk}/versions", maker).json()
    assert [(v["number"], v["locked"]) for v in versions] == [(2, False), (1, True)]


def test_bad_product_values_come_back_as_field_errors(api, maker, producer):
    body = {
        "producer_id": producer.pk,
        "name": "Madu",
        "category": "honey",
        "price": 1,
        "local_material_percent": 120,
    }
    error = error_of(api("post", "", maker, body), 400, "invalid")
    assert "local_material_percent" in error["fields"]
    assert not Product.objects.exists()


def test_others_cannot_create_patch_or_list_versions(api, producer, sikka_admin, regions):
    product = make_product(producer=producer)
    stranger = person(Role.KETUA, org=cooperative_for(LOA_IPUH).organization)
    body = {"producer_id": producer.pk, "name": "X", "category": "honey", "price": 1}
    for user in (stranger, sikka_admin):
        error_of(api("post", "", user, body), 403, "forbidden")
        error_of(api("patch", f"/{product.pk}", user, {"price": 5}), 403, "forbidden")
        error_of(api("get", f"/{product.pk}/versions", user), 403, "forbidden")


def test_the_public_list_filters_and_hides_drafts(api, producer, django_assert_max_num_queries):
    make_product(producer=producer, status=ProductStatus.CURATED, stars=5, name="Bintang Lima")
    make_product(producer=producer, status=ProductStatus.CURATED, stars=2)
    make_product(producer=producer, name="Draf")
    with django_assert_max_num_queries(4):
        body = api("get", "", data={"stars": 5, "regency": "64.02"}).json()
    assert [p["name"] for p in body["items"]] == ["Bintang Lima"]
    assert "Draf" not in [p["name"] for p in api("get", "").json()["items"]]


def test_managed_products_are_the_callers_own(api, maker, producer, sikka_admin):
    make_product(producer=producer, name="Milikku")
    response = api("get", "/managed", maker)
    assert [p["name"] for p in response.json()["items"]] == ["Milikku"], response.content
    assert api("get", "/managed", sikka_admin).json()["count"] == 0


def test_photos_are_added_listed_and_removed_by_the_producer_only(api, maker, producer, sikka_admin):
    product = make_product(producer=producer, status=ProductStatus.IN_CURATION)
    error_of(
        api("post", f"/{product.pk}/photos", sikka_admin, {"image": png()}, multipart=True), 403, "forbidden"
    )
    added = api("post", f"/{product.pk}/photos", maker, {"image": png()}, multipart=True)
    assert added.status_code == 201, added.content
    assert len(api("get", f"/{product.pk}/photos").json()) == 1
    error_of(api("delete", f"/photos/{added.json()['id']}", sikka_admin), 403, "forbidden")
    assert api("delete", f"/photos/{added.json()['id']}", maker).status_code == 204
    bad = SimpleUploadedFile("x.png", b"nope", content_type="image/png")
    error_of(
        api("post", f"/{product.pk}/photos", maker, {"image": bad}, multipart=True), 400, "invalid_image"
    )
