"""The licences API: /api/v1/licences/…, behind the same policies as the pages. Licences of a
product, what is required and missing, "ready for market", licences due, featured products,
province targets and the featured boards (public)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from kopdes.core.errors import NotFound
from kopdes.core.policies import require

from . import selectors_licences as sel
from . import services_licences as services
from .choices import LicenceStatus
from .models import FeaturedProduct, Licence, Product

router = Router(tags=["licences"])


# --- Schemas ----------------------------------------------------------------------------------


class LicenceOut(Schema):
    id: int
    product_id: int
    licence_type: str
    number: str
    issuer: str
    issued_on: date | None
    expires_on: date | None
    status: str
    effective_status: str
    has_document: bool

    @staticmethod
    def resolve_effective_status(obj: Licence) -> str:
        return sel.effective_status(obj, timezone.localdate())

    @staticmethod
    def resolve_has_document(obj: Licence) -> bool:
        return bool(obj.document)


class LicencesOut(Schema):
    product_id: int
    status: str
    on_date: date
    licences: list[LicenceOut]
    required: list[list[str]]
    missing: list[list[str]]


class RequiredOut(Schema):
    category: str
    on_date: date
    required: list[list[str]]


class ProductStatusOut(Schema):
    id: int
    status: str


class FeaturedIn(Schema):
    product_id: int
    regency_code: str


class FeaturedOut(Schema):
    id: int
    product_id: int
    product_name: str
    regency_code: str
    month: date

    @staticmethod
    def resolve_product_name(obj: FeaturedProduct) -> str:
        return obj.product.name

    @staticmethod
    def resolve_regency_code(obj: FeaturedProduct) -> str:
        return obj.regency_id


class TargetIn(Schema):
    per_regency_per_month: int


class TargetOut(Schema):
    province_code: str
    per_regency_per_month: int


class CellOut(Schema):
    month: date
    target: int
    achieved: int
    overdue: bool
    products: list[str] = []


class BoardRowOut(Schema):
    regency_code: str
    regency_name: str
    cells: list[CellOut]


class BoardOut(Schema):
    region_code: str
    year: int
    target: int
    achieved: int
    overdue: int
    rows: list[BoardRowOut]


def _board_out(data: dict) -> dict:
    return {
        "region_code": data["region"].code,
        "year": data["year"],
        "target": data["target"],
        "achieved": data["achieved"],
        "overdue": data["overdue"],
        "rows": [
            {
                "regency_code": row.regency.code,
                "regency_name": row.regency.name,
                "cells": [
                    {
                        "month": c.month,
                        "target": c.target,
                        "achieved": c.achieved,
                        "overdue": c.overdue,
                        "products": [p["product__name"] for p in c.products],
                    }
                    for c in row.cells
                ],
            }
            for row in data["rows"]
        ],
    }


# --- Licences ---------------------------------------------------------------------------------


@router.get("/required", response=RequiredOut, summary="The licences a category needs on a date")
def required(request, category: str, on_date: date | None = None):
    day = on_date or timezone.localdate()
    return {
        "category": category,
        "on_date": day,
        "required": sel.required_licences(category=category, on_date=day),
    }


@router.get(
    "/due", response=list[LicenceOut], summary="Licences expiring within 60 days, in the caller's scope"
)
def due(request):
    return list(sel.licences_due(user=request.user, on_date=timezone.localdate())[:500])


@router.get(
    "/products/{product_id}", response=LicencesOut, summary="A product's licences, required and missing"
)
def product_licences(request, product_id: int, on_date: date | None = None):
    product = sel.product_for_licences(user=request.user, pk=product_id)
    day = on_date or sel.local_today(product.village_id)
    overview = sel.licence_overview(user=request.user, product=product, on_date=day)
    return {
        "product_id": product.pk,
        "status": product.status,
        "on_date": day,
        "licences": [row["licence"] for row in overview["rows"] if row["licence"]],
        "required": overview["required"],
        "missing": overview["missing"],
    }


@router.post(
    "/products/{product_id}",
    response=LicenceOut,
    summary="Create or update one licence of a product (multipart: document is an optional file)",
)
def set_licence(
    request,
    product_id: int,
    licence_type: Form[str],
    status: Form[str] = LicenceStatus.NOT_STARTED,
    number: Form[str] = "",
    issuer: Form[str] = "",
    issued_on: Form[date | None] = None,
    expires_on: Form[date | None] = None,
    document: File[UploadedFile | None] = None,
):
    product = sel.product_for_licences(user=request.user, pk=product_id, action="products.licences.manage")
    return services.licence_set(
        actor=request.user,
        product=product,
        licence_type=licence_type,
        number=number,
        issuer=issuer,
        issued_on=issued_on,
        expires_on=expires_on,
        status=status,
        document=document,
    )


@router.post(
    "/products/{product_id}/ready", response=ProductStatusOut, summary="Mark a product ready for market"
)
def mark_ready(request, product_id: int):
    product = sel.product_for_licences(user=request.user, pk=product_id, action="products.ready.mark")
    return services.product_mark_ready(actor=request.user, product=product)


# --- Featured products, targets, boards --------------------------------------------------------


@router.post("/featured", response={201: FeaturedOut}, summary="Feature a curated product this local month")
def designate(request, payload: FeaturedIn):
    regency = sel.region_get(payload.regency_code, 2)
    require(request.user, "products.featured.designate", regency)
    product = Product.objects.filter(pk=payload.product_id).first()
    if product is None:
        raise NotFound(code="product_not_found", fields={"product_id": ["No such product."]})
    return Status(201, services.featured_designate(actor=request.user, product=product, regency=regency))


@router.get(
    "/featured", response=list[FeaturedOut], auth=None, summary="A regency's featured products (public)"
)
def featured(request, regency: str, month: date | None = None):
    region = sel.region_get(regency, 2)
    return list(sel.featured_list(user=request.user, regency=region, month=month)[:1000])


@router.get("/targets/{province_code}", response=TargetOut, auth=None, summary="A province's monthly target")
def get_target(request, province_code: str):
    province = sel.region_get(province_code, 1)
    require(request.user, "products.boards.view", province)
    return {"province_code": province.code, "per_regency_per_month": sel.target_for(province.code)}


@router.put("/targets/{province_code}", response=TargetOut, summary="Set a province's monthly target")
def set_target(request, province_code: str, payload: TargetIn):
    province = sel.region_get(province_code, 1)
    row = services.target_set(
        actor=request.user, province=province, per_regency_per_month=payload.per_regency_per_month
    )
    return {"province_code": province.code, "per_regency_per_month": row.per_regency_per_month}


@router.get("/boards/province/{code}", response=BoardOut, auth=None, summary="A province's board (public)")
def board_province(request, code: str, year: int | None = Query(None, ge=2020, le=2100)):
    # The years a board can show, as on the web page (`YearForm`); empty: this year.
    province = sel.region_get(code, 1)
    data = sel.board(user=request.user, region=province, year=year or sel.local_today(code).year)
    return _board_out(data)


@router.get("/boards/regency/{code}", response=BoardOut, auth=None, summary="A regency's board (public)")
def board_regency(request, code: str, year: int | None = Query(None, ge=2020, le=2100)):
    regency = sel.region_get(code, 2)
    data = sel.board(
        user=request.user, region=regency, year=year or sel.local_today(code).year, with_products=True
    )
    return _board_out(data)
