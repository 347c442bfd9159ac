"""Feeds out: one catalog for every channel. A cooperative downloads what it sells as

- a bulk-upload spreadsheet with the Indonesian column headers of the big marketplaces' templates
  (Nama Produk, Deskripsi Produk, Kategori, Harga, Stok, Berat (gram), …), to paste into theirs;
- a CSV and a JSON product feed with the usual product-feed fields (id, title, description,
  price, availability, link, image_link, brand, gtin, category).

A cooperative sells at most thousands of products: the files are built in memory.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone, translation

MAX_PHOTOS = 5
# Marketplace templates take plain text: no markup, at most a few thousand characters.
DESCRIPTION_LIMIT = 3000
SHEET_TITLE = "Produk"

XLSX_HEADERS = [
    "Nama Produk",
    "Deskripsi Produk",
    "Kategori",
    "Harga",
    "Stok",
    "Berat (gram)",
    "Minimum Pemesanan",
    "SKU",
    "Kondisi",
    *[f"Foto Produk {n}" for n in range(1, MAX_PHOTOS + 1)],
    "Etalase",
    "Link Produk",
]

FEED_FIELDS = [
    "id",
    "title",
    "description",
    "price",
    "currency",
    "availability",
    "link",
    "image_link",
    "brand",
    "gtin",
    "category",
    "min_order",
    "weight_grams",
    "stock",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class FeedItem:
    id: str
    sku: str
    title: str
    description: str
    price: int
    stock: int
    min_order: int
    weight_grams: int
    category: str
    line: str
    link: str
    photos: list[str]
    brand: str

    @property
    def availability(self) -> str:
        return "in_stock" if self.stock >= self.min_order else "out_of_stock"


def _plain(text: str) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text[:DESCRIPTION_LIMIT]


def feed_items(listings: Iterable, *, cooperative, absolute: Callable[[str], str]) -> list[FeedItem]:
    """The listings as feed rows: texts in Indonesian (what the channels sell in), URLs absolute.
    `listings` come from selectors_listings.feed_listings (product, version and photos loaded)."""
    from kopdes.products.choices import Category, Line

    items = []
    with translation.override("id"):
        for listing in listings:
            product = listing.product
            version = product.current_version
            parts = [version.description if version else "", version.story if version else ""]
            photos = [absolute(photo.image.url) for photo in list(product.photos.all())[:MAX_PHOTOS]]
            items.append(
                FeedItem(
                    id=str(listing.pk),
                    sku=f"KOPDES-{listing.pk}",
                    title=listing.name,
                    description=_plain(" ".join(p for p in parts if p)) or listing.name,
                    price=int(listing.price),
                    stock=int(listing.stock_online),
                    min_order=int(listing.min_order),
                    weight_grams=int(listing.weight_grams),
                    category=str(Category(listing.category).label)
                    if listing.category in Category.values
                    else "",
                    line=str(Line(listing.line).label) if listing.line in Line.values else "",
                    link=absolute(reverse("products:public", args=[listing.slug])),
                    photos=photos,
                    brand=cooperative.name,
                )
            )
    return items


def feed_xlsx(items: list[FeedItem]) -> bytes:
    """The bulk-upload spreadsheet: one header row, one row per product."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append(XLSX_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in items:
        photos = item.photos + [""] * (MAX_PHOTOS - len(item.photos))
        sheet.append(
            [
                item.title,
                item.description,
                item.category,
                item.price,
                item.stock,
                item.weight_grams,
                item.min_order,
                item.sku,
                "Baru",
                *photos,
                item.category,
                item.link,
            ]
        )
    sheet.freeze_panes = "A2"
    for column, width in zip("ABC", (40, 60, 30), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _feed_row(item: FeedItem) -> dict:
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "price": item.price,
        "currency": "IDR",
        "availability": item.availability,
        "link": item.link,
        "image_link": item.photos[0] if item.photos else "",
        "brand": item.brand,
        "gtin": "",
        "category": item.category,
        "min_order": item.min_order,
        "weight_grams": item.weight_grams,
        "stock": item.stock,
    }


def feed_csv(items: list[FeedItem]) -> bytes:
    """The CSV feed, UTF-8 with a byte-order mark so that spreadsheet programs read it right."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FEED_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        writer.writerow(_feed_row(item))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def feed_json(items: list[FeedItem], *, cooperative, link: str) -> dict:
    """The JSON feed: the seller, when it was made, and the items."""
    return {
        "seller": {"name": cooperative.name, "slug": cooperative.slug, "link": link},
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "currency": "IDR",
        "items": [_feed_row(item) for item in items],
    }
