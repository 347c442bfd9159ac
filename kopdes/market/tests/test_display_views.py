"""Display point pages: the public list, the operator's page, the cashier, the cooperative's
consignments, the monthly settlement and the statement (HTML and XLSX)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.core.nav import items_for
from kopdes.market.choices import DisplaySettlementStatus
from kopdes.market.models import DisplayPoint, DisplaySale, DisplaySettlement, SettlementEntry
from kopdes.market.services_display import display_settlement_prepare, shelf_of

from .factories import LOA_IPUH, make_listing, officer, outlet
from .test_display_factories import KUKAR, SIKKA, admin_of, make_point, on_shelf, operator_of, operator_org
from .test_display_services import sell, shelf_quantity, sold_at

pytestmark = pytest.mark.django_db
WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def point():
    return make_point(name="Galeri Bandara Uji")


@pytest.fixture
def amplang(point):
    return on_shelf(point, quantity=5, price=25_000, name="Amplang Ikan Pipih")


@pytest.fixture
def cashier(point):
    return operator_of(point.operator)


def url(name: str, *args) -> str:
    return reverse(f"market:{name}", args=args)


# --- Public -----------------------------------------------------------------------------------


def test_anyone_sees_the_open_display_points_in_few_queries(client, django_assert_max_num_queries, point):
    for _ in range(4):
        make_point()
    closed = make_point(name="Pameran Tutup")
    DisplayPoint.objects.filter(pk=closed.pk).update(is_active=False)

    with django_assert_max_num_queries(6):
        response = client.get(url("display_list"))

    assert response.status_code == 200
    assert "Galeri Bandara Uji" in response.text and "Pameran Tutup" not in response.text
    assert response.text.count('data-point="') == 5


def test_an_admin_finds_the_points_of_their_region_on_the_list(client, point, regions):
    elsewhere = make_point(region="53.07.01.2001", name="Galeri Maumere")

    for admin, mine, theirs in ((admin_of(KUKAR), point, elsewhere), (admin_of(SIKKA), elsewhere, point)):
        client.force_login(admin)
        response = client.get(url("display_list"))
        assert response.status_code == 200
        managed = response.text.split('id="managed"')[1].split("</section>")[0]
        assert f'data-point="{mine.slug}"' in managed and f'data-point="{theirs.slug}"' not in managed


def test_the_list_filters_by_province(client, point):
    elsewhere = make_point(region="53.07.01.2001", name="Galeri Maumere")

    response = client.get(url("display_list"), {"region": "53"})

    assert response.status_code == 200
    assert "Galeri Maumere" in response.text and "Galeri Bandara Uji" not in response.text
    assert elsewhere.slug in response.text


def test_the_list_filters_by_kind(client, point):
    response = client.get(url("display_list"), {"kind": "harbour"})
    assert response.status_code == 200 and "Galeri Bandara Uji" not in response.text


def test_a_visitor_sees_what_is_on_the_shelf_but_not_the_cashier(client, point, amplang):
    response = client.get(url("display_point", point.slug))
    assert response.status_code == 200
    assert "Amplang Ikan Pipih" in response.text and "Rp25.000" in response.text
    assert url("display_cashier", point.slug) not in response.text


# --- The operator's page and the cashier ------------------------------------------------------


def test_the_operator_sees_the_shelf_sales_and_consignments(client, point, amplang, cashier):
    sell(point, cashier, (amplang, 2))
    client.force_login(cashier)

    response = client.get(url("display_manage", point.slug))

    assert response.status_code == 200
    assert f'data-listing="{amplang.pk}"' in response.text and "Amplang Ikan Pipih" in response.text
    assert "data-sale=" in response.text and url("display_cashier", point.slug) in response.text


def test_the_regions_admin_sees_the_point_page_but_gets_no_cashier(client, point, amplang):
    admin = admin_of(KUKAR)
    client.force_login(admin)
    assert client.get(url("display_manage", point.slug)).status_code == 200
    assert client.get(url("display_cashier", point.slug)).status_code == 403


@pytest.mark.parametrize("who", ["other_operator", "officer", "other_admin"])
def test_outsiders_are_refused_the_point_page(client, point, amplang, who):
    user = {
        "other_operator": lambda: operator_of(operator_org()),
        "officer": lambda: officer(amplang.cooperative),
        "other_admin": lambda: admin_of(SIKKA),
    }[who]()
    client.force_login(user)
    assert client.get(url("display_manage", point.slug)).status_code == 403
    assert client.get(url("display_cashier", point.slug)).status_code == 403
    response = client.post(
        url("display_cashier", point.slug),
        {"payment_method": "cash", "idempotency_key": "key-outsider-1", f"qty_{amplang.pk}": "1"},
    )
    assert response.status_code == 403
    assert shelf_quantity(point, amplang) == 5


def test_an_anonymous_visitor_is_sent_to_log_in(client, point):
    response = client.get(url("display_cashier", point.slug))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_the_cashier_screen_lists_the_shelf_with_a_fresh_key(client, point, amplang, cashier):
    client.force_login(cashier)
    response = client.get(url("display_cashier", point.slug))
    assert response.status_code == 200
    assert f'name="qty_{amplang.pk}"' in response.text and 'max="5"' in response.text
    assert 'name="idempotency_key"' in response.text and 'id="cashier-total"' in response.text


def test_the_cashier_records_a_sale_once_even_when_tapped_twice(client, point, amplang, cashier):
    client.force_login(cashier)
    form = {"payment_method": "qris", "idempotency_key": "tap-tap-0001", f"qty_{amplang.pk}": "2"}

    first = client.post(url("display_cashier", point.slug), form)
    second = client.post(url("display_cashier", point.slug), form, follow=True)

    assert first.status_code == 302
    assert DisplaySale.objects.count() == 1
    assert shelf_quantity(point, amplang) == 3
    sale = DisplaySale.objects.get()
    assert sale.number in second.text and "Rp50.000" in second.text


def test_the_cashier_is_told_when_the_shelf_holds_less(client, point, amplang, cashier):
    client.force_login(cashier)
    response = client.post(
        url("display_cashier", point.slug),
        {"payment_method": "cash", "idempotency_key": "tap-over-0001", f"qty_{amplang.pk}": "9"},
    )
    assert response.status_code == 200
    assert "Only 5 of Amplang Ikan Pipih left on the shelf." in response.text
    assert 'value="9"' in response.text  # what was typed stays
    assert shelf_quantity(point, amplang) == 5 and not DisplaySale.objects.exists()


def test_an_empty_sale_is_refused_with_a_message(client, point, amplang, cashier):
    client.force_login(cashier)
    response = client.post(
        url("display_cashier", point.slug), {"payment_method": "cash", "idempotency_key": "tap-none-0001"}
    )
    assert response.status_code == 200 and "Choose at least one product." in response.text


# --- The cooperative's side -------------------------------------------------------------------


def test_an_officer_consigns_and_takes_back_from_the_cooperative_page(client, point):
    listing = make_listing(stock=10, name="Madu Kelulut")
    ketua = officer(listing.cooperative)
    client.force_login(ketua)
    page = client.get(url("display_cooperative"))
    assert page.status_code == 200 and "Madu Kelulut" in page.text

    sent = client.post(
        url("display_cooperative"),
        {
            "direction": "send",
            "display_point": point.pk,
            "listing": listing.pk,
            "location": outlet(listing.cooperative).pk,
            "quantity": 4,
        },
    )
    back = client.post(
        url("display_cooperative"),
        {
            "direction": "back",
            "display_point": point.pk,
            "listing": listing.pk,
            "location": outlet(listing.cooperative).pk,
            "quantity": 1,
        },
    )

    assert sent.status_code == back.status_code == 302
    assert shelf_quantity(point, listing) == 3


def test_consigning_more_than_the_outlet_holds_shows_the_reason(client, point):
    listing = make_listing(stock=2)
    client.force_login(officer(listing.cooperative))
    response = client.post(
        url("display_cooperative"),
        {
            "direction": "send",
            "display_point": point.pk,
            "listing": listing.pk,
            "location": outlet(listing.cooperative).pk,
            "quantity": 4,
        },
    )
    assert response.status_code == 200 and "Only 2 of" in response.text
    assert shelf_quantity(point, listing) == 0


def test_an_officer_cannot_consign_another_cooperatives_listing(client, point):
    listing = make_listing(stock=5)
    other = make_listing(LOA_IPUH, stock=5)
    client.force_login(officer(listing.cooperative))
    response = client.post(
        url("display_cooperative"),
        {
            "direction": "send",
            "display_point": point.pk,
            "listing": other.pk,
            "location": outlet(other.cooperative).pk,
            "quantity": 1,
        },
    )
    assert response.status_code == 200  # not among the choices: the form refuses it
    assert shelf_quantity(point, other) == 0


def test_the_cooperative_page_is_for_cooperative_officers(client, point, cashier):
    client.force_login(cashier)
    assert client.get(url("display_cooperative")).status_code == 403


def test_a_supervisor_reads_statements_but_moves_no_goods(client, point, amplang):
    pengawas = officer(amplang.cooperative, role=Role.PENGAWAS)
    client.force_login(pengawas)
    assert client.get(url("display_cooperative")).status_code == 200
    response = client.post(
        url("display_cooperative"),
        {
            "direction": "send",
            "display_point": point.pk,
            "listing": amplang.pk,
            "location": outlet(amplang.cooperative).pk,
            "quantity": 1,
        },
    )
    assert response.status_code == 403


def test_officers_find_the_cooperative_page_in_the_menu(point, amplang):
    labels = [label for label, _href in items_for(officer(amplang.cooperative))]
    assert "Goods on display" in labels
    assert "Goods on display" not in [label for label, _href in items_for(operator_of(point.operator))]


# --- Settlement and statement -----------------------------------------------------------------


def sales_in_may(point, cashier, amplang):
    sold_at(sell(point, cashier, (amplang, 2)), dt.datetime(2026, 5, 10, 10, tzinfo=WITA))
    sold_at(sell(point, cashier, (amplang, 1)), dt.datetime(2026, 5, 31, 23, 30, tzinfo=WITA))


def test_the_operator_prepares_reviews_and_settles_a_month(client, point, amplang, cashier):
    sales_in_may(point, cashier, amplang)
    client.force_login(cashier)
    page = url("display_settlements", point.slug)

    preview = client.get(page, {"month": "2026-05"})
    assert preview.status_code == 200 and 'id="preview"' in preview.text and "Rp75.000" in preview.text

    assert client.post(page, {"action": "prepare", "month": "2026-05"}).status_code == 302
    settlement = DisplaySettlement.objects.get()
    review = client.get(page, {"month": "2026-05"})
    assert f'data-settlement="{settlement.pk}"' in review.text and "Rp7.500" in review.text

    done = client.post(
        page, {"action": "settle", "settlement": settlement.pk, "month": "2026-05"}, follow=True
    )
    settlement.refresh_from_db()
    assert done.status_code == 200 and settlement.status == DisplaySettlementStatus.SETTLED
    assert SettlementEntry.objects.filter(display_settlement=settlement).count() == 2


@pytest.mark.parametrize("who", ["officer", "other_operator", "other_admin"])
def test_outsiders_cannot_settle(client, point, amplang, cashier, who):
    sales_in_may(point, cashier, amplang)
    [draft] = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")
    user = {
        "officer": lambda: officer(amplang.cooperative),
        "other_operator": lambda: operator_of(operator_org()),
        "other_admin": lambda: admin_of(SIKKA),
    }[who]()
    client.force_login(user)
    page = url("display_settlements", point.slug)
    assert client.get(page).status_code == 403
    assert (
        client.post(page, {"action": "settle", "settlement": draft.pk, "month": "2026-05"}).status_code == 403
    )
    draft.refresh_from_db()
    assert draft.status == DisplaySettlementStatus.DRAFT


def test_the_cooperatives_treasurer_reads_and_downloads_its_statement(client, point, amplang, cashier):
    sales_in_may(point, cashier, amplang)
    [draft] = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")
    client.force_login(officer(amplang.cooperative, role=Role.BENDAHARA))

    page = client.get(url("display_statement", draft.pk))
    xlsx = client.get(url("display_statement_xlsx", draft.pk))

    assert page.status_code == 200
    assert 'data-amount="gross">Rp75.000' in page.text and 'data-amount="net">Rp67.500' in page.text
    assert "31/05 23:30" in page.text  # the point's local time (WITA), not Jakarta's
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "Amplang Ikan Pipih" in strings and point.name in strings


def test_another_cooperative_cannot_read_the_statement(client, point, amplang, cashier):
    sales_in_may(point, cashier, amplang)
    [draft] = display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")
    stranger = officer(make_listing(LOA_IPUH).cooperative)
    client.force_login(stranger)
    assert client.get(url("display_statement", draft.pk)).status_code == 403
    assert client.get(url("display_statement_xlsx", draft.pk)).status_code == 403


# --- Opening a point --------------------------------------------------------------------------


def test_a_regency_admin_opens_a_point_from_the_form(client, regions):
    org = operator_org()
    client.force_login(admin_of(KUKAR))
    response = client.post(
        url("display_create"),
        {
            "operator_org": org.pk,
            "name": "Galeri Pelabuhan Samarinda",
            "kind": "harbour",
            "region__1": "64",
            "region__2": "64.02",
            "region__3": "64.02.06",
            "commission_percent": 10,
        },
    )
    point = DisplayPoint.objects.get(name="Galeri Pelabuhan Samarinda")
    assert response.status_code == 302 and response["Location"] == url("display_manage", point.slug)
    assert shelf_of(point).village_id == "64.02.06"


def test_an_admin_cannot_open_a_point_outside_their_region(client, regions):
    client.force_login(admin_of(SIKKA))
    response = client.post(
        url("display_create"),
        {
            "operator_org": operator_org().pk,
            "name": "Galeri Luar",
            "kind": "hotel",
            "region__1": "64",
            "region__2": "64.02",
            "commission_percent": 10,
        },
    )
    assert response.status_code == 403 and not DisplayPoint.objects.filter(name="Galeri Luar").exists()


def test_an_operator_cannot_open_a_point(client, point, cashier):
    client.force_login(cashier)
    assert client.get(url("display_create")).status_code == 403


# --- Query counts -----------------------------------------------------------------------------


def busy_point(point, cashier, amplang):
    """Goods of three cooperatives on the shelf, a dozen sales, last month prepared."""
    others = [
        on_shelf(point, quantity=10, price=10_000, listing=make_listing(village, price=10_000, stock=10))
        for village in (LOA_IPUH, "53.07.01.2001")
    ]
    for n in range(12):
        sold_at(
            sell(point, cashier, (amplang, 1) if n % 4 == 0 else (others[n % 2], 1)),
            dt.datetime(2026, 5, 1 + n, 12, tzinfo=WITA),
        )
    return display_settlement_prepare(actor=cashier, display_point=point, month="2026-05")


def test_the_operators_pages_take_few_queries(client, django_assert_max_num_queries, point, amplang, cashier):
    settlements = busy_point(point, cashier, amplang)
    client.force_login(cashier)
    client.get(url("display_list"))  # the session and the user's roles, read once
    for name, args, limit in (
        ("display_manage", (point.slug,), 6),
        ("display_cashier", (point.slug,), 5),
        ("display_settlements", (point.slug,), 4),
        ("display_statement", (settlements[0].pk,), 6),
    ):
        with django_assert_max_num_queries(limit):
            response = client.get(
                url(name, *args), {"month": "2026-05"} if name == "display_settlements" else {}
            )
        assert response.status_code == 200, name


def test_the_cooperative_page_takes_few_queries(
    client, django_assert_max_num_queries, point, amplang, cashier
):
    busy_point(point, cashier, amplang)
    for _ in range(3):
        on_shelf(point, listing=amplang, quantity=1)
    client.force_login(officer(amplang.cooperative))
    with django_assert_max_num_queries(10):
        response = client.get(url("display_cooperative"))
    assert response.status_code == 200 and response.text.count("data-settlement=") == 1
