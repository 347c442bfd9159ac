"""The API's pages: django-ninja's page numbers, with the page number bounded.

A page number past any table's end is answered with an empty page; one so large that its offset
overflows the database's integers (SQLite's OFFSET is a 64-bit integer) is refused as invalid
input (422 with the field `page`) rather than failing with a 500.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000_000  # a billion pages of up to 200 rows: an offset far inside 64 bits


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE)
