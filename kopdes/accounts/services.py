"""Every write to people, roles, organisations and API tokens goes through these services."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kopdes.core.audit import audit_record, diff
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.policies import require

from .choices import ROLE_SCOPE, Role
from .identifiers import normalize_email, normalize_phone
from .models import ApiToken, Organization, RoleAssignment, User

TOKEN_PREFIX = "kd_"  # noqa: S105  (a public marker in front of every key, not a secret)


def _clean_identity(*, phone: str | None, email: str | None, exclude_pk: int | None = None):
    fields: dict[str, list[str]] = {}
    clean_phone = clean_email = None
    if phone:
        try:
            clean_phone = normalize_phone(phone)
        except ValidationError as exc:
            fields["phone"] = list(exc.messages)
    if email:
        try:
            clean_email = normalize_email(email)
        except ValidationError:
            fields["email"] = [_("Enter a valid email address.")]
    if not phone and not email:
        fields["phone"] = [_("Enter a phone number or an email address.")]
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if clean_phone and others.filter(phone=clean_phone).exists():
        fields["phone"] = [_("This phone number is already registered.")]
    if clean_email and others.filter(email=clean_email).exists():
        fields["email"] = [_("This email address is already registered.")]
    if fields:
        raise DomainError(_("Please correct the marked fields."), code="invalid", fields=fields)
    return clean_phone, clean_email


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(
            _("Please choose another password."),
            code="weak_password",
            fields={"password": exc.messages},
        ) from exc


def _snapshot(user: User) -> dict:
    return {
        "phone": user.phone,
        "email": user.email,
        "full_name": user.full_name,
        "region": user.region_id,
        "is_active": user.is_active,
    }


@transaction.atomic
def user_register(*, phone: str, full_name: str, password: str, email: str | None = None) -> User:
    """Self-registration of a public buyer."""
    clean_phone, clean_email = _clean_identity(phone=phone, email=email)
    user = User(phone=clean_phone, email=clean_email, full_name=full_name.strip())
    _check_password(password, user)
    user.set_password(password)
    user.save()
    assignment = RoleAssignment.objects.create(user=user, role=Role.BUYER)
    audit_record(actor=user, action="accounts.user.register", obj=user, changes=_snapshot(user))
    audit_record(actor=user, action="accounts.role.grant", obj=assignment, changes={"role": Role.BUYER})
    return user


@transaction.atomic
def user_create(
    *,
    actor: User,
    full_name: str,
    region,
    phone: str | None = None,
    email: str | None = None,
    password: str | None = None,
) -> User:
    """An admin creates an account inside their region (the person sets a password later or now)."""
    require(actor, "accounts.user.create", region)
    clean_phone, clean_email = _clean_identity(phone=phone, email=email)
    user = User(phone=clean_phone, email=clean_email, full_name=full_name.strip(), region=region)
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action="accounts.user.create", obj=user, changes=_snapshot(user))
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, **fields) -> User:
    """Change a person's name, contact or region. Admins in scope, or the person (not region)."""
    if actor.pk != user.pk or "region" in fields:
        require(actor, "accounts.user.manage", user)
    if "region" in fields and fields["region"] is not None:
        require(actor, "accounts.user.create", fields["region"])
    before = _snapshot(user)
    if "phone" in fields or "email" in fields:
        phone, email = _clean_identity(
            phone=fields.get("phone", user.phone),
            email=fields.get("email", user.email),
            exclude_pk=user.pk,
        )
        user.phone, user.email = phone, email
    if "full_name" in fields:
        name = (fields["full_name"] or "").strip()
        if not name:  # a name sent as null or spaces: a person keeps one
            message = _("Enter the person's name.")
            raise DomainError(message, code="invalid", fields={"full_name": [message]})
        user.full_name = name
    if "region" in fields:
        user.region = fields["region"]
    user.save()
    changes = diff(before, _snapshot(user))
    if changes:
        audit_record(actor=actor, action="accounts.user.update", obj=user, changes=changes)
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Suspend or reinstate an account."""
    require(actor, "accounts.user.manage", user)
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="accounts.user.activate" if active else "accounts.user.suspend",
            obj=user,
            changes={"is_active": [not active, active]},
        )
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    """Set a new password: the person themself, or an admin in scope (e.g. a reset by phone)."""
    if actor.pk != user.pk:
        require(actor, "accounts.user.manage", user)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="accounts.user.password", obj=user)
    return user


def _validate_scope(role: str, region, organization) -> None:
    scope = ROLE_SCOPE[role]
    message = None
    if isinstance(scope, str):
        if region is not None or organization is not None:
            message = _("This role is not limited to a region or an organisation.")
    elif scope[0] == "region":
        if region is None or organization is not None:
            message = _("This role needs a region.")
        elif region.level not in scope[1]:
            message = _("This role cannot be scoped to %(region)s: choose a region of another level.") % {
                "region": region.name
            }
    elif scope[0] == "org":
        if organization is None or region is not None:
            message = _("This role needs an organisation.")
        elif organization.kind not in scope[1]:
            message = _("This role cannot be held in an organisation of the kind “%(kind)s”.") % {
                "kind": organization.get_kind_display()
            }
    if message:
        raise DomainError(message, code="invalid_scope", fields={"scope": [message]})


@transaction.atomic
def role_grant(
    *, actor: User | None, user: User, role: str, region=None, organization=None
) -> RoleAssignment:
    """Give a person a role within a scope. `actor=None` is the system (demo data, commands)."""
    if role not in Role.values:
        raise DomainError(_("Unknown role."), code="unknown_role", fields={"role": [_("Unknown role.")]})
    _validate_scope(role, region, organization)
    assignment = RoleAssignment(
        user=user, role=role, region=region, organization=organization, granted_by=actor
    )
    if actor is not None:
        require(actor, "accounts.role.grant", assignment)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise Conflict(_("This person already holds this role here."), code="duplicate_role") from None
    user.forget_roles()
    audit_record(
        actor=actor,
        action="accounts.role.grant",
        obj=assignment,
        changes={"user": user.pk, "role": role, "scope": assignment.scope_key},
    )
    return assignment


def role_ensure(
    *, actor: User | None, user: User, role: str, region=None, organization=None
) -> RoleAssignment:
    """The person's active assignment of this role in this scope, granted now if they lack it."""
    scope = RoleAssignment(user=user, role=role, region=region, organization=organization).compute_scope_key()
    existing = RoleAssignment.objects.filter(
        user=user, role=role, scope_key=scope, revoked_at__isnull=True
    ).first()
    return existing or role_grant(actor=actor, user=user, role=role, region=region, organization=organization)


