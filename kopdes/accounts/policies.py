"""Who may see and change people, roles, organisations, tokens and the audit trail."""

from __future__ import annotations

from kopdes.core.policies import rule

from .choices import ADMIN_RANK, Role
from .scopes import admin_prefixes, admin_rank, administers, org_ids


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


@rule("accounts.user.list")
def may_list_users(user, _obj) -> bool:
    return bool(admin_prefixes(user))


@rule("accounts.user.view")
def may_view_user(user, target) -> bool:
    if not _authenticated(user):
        return False
    return target.pk == user.pk or administers(user, target.region_id)


@rule("accounts.user.create")
def may_create_user(user, region) -> bool:
    """`region` is the region the new account will belong to (None: no region)."""
    return _authenticated(user) and administers(user, getattr(region, "code", None))


@rule("accounts.user.manage")
def may_manage_user(user, target) -> bool:
    if not _authenticated(user) or target.pk == user.pk:
        return False
    # An admin never changes an admin of the same or a higher rank.
    return administers(user, target.region_id) and admin_rank(target) < admin_rank(user)


def _may_handle_assignment(user, assignment) -> bool:
    if not _authenticated(user) or not administers(user, assignment.user.region_id):
        return False
    if assignment.role in ADMIN_RANK and ADMIN_RANK[assignment.role] >= admin_rank(user):
        return False
    if assignment.role == Role.BUYER:
        return True
    return administers(user, assignment.scope_region_code or None)


@rule("accounts.role.grant")
def may_grant_role(user, assignment) -> bool:
    return _may_handle_assignment(user, assignment)


@rule("accounts.role.revoke")
def may_revoke_role(user, assignment) -> bool:
    return _may_handle_assignment(user, assignment) and assignment.user_id != user.pk


@rule("accounts.org.list")
def may_list_orgs(user, _obj) -> bool:
    return bool(admin_prefixes(user))


@rule("accounts.org.view")
def may_view_org(user, org) -> bool:
    return _authenticated(user) and (administers(user, org.region_id) or org.pk in org_ids(user))


@rule("accounts.org.create")
def may_create_org(user, org) -> bool:
    return _authenticated(user) and administers(user, org.region_id)


@rule("accounts.token.manage")
def may_manage_token(user, token) -> bool:
    if not _authenticated(user):
        return False
    return token is None or token.user_id == user.pk


@rule("accounts.profile.view")
def may_view_profile(user, _obj) -> bool:
    return _authenticated(user)


@rule("audit.view")
def may_view_audit(user, _obj) -> bool:
    return bool(admin_prefixes(user))
