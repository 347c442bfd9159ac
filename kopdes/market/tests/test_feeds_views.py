"""Feeds out: the marketplace spreadsheet, the CSV and the JSON feed parse back with the right rows,
and only the cooperative's officers and its regional admins may download them."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.market.feeds import XLSX_HEADERS
from kopdes.market.services_stock import listing_update
from kopdes.products.choices import Category, ProductStatus
from kopdes.products.tests.factories import make_product

from .factories import JAHAB, MASABEWA, make_listing, officer, seller

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def coop(regions):
    return seller(JAHAB)


@pytest.fixture
def ketua(coop):
    return officer(coop)


@pytest.fixture
def catalog(coop, ketua):
    """Two listings for sale (one with two photos, one out of stock), one off sale, one of a product
    not ready for market, and another cooperative's listing."""
    amplang = make_listing(JAHAB, name="Amplang Ikan Pipih", price=25_000, stock=12, category=Category.FISH)
    amplang.product.photos.create(image="products/photos/a1.jpg")
    amplang.product.photos.create(image="products/photos/a2.jpg")
    madu = make_listing(
        JAHAB, name="Madu Kelulut", price=85_000, stock=0, min_order=2, category=Category.HONEY
    )
    off = make_listing(JAHAB, name="Kue Lama", price=5_000)
    listing_update(actor=ketua, listing=off, is_active=False)
    unready = make_product(JAHAB, status=ProductStatus.CURATED, name="Anyaman Rotan")
    make_listing(JAHAB, product=unready, price=150_000)
    make_listing(MASABEWA, name="Tenun Ikat Sikka", price=750_000)
    amplang.refresh_from_db()
    madu.refresh_from_db()
    return amplang, madu


def feed_url(coop, fmt: str) -> str:
    return reverse("market:feed", args=[coop.slug, fmt])


def test_the_marketplace_spreadsheet_has_indonesian_headers_and_one_row_per_product_for_sale(
    client, coop, ketua, catalog, django_assert_max_num_queries
):
    amplang, _madu = catalog
    client.force_login(ketua)
    client.get(feed_url(coop, "xlsx"))

    with django_assert_max_num_queries(8):
        response = client.get(feed_url(coop, "xlsx"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f'filename="kopdes-{coop.slug}.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert header == XLSX_HEADERS
    for name in ("Nama Produk", "Deskripsi Produk", "Kategori", "Harga", "Stok", "Berat (gram)"):
        assert name in header
    by_name = {row[header.index("Nama Produk")]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {"Amplang Ikan Pipih", "Madu Kelulut"}
    row = by_name["Amplang Ikan Pipih"]
    assert row["Harga"] == 25_000 and row["Stok"] == 12 and row["Berat (gram)"] == 250
    assert row["Minimum Pemesanan"] == 1 and row["Kondisi"] == "Baru" and row["SKU"] == f"KOPDES-{amplang.pk}"
    assert row["Kategori"] == row["Etalase"] == "Produk perikanan"  # Indonesian, whatever the user reads
    assert row["Foto Produk 1"] == "http://testserver/media/products/photos/a1.jpg"
    assert row["Foto Produk 2"] == "http://testserver/media/products/photos/a2.jpg"
    assert row["Foto Produk 3"] in (None, "")
    assert row["Link Produk"] == f"http://testserver/produk/{amplang.slug}/"
    assert by_name["Madu Kelulut"]["Minimum Pemesanan"] == 2 and by_name["Madu Kelulut"]["Stok"] == 0


def test_the_csv_feed_parses_back_with_the_feed_fields(client, coop, ketua, catalog):
    amplang, _madu = catalog
    client.force_login(ketua)

    response = client.get(feed_url(coop, "csv"))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == ["Amplang Ikan Pipih", "Madu Kelulut"]
    first = rows[0]
    assert first["id"] == str(amplang.pk) and first["price"] == "25000" and first["currency"] == "IDR"
    assert first["availability"] == "in_stock" and rows[1]["availability"] == "out_of_stock"
    assert first["brand"] == coop.name and first["gtin"] == ""
    assert first["link"] == f"http://testserver/produk/{amplang.slug}/"
    assert first["image_link"] == "http://testserver/media/products/photos/a1.jpg"


def test_the_json_feed_has_integer_prices_and_absolute_links(client, coop, ketua, catalog):
    _amplang, madu = catalog
    client.force_login(ketua)

    response = client.get(feed_url(coop, "json"))

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    feed = json.loads(response.content)
    assert feed["seller"]["name"] == coop.name
    assert feed["seller"]["link"] == f"http://testserver{coop.get_public_url()}"
    items = {item["title"]: item for item in feed["items"]}
    assert set(items) == {"Amplang Ikan Pipih", "Madu Kelulut"}
    item = items["Madu Kelulut"]
    assert item["id"] == str(madu.pk) and item["price"] == 85_000 and isinstance(item["price"], int)
    assert item["availability"] == "out_of_stock" and item["image_link"] == "" and item["gtin"] == ""
    assert item["brand"] == coop.name and item["category"]
    assert item["link"] == f"http://testserver/produk/{madu.slug}/"


def test_an_empty_catalog_gives_a_header_only_file(client, coop, ketua):
    client.force_login(ketua)
    rows = list(csv.reader(io.StringIO(client.get(feed_url(coop, "csv")).content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0][0] == "id"
    assert json.loads(client.get(feed_url(coop, "json")).content)["items"] == []


def test_the_regency_admin_may_download_the_feed(client, coop, catalog):
    client.force_login(person(Role.ADMIN_REGENCY, region="64.02", scope="64.02"))
    assert client.get(feed_url(coop, "json")).status_code == 200


@pytest.mark.parametrize("who", ["buyer", "other_officer", "other_admin"])
def test_others_cannot_download_a_cooperatives_feed(client, coop, catalog, who):
    user = {
        "buyer": lambda: person(Role.BUYER),
        "other_officer": lambda: officer(seller(MASABEWA)),
        "other_admin": lambda: person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"),
    }[who]()
    client.force_login(user)
    for fmt in ("xlsx", "csv", "json"):
        assert client.get(feed_url(coop, fmt)).status_code == 403


def test_a_visitor_must_log_in_and_an_unknown_format_is_not_found(client, coop, ketua):
    assert client.get(feed_url(coop, "json")).status_code == 302
    client.force_login(ketua)
    assert client.get(feed_url(coop, "pdf")).status_code == 404