@transaction.atomic
def role_revoke(*, actor: User | None, assignment: RoleAssignment) -> RoleAssignment:
    """End a role assignment. The row stays, with who ended it and when."""
    if actor is not None:
        require(actor, "accounts.role.revoke", assignment)
    if assignment.revoked_at is None:
        assignment.revoked_at = timezone.now()
        assignment.revoked_by = actor
        assignment.save(update_fields=["revoked_at", "revoked_by"])
        assignment.user.forget_roles()
        audit_record(
            actor=actor,
            action="accounts.role.revoke",
            obj=assignment,
            changes={
                "user": assignment.user_id,
                "role": assignment.role,
                "scope": assignment.scope_key,
            },
        )
    return assignment


@transaction.atomic
def organization_create(*, actor: User | None, kind: str, name: str, region) -> Organization:
    """Register an organisation (cooperative, producer, partner, lender) in a region."""
    org = Organization(kind=kind, name=name.strip(), region=region)
    if actor is not None:
        require(actor, "accounts.org.create", org)
    if Organization.objects.filter(kind=kind, name__iexact=org.name, region=region).exists():
        raise Conflict(
            _("An organisation with this name already exists in this region."),
            code="duplicate_organization",
            fields={"name": [_("Already registered in this region.")]},
        )
    org.save()
    audit_record(actor=actor, action="accounts.org.create", obj=org, changes={"kind": kind, "name": org.name})
    return org


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create an API token for the actor. Returns the token and its key, shown only this once."""
    require(actor, "accounts.token.manage", None)
    days = days or settings.KOPDES_API_TOKEN_DAYS
    if not 1 <= days <= 730:
        raise DomainError(
            _("A token lives between 1 and 730 days."),
            code="invalid",
            fields={"days": [_("1 to 730.")]},
        )
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name."), code="invalid", fields={"name": [_("Required.")]})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name[:80],
        prefix=key[:10],
        key_hash=_hash_token(key),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action="accounts.token.create",
        obj=token,
        changes={"name": token.name, "days": days},
    )
    return token, key


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens; it stops working at once."""
    require(actor, "accounts.token.manage", token)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="accounts.token.revoke", obj=token)
    return token


def token_authenticate(*, key: str) -> tuple[User | None, str]:
    """The user behind a bearer key, and why not when there is none ('invalid', 'expired', 'revoked')."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None, "invalid"
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_token(key)).first()
    if token is None or not token.user.is_active:
        return None, "invalid"
    if token.revoked_at is not None:
        return None, "revoked"
    now = timezone.now()
    if token.expires_at <= now:
        return None, "expired"
    # Touch at most once a minute: keeps a busy integration from writing on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, "ok"
