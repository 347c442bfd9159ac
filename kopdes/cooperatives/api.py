"""The cooperative registry's API: /api/v1/cooperatives/…, behind the same policies as the pages.

Handlers parse input, call one selector or service (which ask the policy layer) and answer.
A member's NIK never leaves here whole: only `nik_masked`.
"""

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from kopdes.accounts.identifiers import login_key
from kopdes.accounts.selectors import user_by_phone
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.pagination import Pages
from kopdes.core.policies import require
from kopdes.regions.models import Region
from kopdes.regions.selectors import region_get

from . import media, selectors, services
from .choices import MemberStatus, Position, Scheme, UnitKind, UnitStatus
from .models import BusinessUnit, Cooperative, CooperativePhoto, Member, Officer, StageRecord, UnitPhoto

router = Router(tags=["cooperatives"])

# --- Schemas ----------------------------------------------------------------------------------


class CooperativeSummaryOut(Schema):
    id: int
    name: str
    slug: str
    village_code: str = Field(..., alias="village_id")
    village_name: str
    scheme: str
    stage: str
    stage_status: str
    has_legal_entity: bool
    public_url: str

    @staticmethod
    def resolve_village_name(obj: Cooperative) -> str:
        return obj.village.name

    @staticmethod
    def resolve_public_url(obj: Cooperative) -> str:
        return obj.get_public_url()


class CooperativeOut(CooperativeSummaryOut):
    organization_id: int
    shared_village_codes: list[str]
    registration_number: str
    deed_number: str
    deed_date: date | None
    ahu_number: str
    ahu_date: date | None
    nib: str
    npwp: str
    bank_name: str
    bank_account_number: str
    bank_account_name: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    email: str
    qris_payload: str
    description: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_shared_village_codes(obj: Cooperative) -> list[str]:
        return [v.village_id for v in obj.villages.all() if not v.is_seat]


class CooperativeFilter(Schema):
    region: str = ""
    stage: str = ""
    scheme: str = ""
    q: str = ""


class IdentityFields(Schema):
    """The identity of a cooperative; every field optional (a PATCH sends only what changes)."""

    registration_number: str | None = Field(None, max_length=40)
    deed_number: str | None = Field(None, max_length=60)
    deed_date: date | None = None
    ahu_number: str | None = Field(None, max_length=80)
    ahu_date: date | None = None
    nib: str | None = Field(None, max_length=30)
    npwp: str | None = Field(None, max_length=30)
    bank_name: str | None = Field(None, max_length=60)
    bank_account_number: str | None = Field(None, max_length=30)
    bank_account_name: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=255)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    qris_payload: str | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=5000)


class CooperativeIn(IdentityFields):
    village_code: str
    scheme: Scheme = Scheme.NEW
    name: str = Field("", max_length=200)
    shared_village_codes: list[str] = []


class CooperativePatch(IdentityFields):
    name: str | None = Field(None, max_length=200)
    scheme: Scheme | None = None


# Fields where null means "clear it" (stored as an empty string); dates and coordinates keep None.
_TEXT_FIELDS = set(IdentityFields.model_fields) - {"deed_date", "ahu_date", "latitude", "longitude"} | {
    "name"
}


class StageOut(Schema):
    id: int
    cooperative_id: int
    stage: str
    stage_label: str
    status: str
    status_label: str
    happened_on: date
    evidence_url: str | None
    notes: str
    recorded_by_id: int | None
    recorded_by_name: str
    recorded_at: datetime
    decided_by_id: int | None
    decided_by_name: str
    decided_at: datetime | None
    reason: str

    @staticmethod
    def resolve_stage_label(obj: StageRecord) -> str:
        return str(obj.get_stage_display())

    @staticmethod
    def resolve_status_label(obj: StageRecord) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_evidence_url(obj: StageRecord) -> str | None:
        # Deeds and minutes are not public: served only through the API, behind the policy.
        if not obj.evidence:
            return None
        return reverse("api:cooperatives_stage_evidence", kwargs={"record_id": obj.pk})

    @staticmethod
    def resolve_recorded_by_name(obj: StageRecord) -> str:
        return obj.recorded_by.full_name if obj.recorded_by_id and obj.recorded_by else ""

    @staticmethod
    def resolve_decided_by_name(obj: StageRecord) -> str:
        return obj.decided_by.full_name if obj.decided_by_id and obj.decided_by else ""


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


