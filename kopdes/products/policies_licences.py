"""Policy rules of the licences area: licences, "ready for market", featured products, targets and
the featured boards (registered on import by ProductsConfig.ready)."""

from __future__ import annotations

from kopdes.accounts.choices import OFFICER_ROLES, Role
from kopdes.accounts.scopes import administers, has_role, org_ids
from kopdes.core.policies import rule

# Officers who run the cooperative day to day (as in cooperatives.policies).
MANAGING = (Role.KETUA, Role.WAKIL_KETUA, Role.SEKRETARIS, Role.BENDAHARA)


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def _is_producer(user, product) -> bool:
    return product.producer.organization_id in org_ids(user, Role.PRODUCER)


def _is_officer(user, product, roles=tuple(OFFICER_ROLES)) -> bool:
    return product.cooperative.organization_id in org_ids(user, *roles)


@rule("products.licences.view")
def may_view_licences(user, product) -> bool:
    if not _authenticated(user):
        return False
    return (
        _is_producer(user, product)
        or _is_officer(user, product)
        or administers(user, product.village_id)
        or any(
            a.role == Role.CURATOR and a.region_id and product.village_id.startswith(a.region_id + ".")
            for a in user.active_roles()
        )
    )


@rule("products.licences.manage")
def may_manage_licences(user, product) -> bool:
    if not _authenticated(user):
        return False
    return (
        _is_producer(user, product)
        or _is_officer(user, product, MANAGING)
        or administers(user, product.village_id)
    )


@rule("products.ready.mark")
def may_mark_ready(user, product) -> bool:
    return may_manage_licences(user, product)


@rule("products.licences.due")
def may_see_due_licences(user, _obj) -> bool:
    """The list of licences soon to expire: admins (their regions) and officers (their cooperative)."""
    return _authenticated(user) and (
        has_role(user, Role.ADMIN_NATIONAL, Role.ADMIN_PROVINCE, Role.ADMIN_REGENCY)
        or bool(org_ids(user, *OFFICER_ROLES))
    )


@rule("products.featured.designate")
def may_designate(user, regency) -> bool:
    """A regency admin of that regency, or a province or national admin covering it."""
    return _authenticated(user) and regency is not None and administers(user, regency.code)


@rule("products.targets.set")
def may_set_target(user, province) -> bool:
    # administers(user, "53") holds for admins of province 53 and national admins only.
    return _authenticated(user) and province is not None and administers(user, province.code)


@rule("products.boards.view")
def may_view_boards(user, _region) -> bool:
    # Featured products and targets are public, for transparency.
    return True


def register_nav() -> None:
    """The menu entry of the licences area (called by ProductsConfig.ready)."""
    from django.utils.translation import gettext_lazy as _

    from kopdes.core.nav import NavItem, register
    from kopdes.core.policies import can

    register(
        NavItem(
            _("Licences due"), "products:licences_due", lambda u: can(u, "products.licences.due"), order=34
        )
    )
