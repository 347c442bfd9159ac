from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kopdes.accounts.choices import Role
from kopdes.accounts.services import token_create
from kopdes.accounts.tests.factories import person
from kopdes.products.choices import LicenceStatus, LicenceType, ProductStatus
from kopdes.products.models import FeaturedProduct, Licence
from kopdes.products.tests.factories import make_product
from kopdes.regions.models import Region


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
        url = "/api/v1/licences" + path
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
def product(regions):
    return make_product()


@pytest.fixture
def producer_user(product):
    return person(Role.PRODUCER, org=product.producer.organization)


@pytest.fixture
def sikka_product(regions):
    village = Region.objects.filter(code__startswith="53.07.", level=4).order_by("code").first()
    return make_product(village.code, status=ProductStatus.CURATED)


def _issue(api, user, product, licence_type, **extra):
    body = {
        "licence_type": licence_type,
        "status": LicenceStatus.ISSUED,
        "number": f"{licence_type}-1",
        "issued_on": "2025-01-01",
        **extra,
    }
    return api("post", f"/products/{product.pk}", user, body, multipart=True)


def test_the_producer_sets_a_licence_with_a_document_and_reads_what_is_missing(api, product, producer_user):
    response = _issue(
        api, producer_user, product, LicenceType.NIB, document=SimpleUploadedFile("n.pdf", b"%PDF-1")
    )
    assert response.status_code == 200, response.content
    assert response.json()["has_document"] is True
    body = api("get", f"/products/{product.pk}", producer_user, {"on_date": "2026-05-01"}).json()
    assert [lic["licence_type"] for lic in body["licences"]] == ["nib"]
    assert body["missing"] == [["spp_irt"]]


def test_an_expiry_before_issue_is_a_400_on_expires_on(api, product, producer_user):
    error = error_of(
        _issue(api, producer_user, product, LicenceType.NIB, expires_on="2024-01-01"), 400, "invalid"
    )
    assert "expires_on" in error["fields"]
    assert not Licence.objects.exists()


def test_another_regencys_admin_is_refused_a_products_licences(api, product, regions):
    other = person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")
    error_of(api("get", f"/products/{product.pk}", other), 403, "forbidden")
    error_of(_issue(api, other, product, LicenceType.NIB), 403, "forbidden")


def test_without_credentials_the_licences_answer_401(api, product):
    error_of(api("get", f"/products/{product.pk}"), 401, "not_authenticated")


def test_the_required_licences_follow_the_halal_date(api, regions):
    user = person(Role.BUYER)
    before = api("get", "/required", user, {"category": "honey", "on_date": "2026-10-16"}).json()
    after = api("get", "/required", user, {"category": "honey", "on_date": "2026-10-17"}).json()
    assert ["halal"] not in before["required"] and ["halal"] in after["required"]


def test_mark_ready_through_the_api_names_the_missing_licences_then_succeeds(api, product, producer_user):
    product.status = ProductStatus.CURATED
    product.save()
    error = error_of(api("post", f"/products/{product.pk}/ready", producer_user), 400, "licences_missing")
    assert error["fields"]["licences"]
    for kind in (LicenceType.NIB, LicenceType.SPP_IRT, LicenceType.HALAL):
        assert _issue(api, producer_user, product, kind).status_code == 200
    response = api("post", f"/products/{product.pk}/ready", producer_user)
    assert response.status_code == 200 and response.json()["status"] == "ready"


def test_a_buyer_cannot_mark_a_product_ready(api, product, regions):
    error_of(api("post", f"/products/{product.pk}/ready", person(Role.BUYER)), 403, "forbidden")


def test_the_due_list_is_for_admins_and_officers(api, product, producer_user):
    _issue(
        api, producer_user, product, LicenceType.NIB, expires_on=str(dt.date.today() + dt.timedelta(days=10))
    )
    admin = person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")
    assert len(api("get", "/due", admin).json()) == 1
    assert api("get", "/due", person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")).json() == []
    error_of(api("get", "/due", person(Role.BUYER)), 403, "forbidden")


def test_a_regency_admin_features_a_product_and_anyone_lists_it(api, sikka_product, regions):
    admin = person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")
    response = api("post", "/featured", admin, {"product_id": sikka_product.pk, "regency_code": "53.07"})
    assert response.status_code == 201, response.content
    error_of(
        api("post", "/featured", admin, {"product_id": sikka_product.pk, "regency_code": "53.07"}),
        409,
        "already_featured",
    )
    listed = api("get", "/featured", None, {"regency": "53.07"}).json()
    assert [row["product_id"] for row in listed] == [sikka_product.pk]


def test_another_regencys_admin_cannot_feature_there(api, sikka_product, regions):
    other = person(Role.ADMIN_REGENCY, region="53.01", scope="53.01")
    error_of(
        api("post", "/featured", other, {"product_id": sikka_product.pk, "regency_code": "53.07"}),
        403,
        "forbidden",
    )
    assert not FeaturedProduct.objects.exists()


def test_an_uncurated_product_cannot_be_featured_through_the_api(api, sikka_product, regions):
    sikka_product.status = ProductStatus.DRAFT
    sikka_product.save()
    admin = person(Role.ADMIN_PROVINCE, region="53", scope="53")
    error_of(
        api("post", "/featured", admin, {"product_id": sikka_product.pk, "regency_code": "53.07"}),
        400,
        "not_curated",
    )


def test_the_target_is_public_and_only_the_province_admin_sets_it(api, regions):
    assert api("get", "/targets/53").json() == {"province_code": "53", "per_regency_per_month": 2}
    regency_admin = person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")
    error_of(api("put", "/targets/53", regency_admin, {"per_regency_per_month": 5}), 403, "forbidden")
    province_admin = person(Role.ADMIN_PROVINCE, region="53", scope="53")
    assert (
        api("put", "/targets/53", province_admin, {"per_regency_per_month": 5}).json()[
            "per_regency_per_month"
        ]
        == 5
    )


def test_the_boards_are_public(api, sikka_product, regions, django_assert_max_num_queries):
    admin = person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")
    api("post", "/featured", admin, {"product_id": sikka_product.pk, "regency_code": "53.07"})
    year = FeaturedProduct.objects.get().month.year
    with django_assert_max_num_queries(6):
        board = api("get", "/boards/province/53", None, {"year": year}).json()
    assert len(board["rows"]) == 22 and board["achieved"] == 1
    regency = api("get", "/boards/regency/53.07", None, {"year": year}).json()
    assert sikka_product.name in [name for cell in regency["rows"][0]["cells"] for name in cell["products"]]
    error_of(api("get", "/boards/province/99"), 404, "region_not_found")