class RollBackIn(ReasonIn):
    to_stage: str


class OfficerOut(Schema):
    id: int
    cooperative_id: int
    user_id: int
    full_name: str
    position: Position
    position_label: str
    term_start: date
    term_end: date | None
    ended_at: datetime | None

    @staticmethod
    def resolve_full_name(obj: Officer) -> str:
        return obj.user.full_name

    @staticmethod
    def resolve_position_label(obj: Officer) -> str:
        return str(obj.get_position_display())


class OfficerIn(Schema):
    user_id: int | None = None
    phone: str | None = Field(None, max_length=30)
    position: Position
    term_start: date
    term_end: date | None = None


class MemberOut(Schema):
    id: int
    cooperative_id: int
    # Only the masked NIK leaves the server (UU 27/2022).
    nik_masked: str
    full_name: str
    phone: str
    village_code: str = Field(..., alias="village_id")
    village_name: str
    joined_on: date
    status: MemberStatus
    status_changed_on: date | None

    @staticmethod
    def resolve_village_name(obj: Member) -> str:
        return obj.village.name


class MembershipOut(MemberOut):
    cooperative_name: str
    cooperative_url: str

    @staticmethod
    def resolve_cooperative_name(obj: Member) -> str:
        return obj.cooperative.name

    @staticmethod
    def resolve_cooperative_url(obj: Member) -> str:
        return obj.cooperative.get_public_url()


class MemberFilter(Schema):
    q: str = ""
    status: str = ""


class MemberIn(Schema):
    nik: str = Field(..., max_length=30)
    full_name: str = Field(..., max_length=150)
    phone: str = Field("", max_length=30)
    village_code: str | None = None
    joined_on: date
    # The phone number of the member's own Kopdes account, if they have one: links it, so the
    # member sees their record (GET /cooperatives/my-memberships).
    account_phone: str | None = Field(None, max_length=30)


class MemberPatch(Schema):
    full_name: str | None = Field(None, max_length=150)
    phone: str | None = Field(None, max_length=30)
    village_code: str | None = None
    status: MemberStatus | None = None
    status_changed_on: date | None = None
    account_phone: str | None = Field(None, max_length=30)


class PhotoOut(Schema):
    id: int
    url: str
    caption: str

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.image.url


class UnitOut(Schema):
    id: int
    cooperative_id: int
    kind: UnitKind
    kind_label: str
    name: str
    status: UnitStatus
    address: str
    latitude: float | None
    longitude: float | None
    opened_on: date | None
    photos: list[PhotoOut]

    @staticmethod
    def resolve_kind_label(obj: BusinessUnit) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_photos(obj: BusinessUnit) -> list:
        return list(obj.photos.all())


class UnitIn(Schema):
    kind: UnitKind
    name: str = Field("", max_length=120)
    status: UnitStatus = UnitStatus.PLANNED
    address: str = Field("", max_length=255)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    opened_on: date | None = None


class UnitPatch(Schema):
    kind: UnitKind | None = None
    name: str | None = Field(None, max_length=120)
    status: UnitStatus | None = None
    address: str | None = Field(None, max_length=255)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    opened_on: date | None = None


class SevenUnitOut(Schema):
    kind: str
    label: str
    operating: bool


# --- Helpers ----------------------------------------------------------------------------------


def _region_or_error(code: str, field: str) -> Region:
    try:
        return region_get(code=code)
    except DomainError as exc:
        raise DomainError(exc.message, code="unknown_region", fields={field: [str(exc.message)]}) from None


def _village_or_error(code: str, field: str) -> Region:
    region = _region_or_error(code, field)
    if region.level != 4:
        message = _("Choose a village (desa/kelurahan), not a larger region.")
        raise DomainError(message, code="invalid", fields={field: [message]})
    return region


