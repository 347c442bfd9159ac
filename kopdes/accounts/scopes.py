"""What part of the country, and which organisations, a person's roles reach."""

from __future__ import annotations

from django.db.models import Q

from kopdes.regions.codes import within

from .choices import ADMIN_RANK, Role


def admin_prefixes(user) -> list[str]:
    """Region prefixes the user administers; '' stands for the whole nation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    prefixes = []
    for assignment in user.active_roles():
        if assignment.role == Role.ADMIN_NATIONAL:
            return [""]
        if assignment.role in ADMIN_RANK:
            prefixes.append(assignment.region_id)
    return prefixes


def admin_rank(user) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return max((ADMIN_RANK.get(a.role, 0) for a in user.active_roles()), default=0)


def administers(user, region_code: str | None) -> bool:
    """True when the user is an admin whose region contains `region_code`.

    A record without a region ('' or None) belongs to no region: only national admins reach it.
    """
    prefixes = admin_prefixes(user)
    if "" in prefixes:
        return True
    if not region_code:
        return False
    return any(within(region_code, prefix) for prefix in prefixes)


def region_q(user, field: str) -> Q:
    """A filter keeping rows whose region code (`field`) lies in the user's admin regions."""
    prefixes = admin_prefixes(user)
    if "" in prefixes:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        q |= Q(**{field: prefix}) | Q(**{f"{field}__startswith": prefix + "."})
    return q


def has_role(user, *roles: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return any(a.role in roles for a in user.active_roles())


def org_ids(user, *roles: str) -> set[int]:
    """Organisations where the user holds one of `roles` (any role when none are given)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {
        a.organization_id for a in user.active_roles() if a.organization_id and (not roles or a.role in roles)
    }
