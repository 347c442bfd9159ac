"""Reads of people, organisations and the audit trail: only what the asking user may see."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from kopdes.core.errors import NotFound
from kopdes.core.models import AuditEvent
from kopdes.core.policies import require
from kopdes.regions.codes import normalize_code

from .identifiers import login_key
from .models import ApiToken, Organization, RoleAssignment, User
from .scopes import region_q


def _region_filter(qs: QuerySet, field: str, region_code: str | None) -> QuerySet:
    code = normalize_code(region_code or "")
    if not code:
        return qs
    return qs.filter(Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."}))


def user_list(*, user: User, query: str = "", region: str = "", role: str = "") -> QuerySet[User]:
    """Accounts in the asking admin's regions, with their current roles, filtered."""
    require(user, "accounts.user.list")
    active_roles = RoleAssignment.objects.filter(revoked_at__isnull=True).select_related(
        "region", "organization"
    )
    qs = (
        User.objects.filter(region_q(user, "region__code"))
        .select_related("region")
        .prefetch_related(Prefetch("role_assignments", queryset=active_roles, to_attr="current_roles"))
    )
    qs = _region_filter(qs, "region__code", region)
    if query:
        key = login_key(query)
        text = Q(full_name__icontains=query.strip())
        if key:
            text |= Q(phone=key) | Q(email=key)
        qs = qs.filter(text)
    if role:
        qs = qs.filter(role_assignments__role=role, role_assignments__revoked_at__isnull=True).distinct()
    return qs.order_by("full_name", "id")


def user_get(*, user: User, pk: int) -> User:
    target = User.objects.select_related("region").filter(pk=pk).first()
    if target is None:
        raise NotFound(code="unknown_user")
    require(user, "accounts.user.view", target)
    return target


def user_roles(*, user: User, target: User) -> list[RoleAssignment]:
    require(user, "accounts.user.view", target)
    return list(
        RoleAssignment.objects.filter(user=target)
        .select_related("region", "organization", "granted_by", "revoked_by")
        .order_by("revoked_at", "role")
    )


def role_assignment_get(*, user: User, pk: int) -> RoleAssignment:
    assignment = RoleAssignment.objects.select_related("user", "region", "organization").filter(pk=pk).first()
    if assignment is None:
        raise NotFound(code="unknown_role_assignment")
    require(user, "accounts.user.view", assignment.user)
    return assignment


def organization_list(
    *, user: User, query: str = "", kind: str = "", region: str = ""
) -> QuerySet[Organization]:
    require(user, "accounts.org.list")
    qs = Organization.objects.filter(region_q(user, "region__code")).select_related("region")
    qs = _region_filter(qs, "region__code", region)
    if kind:
        qs = qs.filter(kind=kind)
    if query:
        qs = qs.filter(name__icontains=query.strip())
    return qs.order_by("name")


def organization_get(*, user: User, pk: int) -> Organization:
    org = Organization.objects.select_related("region").filter(pk=pk).first()
    if org is None:
        raise NotFound(code="unknown_organization")
    require(user, "accounts.org.view", org)
    return org


def token_list(*, user: User) -> QuerySet[ApiToken]:
    require(user, "accounts.token.manage", None)
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_get(*, user: User, pk: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=pk).first()
    if token is None:
        raise NotFound(code="unknown_token")
    require(user, "accounts.token.manage", token)
    return token


def audit_list(*, user: User, action: str = "", region: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """The audit trail of the asking admin's regions (national admins see all of it)."""
    require(user, "audit.view")
    qs: QuerySet[AuditEvent] = AuditEvent.objects.filter(region_q(user, "region_code"))
    qs = _region_filter(qs, "region_code", region)
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    return qs.order_by("-at", "-id")


def user_by_phone(*, phone: str) -> User | None:
    """The active account whose login is this phone number (any common form), if there is one.

    For forms that link a known person (an officer, a member) once the asker's own right to
    make that link has been checked.
    """
    key = login_key(phone)
    if not key or "@" in key:
        return None
    return User.objects.filter(phone=key, is_active=True).first()