def _identity(fields: dict) -> dict:
    """Identity fields as the services take them: null in a text field clears it; the email is checked."""
    clean = {k: ("" if v is None and k in _TEXT_FIELDS else v) for k, v in fields.items()}
    if clean.get("email"):
        clean["email"] = clean["email"].strip().lower()
        try:
            validate_email(clean["email"])
        except ValidationError:
            message = _("Enter a valid email address.")
            raise DomainError(message, code="invalid", fields={"email": [message]}) from None
    return clean


def _appointee(*, actor, cooperative: Cooperative, payload: OfficerIn):
    """The account to appoint, by id or by the phone number it logs in with."""
    require(actor, "cooperatives.officer.manage", cooperative)
    users = get_user_model().objects.filter(is_active=True)
    if payload.user_id is not None:
        user, field = users.filter(pk=payload.user_id).first(), "user_id"
    elif payload.phone:
        key = login_key(payload.phone)
        user, field = (users.filter(phone=key).first() if key and "@" not in key else None), "phone"
    else:
        message = _("Give the person's account number (user_id) or phone number.")
        raise DomainError(message, code="invalid", fields={"user_id": [message]})
    if user is None:
        message = _("No account has this number. Create the person's account first, then appoint them.")
        raise DomainError(message, code="unknown_user", fields={field: [message]})
    return user


def _officer_get(*, user, pk: int) -> Officer:
    officer = Officer.objects.select_related("cooperative", "user").filter(pk=pk).first()
    if officer is None:
        raise NotFound(_("No such officer."), code="unknown_officer")
    require(user, "cooperatives.view", officer.cooperative)
    return officer


# --- Cooperatives -----------------------------------------------------------------------------


@router.get("", response=list[CooperativeSummaryOut], summary="The registry, filtered")
@paginate(Pages)
def list_cooperatives(request, filters: Query[CooperativeFilter]):
    return selectors.cooperative_list(
        user=request.user, region=filters.region, stage=filters.stage, scheme=filters.scheme, query=filters.q
    )


@router.post("", response={201: CooperativeOut}, summary="Register a village's cooperative")
def create_cooperative(request, payload: CooperativeIn):
    village = _village_or_error(payload.village_code, "village_code")
    shared = [_village_or_error(code, "shared_village_codes") for code in payload.shared_village_codes]
    identity = _identity(
        payload.model_dump(exclude_unset=True, exclude={"village_code", "shared_village_codes"})
    )
    identity.update(name=payload.name, scheme=payload.scheme)
    cooperative = services.cooperative_create(
        actor=request.user, village=village, shared_villages=shared, **identity
    )
    return Status(201, cooperative)


@router.get("/my-memberships", response=list[MembershipOut], summary="The caller's own member records")
def my_memberships(request):
    return selectors.own_memberships(user=request.user)


@router.get("/{cooperative_id}", response=CooperativeOut)
def get_cooperative(request, cooperative_id: int):
    return selectors.cooperative_get(user=request.user, pk=cooperative_id)


@router.patch("/{cooperative_id}", response=CooperativeOut)
def update_cooperative(request, cooperative_id: int, payload: CooperativePatch):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    fields = _identity(payload.model_dump(exclude_unset=True))
    if fields:
        cooperative = services.cooperative_update(actor=request.user, cooperative=cooperative, **fields)
    else:
        require(request.user, "cooperatives.update", cooperative)
    return cooperative


# --- Formation --------------------------------------------------------------------------------


@router.get("/{cooperative_id}/stages", response=list[StageOut], summary="The formation history")
def list_stages(request, cooperative_id: int):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    return selectors.stage_history(user=request.user, cooperative=cooperative)


@router.post(
    "/{cooperative_id}/stages",
    response={201: StageOut},
    summary="Record the next formation stage (multipart: evidence is an optional file)",
)
def record_stage(
    request,
    cooperative_id: int,
    stage: Form[str],
    happened_on: Form[date],
    notes: Form[str] = "",
    evidence: File[UploadedFile | None] = None,
):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    record = services.stage_record(
        actor=request.user,
        cooperative=cooperative,
        stage=stage,
        happened_on=happened_on,
        evidence=evidence,
        notes=notes,
    )
    return Status(201, record)


