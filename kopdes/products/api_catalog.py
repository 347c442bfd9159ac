"""The catalog API: /api/v1/products/… — village potential, producers, products with versions and
photos, behind the same policies as the pages. Potential and published products are public."""

from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from kopdes.accounts.api_auth import API_AUTH
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.pagination import Pages
from kopdes.regions.models import Region

from . import selectors_catalog as selectors
from . import services_catalog as services
from .choices import Category, Line, ProcessingLevel, ProducerKind, Sector
from .models import Potential, Producer, Product, ProductVersion


def _visitor(request) -> bool:
    """Public reads: a token or a session when sent (so a producer sees its drafts), else a visitor."""
    return True


PUBLIC = [*API_AUTH, _visitor]
router = Router(tags=["products"])


# --- Schemas ----------------------------------------------------------------------------------


class PhotoOut(Schema):
    id: int
    url: str
    caption: str

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.image.url


class PotentialOut(Schema):
    id: int
    village_code: str = Field(..., alias="village_id")
    sector: str
    commodity: str
    commodity_key: str
    yearly_volume: Decimal | None
    unit: str
    season: str
    notes: str
    surveyed_on: date
    photos: list[PhotoOut]

    @staticmethod
    def resolve_photos(obj: Potential) -> list:
        return list(obj.photos.all())


class PotentialIn(Schema):
    village_code: str
    sector: Sector
    commodity: str = Field(..., max_length=80)
    yearly_volume: Decimal | None = None
    unit: str = Field("", max_length=20)
    season: str = Field("", max_length=80)
    notes: str = Field("", max_length=5000)
    surveyed_on: date | None = None


class PotentialPatch(Schema):
    sector: Sector | None = None
    commodity: str | None = Field(None, max_length=80)
    yearly_volume: Decimal | None = None
    unit: str | None = Field(None, max_length=20)
    season: str | None = Field(None, max_length=80)
    notes: str | None = Field(None, max_length=5000)
    surveyed_on: date | None = None


class PotentialFilter(Schema):
    village: str = ""
    regency: str = ""


class CommodityRowOut(Schema):
    sector: str
    commodity: str
    commodity_key: str
    unit: str
    villages: int
    total: Decimal | None


class ClusterOut(Schema):
    commodity: str
    commodity_key: str
    village_codes: list[str]


class RegencyPotentialOut(Schema):
    regency_code: str
    rows: list[CommodityRowOut]
    clusters: list[ClusterOut]


class ProducerOut(Schema):
    id: int
    organization_id: int
    cooperative_id: int
    village_code: str = Field(..., alias="village_id")
    kind: str
    name: str
    line: str
    special_needs_school: bool

    @staticmethod
    def resolve_line(obj: Producer) -> str:
        from .choices import LINE_OF_PRODUCER

        return str(LINE_OF_PRODUCER[ProducerKind(obj.kind)])


class ProducerIn(Schema):
    cooperative_id: int
    kind: ProducerKind
    name: str = Field("", max_length=200)
    village_code: str = ""
    special_needs_school: bool = False


class VersionOut(Schema):
    id: int
    number: int
    name: str
    description: str
    story: str
    unit: str
    net_content: str
    price: int
    monthly_capacity: int
    processing_level: str
    local_material_percent: int
    packaging: str
    shelf_life_days: int | None
    hs_code: str
    locked: bool
    created_at: datetime


class ProductSummaryOut(Schema):
    id: int
    slug: str
    name: str
    category: str
    line: str
    status: str
    stars: int
    price: int | None
    village_code: str = Field(..., alias="village_id")
    regency_code: str
    url: str

    @staticmethod
    def resolve_price(obj: Product) -> int | None:
        return obj.current_version.price if obj.current_version else None

    @staticmethod
    def resolve_url(obj: Product) -> str:
        return obj.get_absolute_url()


class ProductOut(ProductSummaryOut):
    producer_id: int
    cooperative_id: int
    current_version: VersionOut | None


class VersionFields(Schema):
    description: str | None = Field(None, max_length=5000)
    story: str | None = Field(None, max_length=5000)
    unit: str | None = Field(None, max_length=30)
    net_content: str | None = Field(None, max_length=40)
    monthly_capacity: int | None = None
    processing_level: ProcessingLevel | None = None
    local_material_percent: int | None = None
    packaging: str | None = Field(None, max_length=120)
    shelf_life_days: int | None = None
    hs_code: str | None = Field(None, max_length=14)


class ProductIn(VersionFields):
    producer_id: int
    name: str = Field(..., max_length=150)
    category: Category
    price: int


class ProductPatch(VersionFields):
    name: str | None = Field(None, max_length=150)
    category: Category | None = None
    price: int | None = None


class PublicFilter(Schema):
    category: str = ""
    line: Line | None = None
    stars: int | None = Field(None, ge=0, le=5)
    regency: str = ""
    q: str = ""


class ManagedFilter(Schema):
    category: str = ""
    line: Line | None = None
    status: str = ""
    q: str = ""


# --- Potential --------------------------------------------------------------------------------


def _region(code: str, level: int, field: str) -> Region:
    try:
        return selectors.region_get(code=code, level=level)
    except NotFound:
        message = _("Choose a village.") if level == 4 else _("Choose a regency.")
        raise DomainError(message, code="unknown_region", fields={field: [message]}) from None


@router.get("/potential", response=list[PotentialOut], auth=PUBLIC, summary="A village's potential")
def list_potential(request, filters: Query[PotentialFilter]):
    if not filters.village:
        raise DomainError(_("Give a village code."), fields={"village": [_("Required.")]})
    village = _region(filters.village, 4, "village")
    return selectors.potential_list(user=request.user, village=village)


