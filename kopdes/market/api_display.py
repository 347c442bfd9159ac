"""The display points API: /api/v1/display-points/… — the public list, a point's shelf, recording
a sale at the cashier (Idempotency-Key header), consignments, the monthly settlement and each
statement, behind the same policies as the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kopdes.accounts.api_auth import API_AUTH
from kopdes.accounts.models import Organization
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.pagination import Pages
from kopdes.regions.models import Region

from . import selectors_display as selectors
from . import services_display as services
from .choices import DisplayKind, PaymentMethod
from .models import DisplaySale, Listing, Location


def _visitor(request) -> bool:
    return True


PUBLIC = [*API_AUTH, _visitor]
router = Router(tags=["display points"])


# --- Schemas ----------------------------------------------------------------------------------


class PointOut(Schema):
    slug: str
    name: str
    kind: str
    region_code: str = Field(..., alias="region_id")
    region_name: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    commission_percent: int
    is_active: bool

    @staticmethod
    def resolve_region_name(obj) -> str:
        return obj.region.name


class PointFilter(Schema):
    kind: DisplayKind | None = None
    region: str = Field("", description="A region code: points inside it")


class PointIn(Schema):
    operator_organization_id: int
    name: str = Field(..., max_length=150)
    kind: DisplayKind
    region_code: str
    address: str = Field("", max_length=255)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    commission_percent: int = 10


class PointChange(Schema):
    name: str = Field(..., max_length=150)
    address: str = Field("", max_length=255)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    commission_percent: int


class ShelfOut(Schema):
    listing_id: int
    name: str
    cooperative_id: int
    cooperative_name: str
    price: int
    quantity: int


class SaleLineIn(Schema):
    listing_id: int
    quantity: int = Field(..., ge=1)


class SaleIn(Schema):
    lines: list[SaleLineIn] = Field(..., min_length=1)
    payment_method: Literal["cash", "qris"] = "cash"


class SaleLineOut(Schema):
    listing_id: int
    cooperative_id: int
    quantity: int
    unit_price: int
    line_total: int


class SaleOut(Schema):
    number: str
    total: int
    payment_method: str
    sold_at: datetime
    lines: list[SaleLineOut]

    @staticmethod
    def resolve_payment_method(obj: DisplaySale) -> str:
        return "qris" if obj.payment_method == PaymentMethod.QRIS else "cash"

    @staticmethod
    def resolve_lines(obj: DisplaySale) -> list:
        return list(obj.lines.all())


class ConsignIn(Schema):
    listing_id: int
    location_id: int = Field(..., description="The cooperative's outlet or warehouse")
    quantity: int = Field(..., ge=1)
    direction: Literal["send", "back"] = "send"
    note: str = Field("", max_length=255)


class ConsignmentOut(Schema):
    id: int
    listing_id: int
    location_id: int = Field(..., alias="from_location_id")
    quantity: int
    note: str
    created_at: datetime


class SettlementOut(Schema):
    id: int
    display_point: str
    cooperative_id: int
    cooperative_name: str
    month: date
    gross: int
    commission: int
    net: int
    status: str
    settled_at: datetime | None

    @staticmethod
    def resolve_display_point(obj) -> str:
        return obj.display_point.slug

    @staticmethod
    def resolve_cooperative_name(obj) -> str:
        return obj.cooperative.name


class MonthIn(Schema):
    month: str = Field(..., description="YYYY-MM, in the point's local time")


class MonthFilter(Schema):
    month: str = ""


class StatementProductOut(Schema):
    listing_id: int
    name: str
    quantity: int
    gross: int


class StatementLineOut(Schema):
    sold_at: datetime
    sale_number: str
    payment_method: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


class StatementOut(Schema):
    settlement: SettlementOut
    display_point_name: str
    operator_name: str
    time_zone: str
    commission_percent: int | None
    gross: int
    commission: int
    net: int
    consigned: int
    taken_back: int
    on_shelf: int
    stale: bool
    products: list[StatementProductOut]
    lines: list[StatementLineOut]


# --- Endpoints --------------------------------------------------------------------------------


def _point(request, slug: str, action: str):
    return selectors.display_point_get(user=request.user, slug=slug, action=action)


@router.get("", response=list[PointOut], auth=PUBLIC, summary="Open display points")
@paginate(Pages)
def list_points(request, filters: Query[PointFilter]):
    return selectors.display_point_list(
        user=request.user, kind=filters.kind or "", region=filters.region.strip()
    )


@router.post("", response={201: PointOut}, summary="Open a display point (an admin of its region)")
def create_point(request, payload: PointIn):
    region = Region.objects.filter(code=payload.region_code.strip()).first()
    if region is None:
        message = _("Choose a region from the list.")
        raise DomainError(message, fields={"region_code": [message]})
    operator = Organization.objects.filter(pk=payload.operator_organization_id).first()
    point = services.display_point_create(
        actor=request.user,
        operator_org=operator,
        name=payload.name,
        kind=payload.kind,
        region=region,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        commission_percent=payload.commission_percent,
    )
    return Status(201, point)


@router.get("/{slug}", response=PointOut, auth=PUBLIC, summary="One open display point")
def get_point(request, slug: str):
    return selectors.display_point_public(user=request.user, slug=slug)


@router.put(
    "/{slug}",
    response=PointOut,
    summary="Change a point's name, address or commission (an admin of its region)",
)
def change_point(request, slug: str, payload: PointChange):
    point = _point(request, slug, "market.display.view")
    return services.display_point_update(
        actor=request.user,
        point=point,
        name=payload.name,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        commission_percent=payload.commission_percent,
    )


@router.post(
    "/{slug}/close", response=PointOut, summary="Close a point whose shelf is empty (an admin of its region)"
)
def close_point(request, slug: str):
    return services.display_point_close(
        actor=request.user, point=_point(request, slug, "market.display.view")
    )


@router.post(
    "/{slug}/reopen", response=PointOut, summary="Open a closed point again (an admin of its region)"
)
def reopen_point(request, slug: str):
    return services.display_point_reopen(
        actor=request.user, point=_point(request, slug, "market.display.view")
    )


@router.get("/{slug}/stock", response=list[ShelfOut], summary="What is on the point's shelf")
def point_stock(request, slug: str):
    point = _point(request, slug, "market.display.view")
    return [
        {
            "listing_id": level.listing_id,
            "name": level.listing.name,
            "cooperative_id": level.listing.cooperative_id,
            "cooperative_name": level.listing.cooperative.name,
            "price": level.listing.price,
            "quantity": level.quantity,
        }
        for level in selectors.shelf_levels(user=request.user, point=point)
    ]


@router.post(
    "/{slug}/sales",
    response={200: SaleOut, 201: SaleOut},
    summary="Record a sale at the point's cashier (Idempotency-Key header required)",
    description=(
        "All lines or none; a quantity over what the shelf holds is refused with 409. "
        "A retry with the same Idempotency-Key answers 200 with the sale of the first attempt."
    ),
)
def record_sale(request, slug: str, payload: SaleIn):
    point = _point(request, slug, "market.display.operate")
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not (8 <= len(key) <= 64):
        message = _("Send an Idempotency-Key header (a fresh random value for each sale).")
        raise DomainError(message, code="idempotency_key", fields={"Idempotency-Key": [message]})
    replay = DisplaySale.objects.filter(idempotency_key=key).exists()
    sale = services.display_sale_record(
        actor=request.user,
        display_point=point,
        lines=[(line.listing_id, line.quantity) for line in payload.lines],
        payment_method=payload.payment_method,
        idempotency_key=key,
    )
    return Status(200 if replay else 201, sale)


@router.post(
    "/{slug}/consignments",
    response={201: ConsignmentOut},
    summary="Consign goods to the point, or take them back (the cooperative's officers)",
)
def consign(request, slug: str, payload: ConsignIn):
    point = selectors.display_point_get(user=request.user, slug=slug, action="market.display.list")
    listing = Listing.objects.select_related("cooperative").filter(pk=payload.listing_id).first()
    location = Location.objects.filter(pk=payload.location_id).first()
    if listing is None or location is None:
        raise NotFound()
    if payload.direction == "back":
        consignment = services.consign_back(
            actor=request.user,
            display_point=point,
            listing=listing,
            to_location=location,
            quantity=payload.quantity,
            note=payload.note,
        )
    else:
        consignment = services.consign(
            actor=request.user,
            display_point=point,
            listing=listing,
            from_location=location,
            quantity=payload.quantity,
            note=payload.note,
        )
    return Status(201, consignment)


@router.get("/{slug}/settlements", response=list[SettlementOut], summary="The point's monthly settlements")
def list_settlements(request, slug: str, filters: Query[MonthFilter]):
    point = _point(request, slug, "market.display.settle")
    return list(selectors.settlement_list(user=request.user, point=point, month=filters.month or None))


@router.post(
    "/{slug}/settlements",
    response=list[SettlementOut],
    summary="Prepare (or recompute) a month's settlement drafts",
)
def prepare_settlement(request, slug: str, payload: MonthIn):
    point = _point(request, slug, "market.display.settle")
    return services.display_settlement_prepare(actor=request.user, display_point=point, month=payload.month)


@router.post(
    "/settlements/{settlement_id}/settle",
    response=SettlementOut,
    summary="Settle a cooperative's month (once; settling again changes nothing)",
)
def settle(request, settlement_id: int):
    settlement = selectors.settlement_get(user=request.user, pk=settlement_id)
    return services.display_settlement_settle(actor=request.user, settlement=settlement)


@router.get(
    "/settlements/{settlement_id}/statement",
    response=StatementOut,
    summary="A cooperative's statement for one month at one point",
)
def get_statement(request, settlement_id: int):
    settlement = selectors.settlement_get(user=request.user, pk=settlement_id)
    result = selectors.statement(user=request.user, settlement=settlement)
    return {
        "settlement": result.settlement,
        "display_point_name": result.point.name,
        "operator_name": result.point.operator.name,
        "time_zone": result.zone,
        "commission_percent": result.percent,
        "gross": result.gross,
        "commission": result.commission,
        "net": result.net,
        "consigned": result.consigned,
        "taken_back": result.taken_back,
        "on_shelf": result.on_shelf,
        "stale": result.stale,
        "products": result.products,
        "lines": [
            {
                **line.__dict__,
                "payment_method": "qris" if line.payment_method == PaymentMethod.QRIS else "cash",
            }
            for line in result.lines
        ],
    }