@router.get(
    "/stages/{record_id}/evidence",
    response={200: None},
    url_name="cooperatives_stage_evidence",
    summary="The evidence file of a stage (to those who may see the cooperative)",
)
def stage_evidence(request, record_id: int):
    record = selectors.stage_record_get(user=request.user, pk=record_id)
    if not record.evidence:
        raise NotFound(_("This stage has no evidence file."), code="no_evidence")
    try:
        handle = record.evidence.open("rb")
    except OSError:
        raise Http404 from None
    return FileResponse(handle, filename=(record.evidence.name or "").rsplit("/", 1)[-1])


@router.post("/stages/{record_id}/verify", response=StageOut, summary="The regency confirms a stage")
def verify_stage(request, record_id: int):
    record = selectors.stage_record_get(user=request.user, pk=record_id)
    return services.stage_verify(actor=request.user, record=record)


@router.post("/stages/{record_id}/send-back", response=StageOut, summary="The regency returns a stage")
def send_back_stage(request, record_id: int, payload: ReasonIn):
    record = selectors.stage_record_get(user=request.user, pk=record_id)
    return services.stage_send_back(actor=request.user, record=record, reason=payload.reason)


@router.post(
    "/{cooperative_id}/roll-back", response={201: StageOut}, summary="The regency moves back to a stage"
)
def roll_back(request, cooperative_id: int, payload: RollBackIn):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    record = services.stage_roll_back(
        actor=request.user, cooperative=cooperative, to_stage=payload.to_stage, reason=payload.reason
    )
    return Status(201, record)


# --- Officers ---------------------------------------------------------------------------------


@router.get("/{cooperative_id}/officers", response=list[OfficerOut])
def list_officers(request, cooperative_id: int, include_ended: bool = False):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    return selectors.officer_list(cooperative=cooperative, current_only=not include_ended)


@router.post("/{cooperative_id}/officers", response={201: OfficerOut}, summary="Appoint an officer")
def appoint_officer(request, cooperative_id: int, payload: OfficerIn):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    user = _appointee(actor=request.user, cooperative=cooperative, payload=payload)
    officer = services.officer_appoint(
        actor=request.user,
        cooperative=cooperative,
        user=user,
        position=payload.position,
        term_start=payload.term_start,
        term_end=payload.term_end,
    )
    return Status(201, officer)


@router.post("/officers/{officer_id}/end", response=OfficerOut, summary="End an officer's term")
def end_officer(request, officer_id: int):
    officer = _officer_get(user=request.user, pk=officer_id)
    return services.officer_end(actor=request.user, officer=officer)


# --- Members ----------------------------------------------------------------------------------


@router.get("/{cooperative_id}/members", response=list[MemberOut])
@paginate(Pages)
def list_members(request, cooperative_id: int, filters: Query[MemberFilter]):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    return selectors.member_list(
        user=request.user, cooperative=cooperative, query=filters.q, status=filters.status
    )


@router.post("/{cooperative_id}/members", response={201: MemberOut}, summary="Register a member")
def add_member(request, cooperative_id: int, payload: MemberIn):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    village = _village_or_error(payload.village_code, "village_code") if payload.village_code else None
    member = services.member_add(
        actor=request.user,
        cooperative=cooperative,
        nik=payload.nik,
        full_name=payload.full_name,
        phone=payload.phone,
        village=village,
        joined_on=payload.joined_on,
        user=_account(payload.account_phone) if payload.account_phone else None,
    )
    return Status(201, member)


def _account(phone: str):
    user = user_by_phone(phone=phone)
    if user is None:
        message = _("No account has this phone number: the person registers first, then is linked.")
        raise DomainError(message, code="unknown_account", fields={"account_phone": [message]})
    return user


@router.get("/members/{member_id}", response=MemberOut)
def get_member(request, member_id: int):
    return selectors.member_get(user=request.user, pk=member_id)


@router.patch("/members/{member_id}", response=MemberOut)
def update_member(request, member_id: int, payload: MemberPatch):
    member = selectors.member_get(user=request.user, pk=member_id)
    fields = payload.model_dump(exclude_unset=True)
    if "village_code" in fields:
        code = fields.pop("village_code")
        if code:
            fields["village"] = _village_or_error(code, "village_code")
    if "account_phone" in fields:
        phone = fields.pop("account_phone")
        fields["user"] = _account(phone) if phone else None
    for key in ("full_name", "phone"):
        if key in fields and fields[key] is None:
            fields[key] = ""
    if fields:
        member = services.member_update(actor=request.user, member=member, **fields)
    else:
        require(request.user, "cooperatives.member.manage", member.cooperative)
    return member


