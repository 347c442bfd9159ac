"""Display points: opening one, consigning stock, the cashier's sales, the monthly settlement."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kopdes.accounts.choices import Role
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.market.choices import (
    DisplayKind,
    DisplaySettlementStatus,
    LocationKind,
    MovementReason,
    PaymentMethod,
    SettlementKind,
)
from kopdes.market.models import (
    Consignment,
    DisplaySale,
    DisplaySettlement,
    Listing,
    Location,
    SettlementEntry,
    StockLevel,
    StockMovement,
)
from kopdes.market.selectors_display import statement
from kopdes.market.services_display import (
    commission_for,
    consign,
    consign_back,
    display_point_create,
    display_sale_record,
    display_settlement_prepare,
    display_settlement_settle,
    month_window,
    shelf_of,
)
from kopdes.regions.models import Region

from .factories import JAHAB, LOA_IPUH, MASABEWA, make_listing, officer, outlet
from .test_display_factories import (
    KUKAR,
    SIKKA,
    admin_of,
    key,
    make_point,
    on_shelf,
    operator_of,
    operator_org,
)

pytestmark = pytest.mark.django_db
WITA = ZoneInfo("Asia/Makassar")


def shelf_quantity(point, listing) -> int:
    return (
        StockLevel.objects.filter(location=shelf_of(point), listing=listing)
        .values_list("quantity", flat=True)
        .first()
        or 0
    )


def outlet_quantity(listing) -> int:
    return StockLevel.objects.get(location=outlet(listing.cooperative), listing=listing).quantity


def sell(point, operator, *lines, method="cash", idempotency_key=None):
    return display_sale_record(
        actor=operator,
        display_point=point,
        lines=[(listing.pk, quantity) for listing, quantity in lines],
        payment_method=method,
        idempotency_key=idempotency_key or key(),
    )


def sold_at(sale, when: dt.datetime) -> None:
    DisplaySale.objects.filter(pk=sale.pk).update(sold_at=when)


# --- Opening a display point ------------------------------------------------------------------


def test_a_regency_admin_opens_a_display_point_with_its_shelf(regions):
    admin = admin_of(KUKAR)
    org = operator_org()

    point = display_point_create(
        actor=admin,
        operator_org=org,
        name="Galeri Bandara Uji",
        kind=DisplayKind.AIRPORT,
        region=Region.objects.get(code=JAHAB),
        address="Terminal",
        latitude="-0.373",
        longitude="117.255",
        commission_percent=15,
    )

    shelf = Location.objects.get(display_point=point)
    assert shelf.kind == LocationKind.DISPLAY and shelf.cooperative_id is None
    assert point.slug == "galeri-bandara-uji" and point.commission_percent == 15
    assert AuditEvent.objects.filter(action="market.display.create", object_id=str(point.pk)).exists()


def test_an_admin_of_another_region_cannot_open_a_display_point_here(regions):
    with pytest.raises(PolicyDenied):
        display_point_create(
            actor=admin_of(SIKKA),
            operator_org=operator_org(),
            name="Galeri",
            kind=DisplayKind.HOTEL,
            region=Region.objects.get(code=JAHAB),
        )


def test_an_operator_cannot_open_a_display_point(regions):
    org = operator_org()
    with pytest.raises(PolicyDenied):
        display_point_create(
            actor=operator_of(org),
            operator_org=org,
            name="Galeri",
            kind=DisplayKind.HOTEL,
            region=Region.objects.get(code=JAHAB),
        )


def test_a_display_point_is_run_by_a_display_operator_and_takes_at_most_half(regions):
    listing = make_listing()
    admin = admin_of(KUKAR)
    region = Region.objects.get(code=JAHAB)
    with pytest.raises(DomainError) as caught:
        display_point_create(
            actor=admin,
            operator_org=listing.cooperative.organization,
            name="Galeri",
            kind=DisplayKind.HOTEL,
            region=region,
        )
    assert caught.value.code == "not_an_operator"
    with pytest.raises(DomainError) as caught:
        display_point_create(
            actor=admin,
            operator_org=operator_org(),
            name="Galeri",
            kind=DisplayKind.HOTEL,
            region=region,
            commission_percent=60,
        )
    assert "commission_percent" in caught.value.fields


# --- Consignment ------------------------------------------------------------------------------


def test_consigning_moves_stock_from_the_outlet_to_the_shelf():
    point = make_point()
    listing = make_listing(stock=10)
    ketua = officer(listing.cooperative)

    consignment = consign(
        actor=ketua,
        display_point=point,
        listing=listing,
        from_location=outlet(listing.cooperative),
        quantity=4,
    )

    listing.refresh_from_db()
    assert consignment.quantity == 4
    assert outlet_quantity(listing) == 6 and listing.stock_online == 6
    assert shelf_quantity(point, listing) == 4
    reasons = sorted(StockMovement.objects.filter(listing=listing).values_list("reason", "delta"))
    assert reasons == [(MovementReason.CONSIGN_IN, 4), (MovementReason.CONSIGN_OUT, -4)]
    assert AuditEvent.objects.filter(action="market.display.consign").exists()


def test_consigning_more_than_the_outlet_holds_is_refused_and_changes_nothing():
    point = make_point()
    listing = make_listing(stock=3)

    with pytest.raises(Conflict) as caught:
        consign(
            actor=officer(listing.cooperative),
            display_point=point,
            listing=listing,
            from_location=outlet(listing.cooperative),
            quantity=4,
        )

    assert "Only 3" in str(caught.value.message)
    assert outlet_quantity(listing) == 3 and shelf_quantity(point, listing) == 0
    assert not Consignment.objects.exists() and not StockMovement.objects.exists()


def test_only_the_cooperatives_own_officers_consign_its_goods():
    point = make_point()
    listing = make_listing()
    other = make_listing(LOA_IPUH)
    for actor in (officer(other.cooperative), operator_of(point.operator), admin_of(KUKAR)):
        with pytest.raises(PolicyDenied):
            consign(
                actor=actor,
                display_point=point,
                listing=listing,
                from_location=outlet(listing.cooperative),
                quantity=1,
            )


def test_stock_is_consigned_from_the_cooperatives_own_outlet_only():
    point = make_point()
    listing = make_listing()
    other = make_listing(LOA_IPUH)
    with pytest.raises(DomainError) as caught:
        consign(
            actor=officer(listing.cooperative),
            display_point=point,
            listing=listing,
            from_location=outlet(other.cooperative),
            quantity=1,
        )
    assert caught.value.code == "wrong_location"


def test_goods_are_taken_back_from_the_shelf_but_never_more_than_is_there():
    point = make_point()
    listing = on_shelf(point, quantity=5, extra=0)
    ketua = officer(listing.cooperative)

    consign_back(
        actor=ketua, display_point=point, listing=listing, to_location=outlet(listing.cooperative), quantity=2
    )
    with pytest.raises(Conflict):
        consign_back(
            actor=ketua,
            display_point=point,
            listing=listing,
            to_location=outlet(listing.cooperative),
            quantity=4,
        )

    listing.refresh_from_db()
    assert shelf_quantity(point, listing) == 3 and outlet_quantity(listing) == 2 == listing.stock_online
    assert list(Consignment.objects.order_by("id").values_list("quantity", flat=True)) == [5, -2]


def test_the_operator_may_hand_goods_back_but_another_operator_may_not():
    point = make_point()
    listing = on_shelf(point, quantity=5)
    consign_back(
        actor=operator_of(point.operator),
        display_point=point,
        listing=listing,
        to_location=outlet(listing.cooperative),
        quantity=1,
    )
    with pytest.raises(PolicyDenied):
        consign_back(
            actor=operator_of(operator_org()),
            display_point=point,
            listing=listing,
            to_location=outlet(listing.cooperative),
            quantity=1,
        )
    assert shelf_quantity(point, listing) == 4


# --- Sales at the cashier ---------------------------------------------------------------------


def test_a_sale_takes_the_goods_off_the_shelf():
    point = make_point()
    amplang = on_shelf(point, quantity=5, price=25_000)
    madu = on_shelf(point, quantity=2, price=85_000)
    cashier = operator_of(point.operator)

    sale = sell(point, cashier, (madu, 1), (amplang, 3), method="qris")

    assert sale.total == 3 * 25_000 + 85_000
    assert sale.payment_method == PaymentMethod.QRIS and sale.sold_by == cashier
    assert shelf_quantity(point, amplang) == 2 and shelf_quantity(point, madu) == 1
    assert [(line.listing_id, line.quantity) for line in sale.lines.order_by("listing_id")] == sorted(
        [(amplang.pk, 3), (madu.pk, 1)]
    )
    movements = StockMovement.objects.filter(display_sale=sale)
    assert {m.reason for m in movements} == {MovementReason.DISPLAY_SALE}
    assert Listing.objects.get(pk=amplang.pk).sold_count == 3
    # The shelf is not online stock: the outlet's count did not move.
    assert Listing.objects.get(pk=amplang.pk).stock_online == 5


def test_cash_is_recorded_as_cash():
    point = make_point()
    listing = on_shelf(point)
    sale = sell(point, operator_of(point.operator), (listing, 1), method="cash")
    assert sale.payment_method == PaymentMethod.COD


def test_a_sale_larger_than_the_shelf_is_refused_and_the_shelf_never_goes_negative():
    point = make_point()
    amplang = on_shelf(point, quantity=3)
    madu = on_shelf(point, quantity=5)
    cashier = operator_of(point.operator)

    with pytest.raises(Conflict) as caught:
        sell(point, cashier, (amplang, 4), (madu, 1))

    assert caught.value.code == "not_enough_on_shelf"
    assert f"Only 3 of {amplang.name} left on the shelf." in str(caught.value.message)
    assert f"listing:{amplang.pk}" in caught.value.fields
    assert shelf_quantity(point, amplang) == 3 and shelf_quantity(point, madu) == 5
    assert not DisplaySale.objects.exists()


def test_a_product_that_is_not_on_the_shelf_cannot_be_sold_there():
    point = make_point()
    elsewhere = make_listing(stock=10)
    with pytest.raises(Conflict) as caught:
        sell(point, operator_of(point.operator), (elsewhere, 1))
    assert "not on the shelf" in str(caught.value.message)
    assert outlet_quantity(elsewhere) == 10


def test_a_retried_sale_returns_the_same_sale_and_takes_the_stock_once():
    point = make_point()
    listing = on_shelf(point, quantity=5)
    cashier = operator_of(point.operator)

    first = sell(point, cashier, (listing, 2), idempotency_key="tap-0000001")
    again = sell(point, cashier, (listing, 2), idempotency_key="tap-0000001")

    assert again.pk == first.pk
    assert DisplaySale.objects.count() == 1
    assert shelf_quantity(point, listing) == 3


def test_an_idempotency_key_of_another_point_is_refused():
    point, other = make_point(), make_point()
    listing = on_shelf(point)
    on_shelf(other, listing=listing, quantity=1)
    sell(point, operator_of(point.operator), (listing, 1), idempotency_key="tap-0000002")
    with pytest.raises(Conflict):
        sell(other, operator_of(other.operator), (listing, 1), idempotency_key="tap-0000002")


@pytest.mark.parametrize("who", ["officer", "other_operator", "other_admin", "own_admin", "anonymous"])
def test_only_the_points_operator_records_sales(who):
    point = make_point()
    listing = on_shelf(point)
    actor = {
        "officer": lambda: officer(listing.cooperative),
        "other_operator": lambda: operator_of(operator_org()),
        "other_admin": lambda: admin_of(SIKKA),
        "own_admin": lambda: admin_of(KUKAR),
        "anonymous": lambda: None,
    }[who]()
    with pytest.raises(PolicyDenied):
        sell(point, actor, (listing, 1))
    assert shelf_quantity(point, listing) == 5


def test_a_sale_needs_products_a_payment_method_and_a_key():
    point = make_point()
    listing = on_shelf(point)
    cashier = operator_of(point.operator)
    with pytest.raises(DomainError) as caught:
        display_sale_record(
            actor=cashier, display_point=point, lines=[], payment_method="cash", idempotency_key=key()
        )
    assert caught.value.code == "sale_empty"
    with pytest.raises(DomainError) as caught:
        sell(point, cashier, (listing, 1), method="transfer")
    assert "payment_method" in caught.value.fields
    with pytest.raises(DomainError) as caught:
        sell(point, cashier, (listing, 1), idempotency_key="short")
    assert caught.value.code == "idempotency_key"


def test_a_closed_point_sells_nothing():
    point = make_point()
    listing = on_shelf(point)
    point.is_active = False
    point.save()
    with pytest.raises(Conflict):
        sell(point, operator_of(point.operator), (listing, 1))


# --- Monthly settlement -----------------------------------------------------------------------


def test_commission_is_rounded_half_up_on_the_cooperatives_month():
    assert commission_for(25_005, 10) == 2_501  # 2,500.5 rounds up
    assert commission_for(25_004, 10) == 2_500
    assert commission_for(99, 15) == 15  # 14.85
    assert commission_for(0, 10) == 0


@given(gross=st.integers(min_value=0, max_value=10**12), percent=st.integers(min_value=0, max_value=50))
def test_net_and_commission_always_make_the_gross(gross, percent):
    commission = commission_for(gross, percent)
    net = gross - commission
    assert 0 <= commission <= gross and net >= 0
    assert net + commission == gross
    assert abs(commission * 100 - gross * percent) <= 50


def may_2026(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=WITA)


def test_the_settlement_splits_the_month_by_cooperative():
    point = make_point(commission=10)
    jahab = on_shelf(point, quantity=10, price=25_005)
    loa = on_shelf(point, quantity=10, price=40_000, listing=make_listing(LOA_IPUH, price=40_000, stock=10))
    cashier = operator_of(point.operator)
    sold_at(sell(point, cashier, (jahab, 1), (loa, 2)), may_2026(10, 9))
    sold_at(sell(point, cashier, (jahab, 1)), may_2026(20, 15))

    settlements = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")

    by_coop = {s.cooperative_id: s for s in settlements}
    jahab_month = by_coop[jahab.cooperative_id]
    assert (jahab_month.gross, jahab_month.commission, jahab_month.net) == (50_010, 5_001, 45_009)
    loa_month = by_coop[loa.cooperative_id]
    assert (loa_month.gross, loa_month.commission, loa_month.net) == (80_000, 8_000, 72_000)
    assert all(s.status == DisplaySettlementStatus.DRAFT for s in settlements)


def test_months_follow_the_points_local_time():
    point = make_point()  # Kutai Kartanegara: WITA, UTC+8
    listing = on_shelf(point, quantity=10, price=10_000)
    cashier = operator_of(point.operator)
    # 23:59 WITA on 31 May is still May; 00:30 WITA on 1 June (16:30 UTC on 31 May) is June.
    sold_at(sell(point, cashier, (listing, 1)), dt.datetime(2026, 5, 31, 23, 59, tzinfo=WITA))
    sold_at(sell(point, cashier, (listing, 2)), dt.datetime(2026, 5, 31, 16, 30, tzinfo=dt.UTC))
    sold_at(sell(point, cashier, (listing, 4)), dt.datetime(2026, 4, 30, 16, 0, tzinfo=dt.UTC))  # 1 May 00:00

    [may] = display_settlement_prepare(actor=cashier, display_point=point, month=dt.date(2026, 5, 1))
    [june] = display_settlement_prepare(actor=cashier, display_point=point, month=dt.date(2026, 6, 1))

    assert may.gross == 50_000 and june.gross == 20_000
    start, end = month_window(point, dt.date(2026, 5, 1))
    assert start == dt.datetime(2026, 4, 30, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 5, 31, 16, 0, tzinfo=dt.UTC)


def test_a_point_in_java_counts_in_wib():
    point = (
        make_point(region="33.74.01.1001") if Region.objects.filter(code="33.74.01.1001").exists() else None
    )
    if point is None:
        pytest.skip("region missing")
    start, _end = month_window(point, dt.date(2026, 5, 1))
    assert start == dt.datetime(2026, 4, 30, 17, 0, tzinfo=dt.UTC)


def test_settling_credits_the_cooperative_once():
    point = make_point(commission=10)
    listing = on_shelf(point, quantity=10, price=33_333)
    cashier = operator_of(point.operator)
    sold_at(sell(point, cashier, (listing, 3)), may_2026(15, 12))
    [draft] = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")

    settled = display_settlement_settle(actor=cashier, settlement=draft)
    again = display_settlement_settle(actor=cashier, settlement=draft)

    assert settled.status == again.status == DisplaySettlementStatus.SETTLED and settled.settled_by == cashier
    entries = SettlementEntry.objects.filter(cooperative=listing.cooperative).order_by("kind")
    assert [(e.kind, e.amount) for e in entries] == [
        (SettlementKind.DISPLAY_COMMISSION, -10_000),
        (SettlementKind.DISPLAY_SALE, 99_999),
    ]
    assert entries.aggregate(total=Sum("amount"))["total"] == settled.net == 89_999


def test_a_settled_month_is_not_recomputed():
    point = make_point(commission=10)
    listing = on_shelf(point, quantity=10, price=10_000)
    cashier = operator_of(point.operator)
    sale = sell(point, cashier, (listing, 1))
    sold_at(sale, may_2026(3, 10))
    [draft] = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")
    display_settlement_settle(actor=cashier, settlement=draft)
    sold_at(sell(point, cashier, (listing, 1)), may_2026(4, 10))  # a late entry, cannot happen in use

    [same] = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")

    assert same.gross == 10_000 and same.status == DisplaySettlementStatus.SETTLED


def test_a_stale_draft_is_settled_with_the_months_real_sales():
    point = make_point(commission=10)
    listing = on_shelf(point, quantity=10, price=10_000)
    cashier = operator_of(point.operator)
    sold_at(sell(point, cashier, (listing, 1)), may_2026(3, 10))
    [draft] = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")
    sold_at(sell(point, cashier, (listing, 2)), may_2026(30, 10))

    settled = display_settlement_settle(actor=cashier, settlement=draft)

    assert (settled.gross, settled.commission, settled.net) == (30_000, 3_000, 27_000)


def test_the_current_month_cannot_be_settled_yet():
    point = make_point()
    listing = on_shelf(point)
    cashier = operator_of(point.operator)
    sell(point, cashier, (listing, 1))
    [draft] = display_settlement_prepare(
        actor=cashier, display_point=point, month=dt.datetime.now(WITA).date().replace(day=1)
    )
    with pytest.raises(Conflict) as caught:
        display_settlement_settle(actor=cashier, settlement=draft)
    assert caught.value.code == "month_not_over"
    with pytest.raises(DomainError):
        display_settlement_prepare(actor=cashier, display_point=point, month="2099-01")


def test_settlement_is_for_the_operator_and_the_regions_admins():
    point = make_point()
    listing = on_shelf(point)
    sold_at(sell(point, operator_of(point.operator), (listing, 1)), may_2026(2, 8))
    display_settlement_prepare(actor=admin_of("64"), display_point=point, month="2026-05")
    [draft] = DisplaySettlement.objects.all()
    for actor in (officer(listing.cooperative), operator_of(operator_org()), admin_of(SIKKA)):
        with pytest.raises(PolicyDenied):
            display_settlement_prepare(actor=actor, display_point=point, month="2026-05")
        with pytest.raises(PolicyDenied):
            display_settlement_settle(actor=actor, settlement=draft)


def test_the_statement_lists_the_months_lines_and_adds_up():
    point = make_point(commission=10)
    listing = on_shelf(point, quantity=10, price=12_500)
    other = on_shelf(point, quantity=10, price=40_000, listing=make_listing(LOA_IPUH, price=40_000, stock=10))
    cashier = operator_of(point.operator)
    sold_at(sell(point, cashier, (listing, 2), (other, 1)), may_2026(1, 0, 5))
    sold_at(sell(point, cashier, (listing, 1)), may_2026(31, 23, 50))
    sold_at(sell(point, cashier, (listing, 5)), dt.datetime(2026, 6, 1, 0, 10, tzinfo=WITA))
    Consignment.objects.update(created_at=may_2026(1, 0))
    settlements = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")
    mine = next(s for s in settlements if s.cooperative_id == listing.cooperative_id)
    ketua = officer(listing.cooperative, role=Role.BENDAHARA)

    result = statement(user=ketua, settlement=mine)

    assert [(line.quantity, line.line_total) for line in result.lines] == [(2, 25_000), (1, 12_500)]
    assert result.lines[0].sold_at.utcoffset() == dt.timedelta(hours=8) and result.zone == "WITA"
    assert [(p.name, p.quantity, p.gross) for p in result.products] == [(listing.name, 3, 37_500)]
    assert result.gross == result.lines_gross == 37_500
    assert result.commission + result.net == result.gross and result.percent == 10
    assert result.consigned == 10 and result.on_shelf == 2 and not result.stale
    with pytest.raises(PolicyDenied):
        statement(user=officer(other.cooperative), settlement=mine)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    percent=st.integers(min_value=0, max_value=50),
    sales=st.lists(
        st.tuples(st.integers(0, 2), st.integers(1, 3), st.integers(1, 28)), min_size=1, max_size=8
    ),
    prices=st.lists(st.integers(1, 250_000), min_size=3, max_size=3),
)
def test_every_months_settlement_adds_up_to_its_sales(percent, sales, prices):
    with transaction.atomic():
        point = make_point(commission=percent)
        villages = [JAHAB, LOA_IPUH, MASABEWA]
        listings = [
            on_shelf(point, quantity=30, price=price, listing=make_listing(village, price=price, stock=30))
            for village, price in zip(villages, prices, strict=True)
        ]
        cashier = operator_of(point.operator)
        for index, quantity, day in sales:
            sold_at(sell(point, cashier, (listings[index], quantity)), may_2026(day, 12))

        settlements = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")

        total = DisplaySale.objects.filter(display_point=point).aggregate(s=Sum("total"))["s"]
        assert sum(s.gross for s in settlements) == total
        for settlement in settlements:
            assert settlement.net + settlement.commission == settlement.gross
            assert settlement.commission == commission_for(settlement.gross, percent)
        for listing in listings:
            level = shelf_quantity(point, listing)
            moved = (
                StockMovement.objects.filter(listing=listing, location=shelf_of(point)).aggregate(
                    s=Sum("delta")
                )["s"]
                or 0
            )
            assert level == moved >= 0
        transaction.set_rollback(True)
