"""The catalog API: /api/v1/market/listings (filters, sort, search and pages as on /pasar/),
/listings/{id} (one listing's details) and /suggest (typo-tolerant suggestions). Public: a visitor
needs no account; a token or a session is read when sent."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Query, Router, Schema

from kopdes.accounts.api_auth import API_AUTH

from . import selectors_catalog as selectors
from .api_orders import router as _orders_router


def _visitor(request) -> bool:
    """Anyone may browse the catalog (the policy `market.catalog.view` decides)."""
    return True


PUBLIC = [*API_AUTH, _visitor]
router = Router(tags=["market"])


class CatalogFilter(Schema):
    """Every parameter is read as text and checked by the selector, so a bad value gets the same
    400 "invalid_filter" answer, with the field's message, as on the catalog page."""

    q: str | None = None
    category: str | None = None
    province: str | None = None
    regency: str | None = None
    line: str | None = None
    stars: str | None = None
    halal: str | None = None
    bpom: str | None = None
    price_min: str | None = None
    price_max: str | None = None
    in_stock: str | None = None
    sort: str | None = None
    page: str | None = None
    per_page: str | None = None


class ListingCardOut(Schema):
    id: int
    name: str
    slug: str
    url: str
    price: int
    min_order: int
    stock: int
    sold_out: bool
    stars: int
    rating: float | None
    rating_count: int
    category: str
    line: str
    province_code: str
    regency_code: str
    region: str
    halal: bool
    bpom: bool
    featured: bool
    photo_url: str
    cooperative_id: int
    product_id: int

    @staticmethod
    def resolve_url(obj) -> str:
        from django.urls import reverse

        return reverse("products:public", args=[obj.slug])

    @staticmethod
    def resolve_stock(obj) -> int:
        return obj.stock_online

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region_name

    @staticmethod
    def resolve_halal(obj) -> bool:
        return obj.has_halal

    @staticmethod
    def resolve_bpom(obj) -> bool:
        return obj.has_bpom

    @staticmethod
    def resolve_featured(obj) -> bool:
        return obj.is_featured


class CatalogPageOut(Schema):
    count: int
    count_capped: bool
    page: int
    pages: int
    per_page: int
    suggestion: str
    items: list[ListingCardOut]


class CooperativeRefOut(Schema):
    id: int
    name: str
    slug: str


class ListingDetailOut(ListingCardOut):
    cooperative: CooperativeRefOut
    weight_grams: int
    sold_count: int
    province: str
    featured_month: date | None
    created_at: datetime

    @staticmethod
    def resolve_province(obj) -> str:
        return obj.province_name


class SuggestOut(Schema):
    q: str
    suggestions: list[str]


@router.get(
    "/listings",
    response=CatalogPageOut,
    auth=PUBLIC,
    summary="Listings for sale: filters, sort, full-text search (every word), pages",
)
def list_listings(request, filters: Query[CatalogFilter]):
    query = selectors.catalog_query_parse(filters.dict(exclude_none=True))
    page = selectors.catalog_search(user=request.user, query=query)
    return {
        "count": page.total,
        "count_capped": page.total_capped,
        "page": page.page,
        "pages": page.num_pages,
        "per_page": page.per_page,
        "suggestion": page.suggestion,
        "items": page.items,
    }


def get_listing(request, listing_id: int):
    return selectors.listing_public_get(user=request.user, pk=listing_id)


# The seller's API (api_orders) has PATCH /listings/{listing_id} under the same /market prefix; two
# routers with one path would give two URL patterns, the first answering 405 to the other's method.
# So the public GET joins that path's operations on the seller's router.
_orders_router.get(
    "/listings/{listing_id}", response=ListingDetailOut, auth=PUBLIC, summary="A listing for sale"
)(get_listing)


@router.get("/suggest", response=SuggestOut, auth=PUBLIC, summary="Did-you-mean suggestions for a search")
def suggest(request, q: str = ""):
    return {"q": q, "suggestions": selectors.catalog_suggest(user=request.user, q=q[:200])}