@router.get(
    "/potential/regency/{code}",
    response=RegencyPotentialOut,
    auth=PUBLIC,
    summary="A regency's potential by sector and commodity, and its clusters",
)
def regency_potential(request, code: str):
    regency = _region(code, 2, "code")
    view = selectors.regency_potential(user=request.user, regency=regency)
    return {
        "regency_code": regency.code,
        "rows": [{**row, "commodity": row["name"]} for row in view.rows],
        "clusters": [
            {"commodity": c.commodity, "commodity_key": c.key, "village_codes": [v for v, _n in c.villages]}
            for c in view.clusters
        ],
    }


@router.post("/potential", response={201: PotentialOut}, summary="Record a village's commodity")
def record_potential(request, payload: PotentialIn):
    village = _region(payload.village_code, 4, "village_code")
    data = payload.dict(exclude={"village_code"})
    potential = services.potential_record(actor=request.user, village=village, **data)
    return Status(201, potential)


@router.patch("/potential/{potential_id}", response=PotentialOut)
def update_potential(request, potential_id: int, payload: PotentialPatch):
    potential = selectors.potential_get(user=request.user, pk=potential_id)
    return services.potential_update(
        actor=request.user, potential=potential, **payload.dict(exclude_unset=True)
    )


@router.post(
    "/potential/{potential_id}/photos",
    response={201: PhotoOut},
    summary="Add a photo of a commodity (multipart: image, caption)",
)
def add_potential_photo(request, potential_id: int, image: File[UploadedFile], caption: Form[str] = ""):
    potential = selectors.potential_get(user=request.user, pk=potential_id)
    return Status(
        201,
        services.potential_photo_add(actor=request.user, potential=potential, image=image, caption=caption),
    )


# --- Producers --------------------------------------------------------------------------------


@router.get("/producers", response=list[ProducerOut], summary="A cooperative's producers")
def list_producers(request, cooperative_id: int):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    return selectors.producer_list(user=request.user, cooperative=cooperative)


@router.post("/producers", response={201: ProducerOut}, summary="Register a producer")
def create_producer(request, payload: ProducerIn):
    cooperative = selectors.cooperative_get(user=request.user, pk=payload.cooperative_id)
    village = _region(payload.village_code, 4, "village_code") if payload.village_code else None
    producer = services.producer_create(
        actor=request.user,
        cooperative=cooperative,
        kind=payload.kind,
        name=payload.name,
        village=village,
        special_needs_school=payload.special_needs_school,
    )
    return Status(201, producer)


# --- Products ---------------------------------------------------------------------------------


@router.get("", response=list[ProductSummaryOut], auth=PUBLIC, summary="Published products, filtered")
@paginate(Pages)
def list_products(request, filters: Query[PublicFilter]):
    return selectors.products_public(
        user=request.user,
        category=filters.category,
        line=filters.line or "",
        stars=filters.stars,
        regency=filters.regency,
        query=filters.q,
    )


@router.get("/managed", response=list[ProductSummaryOut], summary="Products the caller may manage")
@paginate(Pages)
def list_managed(request, filters: Query[ManagedFilter]):
    return selectors.products_managed(
        user=request.user,
        category=filters.category,
        line=filters.line or "",
        status=filters.status,
        query=filters.q,
    )


@router.post("", response={201: ProductOut}, summary="Add a product (a draft, with version 1)")
def create_product(request, payload: ProductIn):
    producer = selectors.producer_get(user=request.user, pk=payload.producer_id)
    data = payload.dict(exclude={"producer_id"}, exclude_none=True)
    return Status(201, services.product_create(actor=request.user, producer=producer, **data))


@router.get("/{product_id}", response=ProductOut, auth=PUBLIC)
def get_product(request, product_id: int):
    return selectors.product_public(user=request.user, pk=product_id)


@router.patch(
    "/{product_id}",
    response=ProductOut,
    summary="Change a product (a version submitted to curation is kept: the change makes a new one)",
)
def update_product(request, product_id: int, payload: ProductPatch):
    product = selectors.product_get(user=request.user, pk=product_id)
    changes = payload.dict(exclude_unset=True)
    for key in ("name", "category", "price", "unit", "processing_level"):
        if key in changes and changes[key] is None:
            raise DomainError(_("This field cannot be empty."), fields={key: [_("Required.")]})
    product = services.product_update(actor=request.user, product=product, **changes)
    return selectors.product_get(user=request.user, pk=product.pk)


@router.get("/{product_id}/versions", response=list[VersionOut], summary="A product's versions, newest first")
def list_versions(request, product_id: int) -> list[ProductVersion]:
    product = selectors.product_get(user=request.user, pk=product_id)
    return list(selectors.version_list(product=product))


@router.get("/{product_id}/photos", response=list[PhotoOut], auth=PUBLIC)
def list_photos(request, product_id: int):
    return list(selectors.product_public(user=request.user, pk=product_id).photos.all())


@router.post(
    "/{product_id}/photos",
    response={201: PhotoOut},
    summary="Add a photo (multipart: image, caption; JPEG, PNG or WebP up to 5 MB)",
)
def add_photo(request, product_id: int, image: File[UploadedFile], caption: Form[str] = ""):
    product = selectors.product_get(user=request.user, pk=product_id)
    return Status(
        201, services.product_photo_add(actor=request.user, product=product, image=image, caption=caption)
    )


@router.delete("/photos/{photo_id}", response={204: None}, summary="Remove a product photo")
def remove_photo(request, photo_id: int):
    photo = selectors.photo_get(user=request.user, pk=photo_id)
    services.product_photo_remove(actor=request.user, photo=photo)
    return Status(204, None)
