from datetime import datetime

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kopdes.core.errors import DomainError
from kopdes.core.pagination import Pages
from kopdes.core.policies import require
from kopdes.regions.selectors import region_get

from . import selectors, services
from .choices import OrgKind, Role

router = Router(tags=["accounts"])


class RoleOut(Schema):
    id: int
    role: Role
    scope: str = Field(alias="scope_key")
    scope_label: str
    region_code: str | None = Field(None, alias="region_id")
    organization_id: int | None
    granted_at: datetime
    revoked_at: datetime | None


class UserOut(Schema):
    id: int
    full_name: str
    phone: str | None
    email: str | None
    region_code: str | None = Field(None, alias="region_id")
    is_active: bool


class MeOut(UserOut):
    roles: list[RoleOut]


class UserIn(Schema):
    full_name: str = Field(..., min_length=1, max_length=150)
    phone: str | None = None
    email: str | None = None
    region_code: str
    password: str | None = None


class UserPatch(Schema):
    full_name: str | None = Field(None, min_length=1, max_length=150)
    phone: str | None = None
    email: str | None = None
    region_code: str | None = None
    is_active: bool | None = None


class UserFilter(Schema):
    q: str = ""
    region: str = ""
    role: str = ""


class RoleIn(Schema):
    role: Role
    region_code: str | None = None
    organization_id: int | None = None


class OrgOut(Schema):
    id: int
    kind: OrgKind
    name: str
    region_code: str = Field(..., alias="region_id")


class OrgIn(Schema):
    kind: OrgKind
    name: str = Field(..., min_length=2, max_length=200)
    region_code: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    key: str


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    days: int | None = Field(None, ge=1, le=730)


class AuditOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    ip: str | None
    channel: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    region_code: str
    changes: dict


class AuditFilter(Schema):
    action: str = ""
    region: str = ""
    actor: str = ""


def _region_or_error(code: str, field: str = "region_code"):
    try:
        return region_get(code=code)
    except DomainError as exc:
        raise DomainError(exc.message, code="unknown_region", fields={field: [str(exc.message)]}) from None


@router.get("/me", response=MeOut)
def me(request):
    require(request.user, "accounts.profile.view")
    user = request.user
    return {**UserOut.from_orm(user).dict(), "roles": user.active_roles()}


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request):
    return selectors.token_list(user=request.user)


@router.post("/tokens", response={201: TokenCreatedOut})
def create_token(request, payload: TokenIn):
    token, key = services.token_create(actor=request.user, name=payload.name, days=payload.days)
    return Status(201, {**TokenOut.from_orm(token).dict(), "key": key})


@router.delete("/tokens/{token_id}", response=TokenOut)
def revoke_token(request, token_id: int):
    token = selectors.token_get(user=request.user, pk=token_id)
    return services.token_revoke(actor=request.user, token=token)


@router.get("/users", response=list[UserOut])
@paginate(Pages)
def list_users(request, filters: Query[UserFilter]):
    return selectors.user_list(user=request.user, query=filters.q, region=filters.region, role=filters.role)


@router.post("/users", response={201: UserOut})
def create_user(request, payload: UserIn):
    region = _region_or_error(payload.region_code)
    user = services.user_create(
        actor=request.user,
        full_name=payload.full_name,
        region=region,
        phone=payload.phone,
        email=payload.email,
        password=payload.password,
    )
    return Status(201, user)


@router.get("/users/{user_id}", response=MeOut)
def get_user(request, user_id: int):
    target = selectors.user_get(user=request.user, pk=user_id)
    roles = [r for r in selectors.user_roles(user=request.user, target=target) if r.revoked_at is None]
    return {**UserOut.from_orm(target).dict(), "roles": roles}


@router.patch("/users/{user_id}", response=UserOut)
def update_user(request, user_id: int, payload: UserPatch):
    target = selectors.user_get(user=request.user, pk=user_id)
    fields = payload.dict(exclude_unset=True)
    active = fields.pop("is_active", None)
    if "region_code" in fields:
        code = fields.pop("region_code")
        fields["region"] = _region_or_error(code) if code else None
    if fields:
        services.user_update(actor=request.user, user=target, **fields)
    if active is not None:
        services.user_set_active(actor=request.user, user=target, active=active)
    return target


@router.get("/users/{user_id}/roles", response=list[RoleOut])
def list_user_roles(request, user_id: int):
    target = selectors.user_get(user=request.user, pk=user_id)
    return selectors.user_roles(user=request.user, target=target)


@router.post("/users/{user_id}/roles", response={201: RoleOut})
def grant_role(request, user_id: int, payload: RoleIn):
    target = selectors.user_get(user=request.user, pk=user_id)
    region = _region_or_error(payload.region_code) if payload.region_code else None
    organization = (
        selectors.organization_get(user=request.user, pk=payload.organization_id)
        if payload.organization_id
        else None
    )
    assignment = services.role_grant(
        actor=request.user, user=target, role=payload.role, region=region, organization=organization
    )
    return Status(201, assignment)


@router.delete("/roles/{assignment_id}", response=RoleOut)
def revoke_role(request, assignment_id: int):
    assignment = selectors.role_assignment_get(user=request.user, pk=assignment_id)
    return services.role_revoke(actor=request.user, assignment=assignment)


@router.get("/organizations", response=list[OrgOut])
@paginate(Pages)
def list_organizations(request, q: str = "", kind: str = "", region: str = ""):
    return selectors.organization_list(user=request.user, query=q, kind=kind, region=region)


@router.post("/organizations", response={201: OrgOut})
def create_organization(request, payload: OrgIn):
    region = _region_or_error(payload.region_code)
    org = services.organization_create(
        actor=request.user, kind=payload.kind, name=payload.name, region=region
    )
    return Status(201, org)


@router.get("/audit", response=list[AuditOut])
@paginate(Pages)
def list_audit(request, filters: Query[AuditFilter]):
    return selectors.audit_list(
        user=request.user, action=filters.action, region=filters.region, actor=filters.actor
    )