# --- Business units ---------------------------------------------------------------------------


@router.get("/{cooperative_id}/units", response=list[UnitOut])
def list_units(request, cooperative_id: int):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    return selectors.unit_list(cooperative=cooperative)


@router.post("/{cooperative_id}/units", response={201: UnitOut}, summary="Add a business unit")
def create_unit(request, cooperative_id: int, payload: UnitIn):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"kind"})
    unit = services.unit_create(actor=request.user, cooperative=cooperative, kind=payload.kind, **fields)
    return Status(201, unit)


@router.patch("/units/{unit_id}", response=UnitOut)
def update_unit(request, unit_id: int, payload: UnitPatch):
    unit = selectors.unit_get(user=request.user, pk=unit_id)
    fields = payload.model_dump(exclude_unset=True)
    for key in ("name", "address"):
        if key in fields and fields[key] is None:
            fields[key] = ""
    if fields:
        unit = services.unit_update(actor=request.user, unit=unit, **fields)
    else:
        require(request.user, "cooperatives.unit.manage", unit.cooperative)
    return unit


# --- Photos (public on the microsite) ---------------------------------------------------------


def _photo_get(*, user, pk: int, model):
    """A photo of a cooperative or of one of its units, if the user may see that cooperative."""
    related = "unit__cooperative" if model is UnitPhoto else "cooperative"
    photo = model.objects.select_related(related).filter(pk=pk).first()
    if photo is None:
        raise NotFound(_("No such photo."), code="unknown_photo")
    cooperative = photo.unit.cooperative if model is UnitPhoto else photo.cooperative
    require(user, "cooperatives.view", cooperative)
    return photo


@router.get("/{cooperative_id}/photos", response=list[PhotoOut])
def list_photos(request, cooperative_id: int):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    return cooperative.photos.all()


@router.post(
    "/{cooperative_id}/photos",
    response={201: PhotoOut},
    summary="Add a photo of the cooperative (multipart: image, caption; JPEG, PNG or WebP up to 5 MB)",
)
def add_photo(request, cooperative_id: int, image: File[UploadedFile], caption: Form[str] = ""):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    photo = media.cooperative_photo_add(
        actor=request.user, cooperative=cooperative, image=image, caption=caption
    )
    return Status(201, photo)


@router.delete("/photos/{photo_id}", response={204: None}, summary="Remove a photo of the cooperative")
def remove_photo(request, photo_id: int):
    photo = _photo_get(user=request.user, pk=photo_id, model=CooperativePhoto)
    media.cooperative_photo_remove(actor=request.user, photo=photo)
    return Status(204, None)


@router.post(
    "/units/{unit_id}/photos",
    response={201: PhotoOut},
    summary="Add a photo of a business unit (multipart: image, caption)",
)
def add_unit_photo(request, unit_id: int, image: File[UploadedFile], caption: Form[str] = ""):
    unit = selectors.unit_get(user=request.user, pk=unit_id)
    photo = media.unit_photo_add(actor=request.user, unit=unit, image=image, caption=caption)
    return Status(201, photo)


@router.delete("/units/photos/{photo_id}", response={204: None}, summary="Remove a photo of a unit")
def remove_unit_photo(request, photo_id: int):
    photo = _photo_get(user=request.user, pk=photo_id, model=UnitPhoto)
    media.unit_photo_remove(actor=request.user, photo=photo)
    return Status(204, None)


@router.get("/{cooperative_id}/seven-units", response=list[SevenUnitOut], summary="The seven expected units")
def seven_units(request, cooperative_id: int):
    cooperative = selectors.cooperative_get(user=request.user, pk=cooperative_id)
    return [
        {"kind": kind, "label": str(label), "operating": operating}
        for kind, label, operating in selectors.seven_units(cooperative=cooperative)
    ]
