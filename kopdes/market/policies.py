"""Who may sell, buy, process orders, confirm payments and run display points (registered on
import by MarketConfig.ready). The storefront itself is public: anyone may browse, fill a cart
and check out, with or without an account."""

from __future__ import annotations

from kopdes.accounts.choices import OFFICER_ROLES, Role
from kopdes.accounts.scopes import administers, org_ids
from kopdes.cooperatives.policies import MANAGING
from kopdes.core.policies import rule

from .choices import OrderStatus


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def _officer(user, cooperative, roles=MANAGING) -> bool:
    return _authenticated(user) and cooperative.organization_id in org_ids(user, *roles)


def _admin(user, cooperative) -> bool:
    return _authenticated(user) and administers(user, cooperative.village_id)


def _buyer(user, order) -> bool:
    """The order's buyer: by account, or holding its private link (checked by the selector that
    found the order, which marks it `via_link`)."""
    return getattr(order, "via_link", False) or (_authenticated(user) and order.buyer_id == user.pk)


@rule("market.catalog.view")
def may_browse(user, _obj) -> bool:
    return True


@rule("market.cart.use")
def may_use_cart(user, cart) -> bool:
    # A cart is found by the account or by the session's token, never by an id from the request.
    return cart is None or cart.user_id is None or (_authenticated(user) and cart.user_id == user.pk)


@rule("market.checkout.place")
def may_check_out(user, cart) -> bool:
    return may_use_cart(user, cart)


@rule("market.listing.manage")
def may_manage_listings(user, cooperative) -> bool:
    """List products, set prices, outlets, delivery zones and seller settings."""
    return _officer(user, cooperative) or _admin(user, cooperative)


@rule("market.listing.view_own")
def may_view_own_listings(user, cooperative) -> bool:
    return _officer(user, cooperative, tuple(OFFICER_ROLES)) or _admin(user, cooperative)


@rule("market.stock.adjust")
def may_adjust_stock(user, cooperative) -> bool:
    # Stock is counted on the shelf: the cooperative's own officers, not a regional admin.
    return _officer(user, cooperative)


@rule("market.feed.download")
def may_download_feeds(user, cooperative) -> bool:
    return _officer(user, cooperative) or _admin(user, cooperative)


@rule("market.orders.board")
def may_see_order_board(user, cooperative) -> bool:
    return _officer(user, cooperative, tuple(OFFICER_ROLES)) or _admin(user, cooperative)


@rule("market.orders.mine")
def may_list_own_orders(user, _obj) -> bool:
    return _authenticated(user)


@rule("market.order.view")
def may_view_order(user, order) -> bool:
    if order is None:
        return False
    return (
        _buyer(user, order)
        or _officer(user, order.cooperative, tuple(OFFICER_ROLES))
        or _admin(user, order.cooperative)
    )


@rule("market.order.process")
def may_process_order(user, order) -> bool:
    return _authenticated(user) and _officer(user, order.cooperative)


@rule("market.order.buyer_act")
def may_act_as_buyer(user, order) -> bool:
    return _buyer(user, order)


@rule("market.payment.confirm")
def may_confirm_payment(user, order) -> bool:
    # The treasurer confirms money received; the chair stands in.
    return _authenticated(user) and _officer(user, order.cooperative, (Role.BENDAHARA, Role.KETUA))


@rule("market.payment.callback")
def may_send_callback(user, _obj) -> bool:
    # The provider has no account: the body's HMAC signature is checked by the service.
    return True


@rule("market.settlement.view")
def may_view_settlement(user, cooperative) -> bool:
    return _officer(user, cooperative, tuple(OFFICER_ROLES)) or _admin(user, cooperative)


@rule("market.review.add")
def may_review(user, line) -> bool:
    if line is None:
        return False
    order = line.order
    return _buyer(user, order) and order.status in (OrderStatus.RECEIVED, OrderStatus.COMPLETED)


# --- Display points -------------------------------------------------------------------------


def _operates(user, point) -> bool:
    return _authenticated(user) and point.operator_id in org_ids(user, Role.DISPLAY_OPERATOR)


@rule("market.display.list")
def may_list_display_points(user, _obj) -> bool:
    return True  # where the showcases are is public


@rule("market.display.manage")
def may_manage_display_points(user, region) -> bool:
    """Open a display point in `region` (or, with None, anywhere the user administers)."""
    if not _authenticated(user):
        return False
    if region is None:
        return any(
            a.role in (Role.ADMIN_REGENCY, Role.ADMIN_PROVINCE, Role.ADMIN_NATIONAL)
            for a in user.active_roles()
        )
    return administers(user, region.code)


@rule("market.display.operate")
def may_operate_display_point(user, point) -> bool:
    """Record sales at the point and see its stock."""
    return _operates(user, point)


@rule("market.display.view")
def may_view_display_point(user, point) -> bool:
    return _operates(user, point) or (_authenticated(user) and administers(user, point.region_id))


@rule("market.display.consign")
def may_consign(user, cooperative) -> bool:
    return _officer(user, cooperative)


@rule("market.display.settle")
def may_settle(user, point) -> bool:
    return _operates(user, point) or (_authenticated(user) and administers(user, point.region_id))


@rule("market.display.statement")
def may_view_statement(user, settlement) -> bool:
    if not _authenticated(user):
        return False
    return (
        may_view_display_point(user, settlement.display_point)
        or _officer(user, settlement.cooperative, tuple(OFFICER_ROLES))
        or _admin(user, settlement.cooperative)
    )


# --- Display points: the cooperative's side (display points area) --------------------------


@rule("market.display.cooperative")
def may_see_own_display_goods(user, _obj) -> bool:
    """The page where a cooperative's officers consign goods and read their statements: any
    officer of a cooperative (what they see there is narrowed to their own cooperatives)."""
    return bool(org_ids(user, *OFFICER_ROLES))
