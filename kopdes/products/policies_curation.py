"""Policy rules of the curation area (registered on import by ProductsConfig.ready).

Who decides a round: a regional admin covering the product (regency, province or national), or
any curator who scored the round. A curator who has not scored yet never sees the others' scores.
"""

from __future__ import annotations

from kopdes.accounts.choices import OFFICER_ROLES, Role
from kopdes.accounts.scopes import administers, has_role, org_ids
from kopdes.core.policies import rule
from kopdes.regions.codes import within


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def is_product_team(user, product) -> bool:
    """The product's producer (its own organisation or the cooperative's) or the cooperative's officers."""
    if not _authenticated(user):
        return False
    producer_orgs = org_ids(user, Role.PRODUCER)
    officer_orgs = org_ids(user, *OFFICER_ROLES)
    coop_org = product.cooperative.organization_id
    return (
        product.producer.organization_id in producer_orgs
        or coop_org in producer_orgs
        or coop_org in officer_orgs
    )


def curator_covers(user, village_code: str) -> bool:
    """The user is a curator whose region scope contains the village."""
    return _authenticated(user) and any(
        a.role == Role.CURATOR and a.region_id and within(village_code, a.region_id)
        for a in user.active_roles()
    )


def conflict_of_interest(user, product) -> bool:
    """The user holds any role in the product's cooperative or producer, or lives in its village."""
    if not _authenticated(user):
        return False
    orgs = org_ids(user)
    if product.cooperative.organization_id in orgs or product.producer.organization_id in orgs:
        return True
    return bool(user.region_id) and user.region_id == product.village_id


def has_scored(user, round_) -> bool:
    if not _authenticated(user):
        return False
    return any(s.curator_id == user.pk for s in round_.scores.all())


def admin_covers(user, product) -> bool:
    return _authenticated(user) and administers(user, product.village_id)


@rule("products.curation.submit")
def may_submit(user, product) -> bool:
    return _authenticated(user) and (admin_covers(user, product) or is_product_team(user, product))


@rule("products.curation.history")
def may_see_history(user, product) -> bool:
    return _authenticated(user) and (admin_covers(user, product) or is_product_team(user, product))


@rule("products.curation.queue")
def may_have_queue(user, _obj) -> bool:
    return _authenticated(user) and has_role(user, Role.CURATOR)


@rule("products.curation.score")
def may_score(user, round_) -> bool:
    """A curator covering the product's village, without a conflict of interest, on an open round."""
    if not _authenticated(user):
        return False
    product = round_.product
    return curator_covers(user, product.village_id) and not conflict_of_interest(user, product)


@rule("products.curation.round.view")
def may_view_round(user, round_) -> bool:
    """Deciders: an admin covering the product, or a curator once they have scored the round."""
    if not _authenticated(user):
        return False
    return admin_covers(user, round_.product) or has_scored(user, round_)


@rule("products.curation.decide")
def may_decide(user, round_) -> bool:
    if not _authenticated(user):
        return False
    return admin_covers(user, round_.product) or has_scored(user, round_)


@rule("products.curation.rubric.manage")
def may_manage_rubric(user, province) -> bool:
    """Only the admins of that province adjust its rubric."""
    return _authenticated(user) and any(
        a.role == Role.ADMIN_PROVINCE and a.region_id == province.code for a in user.active_roles()
    )


def register_nav() -> None:
    """The curator's queue in the menu (called by ProductsConfig.ready)."""
    from django.utils.translation import gettext_lazy as _

    from kopdes.core.nav import NavItem, register
    from kopdes.core.policies import can

    def is_curator(user) -> bool:
        return can(user, "products.curation.queue")

    register(NavItem(_("Curation queue"), "products:curation_queue", is_curator, order=41))
