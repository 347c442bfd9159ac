"""Who may record village potential, register producers and manage products (registered on import
by ProductsConfig.ready). Potential and published products are public: no personal data."""

from __future__ import annotations

from kopdes.accounts.choices import OFFICER_ROLES, Role
from kopdes.accounts.scopes import administers, org_ids
from kopdes.cooperatives.policies import MANAGING
from kopdes.cooperatives.selectors import village_cooperative_links
from kopdes.core.policies import rule
from kopdes.regions.codes import within

from .choices import ProductStatus

# Statuses a visitor may not see: a product still being written, or one the curators turned down.
HIDDEN_STATUSES = (ProductStatus.DRAFT, ProductStatus.REJECTED)


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def _regional(user, code: str, *roles: str) -> bool:
    return _authenticated(user) and any(
        a.role in roles and a.region_id and within(code, a.region_id) for a in user.active_roles()
    )


def manages_cooperative(user, cooperative) -> bool:
    """A managing officer of the cooperative, or an admin whose region covers it."""
    return _authenticated(user) and (
        administers(user, cooperative.village_id) or cooperative.organization_id in org_ids(user, *MANAGING)
    )


def _manages_producer(user, producer) -> bool:
    return _authenticated(user) and (
        producer.organization_id in org_ids(user, Role.PRODUCER)
        or manages_cooperative(user, producer.cooperative)
    )


@rule("products.potential.view")
def may_view_potential(user, _village) -> bool:
    # A village's potential is what it grows and makes, not personal data: public.
    return True


@rule("products.potential.record")
def may_record_potential(user, village) -> bool:
    """`village` is the Region whose potential is recorded; None asks "may this user record any?"."""
    if not _authenticated(user):
        return False
    if village is None:
        return bool(org_ids(user, *OFFICER_ROLES)) or any(
            a.role in (Role.MENTOR, Role.ADMIN_REGENCY, Role.ADMIN_PROVINCE, Role.ADMIN_NATIONAL)
            for a in user.active_roles()
        )
    code = village.code
    if administers(user, code) or _regional(user, code, Role.MENTOR):
        return True
    officer_orgs = org_ids(user, *OFFICER_ROLES)
    if not officer_orgs:
        return False
    return any(
        link.cooperative.organization_id in officer_orgs
        for link in village_cooperative_links(village_codes=[code]).only(
            "village_id", "cooperative__organization_id"
        )
    )


@rule("products.producer.view")
def may_view_producers(user, cooperative) -> bool:
    if not _authenticated(user):
        return False
    return (
        manages_cooperative(user, cooperative)
        or cooperative.organization_id in org_ids(user, *OFFICER_ROLES)
        or _regional(user, cooperative.village_id, Role.MENTOR)
    )


@rule("products.producer.create")
def may_create_producer(user, cooperative) -> bool:
    return manages_cooperative(user, cooperative)


@rule("products.product.create")
def may_create_product(user, producer) -> bool:
    """`producer` makes the product; None asks "may this user add products at all?"."""
    if not _authenticated(user):
        return False
    if producer is None:
        return bool(org_ids(user, Role.PRODUCER, *MANAGING)) or any(
            a.role in (Role.ADMIN_REGENCY, Role.ADMIN_PROVINCE, Role.ADMIN_NATIONAL)
            for a in user.active_roles()
        )
    return _manages_producer(user, producer)


@rule("products.product.manage")
def may_manage_product(user, product) -> bool:
    return _authenticated(user) and product is not None and _manages_producer(user, product.producer)


@rule("products.product.public")
def may_view_product(user, product) -> bool:
    """Published products are public; drafts and rejected ones only to those who manage them."""
    if product is None or product.status not in HIDDEN_STATUSES:
        return True
    return may_manage_product(user, product)


def register_nav() -> None:
    """The shell's entries: public products for everyone, "My products" for those who make them."""
    from django.utils.translation import gettext_lazy as _

    from kopdes.core.nav import NavItem, register
    from kopdes.core.policies import can

    register(NavItem(_("Products"), "products:public_list", lambda user: True, order=40))
    register(
        NavItem(
            _("My products"), "products:manage", lambda user: can(user, "products.product.create"), order=41
        )
    )
