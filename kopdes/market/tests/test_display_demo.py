"""The display points demo: the operator at APT Pranoto airport logs in; the point fills with the
demo cooperative's goods once it has listings; running it again changes nothing."""

from __future__ import annotations

import pytest
from lokal import parse_phone

from kopdes.accounts.choices import Role
from kopdes.accounts.demo import DEMO_PASSWORD, demo_world_load
from kopdes.accounts.models import User
from kopdes.cooperatives.demo import demo_cooperatives_load
from kopdes.core.policies import can
from kopdes.market.choices import DisplaySettlementStatus
from kopdes.market.demo_display import OPERATOR_PHONE, demo_display_load
from kopdes.market.models import Consignment, DisplayPoint, DisplaySale, DisplaySettlement, StockLevel

from .factories import make_listing

DEMO_VILLAGE = "64.02.16.2001"


@pytest.mark.django_db
def test_the_display_demo_waits_for_listings_then_fills_the_shelf_once(regions):
    demo_world_load()
    demo_cooperatives_load()

    summary, logins = demo_display_load()

    point = DisplayPoint.objects.get()
    operator = User.objects.get(phone=OPERATOR_PHONE)
    assert "no demo listings" in summary and not Consignment.objects.exists()
    [(who, login, password)] = logins
    assert "operator" in who and login == parse_phone(OPERATOR_PHONE).national and password == DEMO_PASSWORD
    assert operator.check_password(DEMO_PASSWORD) and operator.full_name == "Operator Galeri Bandara"
    assert any(a.role == Role.DISPLAY_OPERATOR for a in operator.active_roles())
    assert can(operator, "market.display.operate", point) and point.region_id.startswith("64.72")

    for _ in range(2):
        make_listing(DEMO_VILLAGE, stock=20)
    filled, _ = demo_display_load()
    counts = (Consignment.objects.count(), DisplaySale.objects.count(), DisplaySettlement.objects.count())
    again, logins_again = demo_display_load()

    assert "2 products on its shelf" in filled and "5 sales" in filled
    assert counts == (2, 5, 1)
    assert (
        Consignment.objects.count(),
        DisplaySale.objects.count(),
        DisplaySettlement.objects.count(),
    ) == counts
    assert "0 sales" in again and DisplayPoint.objects.count() == 1 and logins_again == logins
    assert DisplaySettlement.objects.get().status == DisplaySettlementStatus.DRAFT
    assert all(level.quantity >= 0 for level in StockLevel.objects.all())
