"""Who may see and change cooperatives, their formation, officers, members, units and imports."""

from __future__ import annotations

from kopdes.accounts.choices import OFFICER_ROLES, Role
from kopdes.accounts.scopes import admin_prefixes, administers, has_role, org_ids
from kopdes.core.policies import rule
from kopdes.regions.codes import within

from .choices import Stage

# Officers who run the cooperative day to day (the pengawas supervises, it does not run it).
MANAGING = (Role.KETUA, Role.WAKIL_KETUA, Role.SEKRETARIS, Role.BENDAHARA)


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def is_officer(user, coop, roles=tuple(OFFICER_ROLES)) -> bool:
    return _authenticated(user) and coop.organization_id in org_ids(user, *roles)


def _regional(user, code: str, *roles: str) -> bool:
    """The user holds one of `roles` with a region scope containing `code`."""
    return _authenticated(user) and any(
        a.role in roles and a.region_id and within(code, a.region_id) for a in user.active_roles()
    )


def _admin(user, coop) -> bool:
    return _authenticated(user) and administers(user, coop.village_id)


@rule("cooperatives.list")
def may_list(user, _obj) -> bool:
    return _authenticated(user) and (
        has_role(
            user, Role.ADMIN_NATIONAL, Role.ADMIN_PROVINCE, Role.ADMIN_REGENCY, Role.MENTOR, Role.VILLAGE_HEAD
        )
        or bool(org_ids(user, *OFFICER_ROLES, Role.MEMBER))
    )


@rule("cooperatives.view")
def may_view(user, coop) -> bool:
    if not _authenticated(user):
        return False
    return (
        _admin(user, coop)
        or is_officer(user, coop, (*OFFICER_ROLES, Role.MEMBER))
        or _regional(user, coop.village_id, Role.VILLAGE_HEAD, Role.MENTOR)
    )


@rule("cooperatives.create")
def may_create(user, village) -> bool:
    """`village` is where the cooperative will be; None asks "may this user register any?"."""
    if not _authenticated(user):
        return False
    return administers(user, village.code) if village is not None else bool(admin_prefixes(user))


@rule("cooperatives.memberships.own")
def may_see_own_memberships(user, _obj) -> bool:
    return _authenticated(user)


@rule("cooperatives.update")
def may_update(user, coop) -> bool:
    if not _authenticated(user):
        return False
    return _admin(user, coop) or is_officer(user, coop, MANAGING)


@rule("cooperatives.stage.record")
def may_record_stage(user, record) -> bool:
    if not _authenticated(user):
        return False
    coop = record.cooperative
    if _admin(user, coop):
        return True
    if record.stage in (Stage.SOSIALISASI, Stage.MUSDESUS):
        # The village head convenes the socialisation and the musdesus and confirms them.
        return _regional(user, coop.village_id, Role.VILLAGE_HEAD) or (
            record.stage == Stage.SOSIALISASI and is_officer(user, coop, MANAGING)
        )
    return is_officer(user, coop, (Role.KETUA, Role.WAKIL_KETUA, Role.SEKRETARIS))


@rule("cooperatives.stage.verify")
def may_verify_stage(user, record) -> bool:
    # The regency office (or above) verifies; never someone who runs the cooperative.
    return (
        _authenticated(user) and _admin(user, record.cooperative) and not is_officer(user, record.cooperative)
    )


@rule("cooperatives.stage.rollback")
def may_roll_back(user, coop) -> bool:
    if not _authenticated(user):
        return False
    return _admin(user, coop) and not is_officer(user, coop)


@rule("cooperatives.officer.manage")
def may_manage_officers(user, coop) -> bool:
    if not _authenticated(user):
        return False
    return _admin(user, coop) or is_officer(user, coop, (Role.KETUA,))


@rule("cooperatives.member.list")
def may_list_members(user, coop) -> bool:
    if not _authenticated(user):
        return False
    return _admin(user, coop) or is_officer(user, coop)


@rule("cooperatives.member.view")
def may_view_member(user, member) -> bool:
    if not _authenticated(user):
        return False
    return member.user_id == user.pk or may_list_members(user, member.cooperative)


@rule("cooperatives.member.manage")
def may_manage_members(user, coop) -> bool:
    if not _authenticated(user):
        return False
    return _admin(user, coop) or is_officer(user, coop, MANAGING)


@rule("cooperatives.unit.manage")
def may_manage_units(user, coop) -> bool:
    if not _authenticated(user):
        return False
    return _admin(user, coop) or is_officer(user, coop, MANAGING)


@rule("cooperatives.import.cooperatives")
def may_import_cooperatives(user, region) -> bool:
    return _authenticated(user) and region is not None and administers(user, region.code)


@rule("cooperatives.import.members")
def may_import_members(user, coop) -> bool:
    return may_manage_members(user, coop)


@rule("cooperatives.import.view")
def may_view_import(user, job) -> bool:
    """An import's pages and error sheet: its creator (while still allowed there), admins of its region."""
    if not _authenticated(user):
        return False
    if administers(user, job.audit_region_code):
        return True
    if job.created_by_id != user.pk:
        return False
    if job.cooperative_id:
        return may_import_members(user, job.cooperative)
    return may_import_cooperatives(user, job.region)


@rule("cooperatives.coverage.view")
def may_view_coverage(user, _region) -> bool:
    # Coverage is counts per region with no personal data: public, for transparency.
    return True


@rule("cooperatives.microsite.view")
def may_view_microsite(user, _coop) -> bool:
    return True
