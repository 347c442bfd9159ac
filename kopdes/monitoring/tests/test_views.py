from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives import services as coop
from kopdes.core import policies
from kopdes.regions.models import Region

from .conftest import add_member, advance, village


@pytest.fixture
def registry(regions, kukar_admin):
    """Two cooperatives in Tenggarong (one operating with members), one in Sikka."""
    jahab = coop.cooperative_create(actor=None, village=village("64.02.06.1001"))
    for stage in ("sosialisasi", "musdesus", "rapat_pendirian", "akta_notaris", "badan_hukum"):
        advance(admin=kukar_admin, cooperative=jahab, stage=stage)
    for _ in range(3):
        add_member(admin=kukar_admin, cooperative=jahab)
    coop.cooperative_create(actor=None, village=village("64.02.06.1002"), scheme="develop")
    coop.cooperative_create(actor=None, village=village("53.07.01.2001"), scheme="revitalize")
    return jahab


def rows_by_code(response) -> dict:
    return {row.code: row for row in response.context["coverage"].children}


def test_the_nation_page_shows_every_province_with_its_coverage(client, registry):
    response = client.get(reverse("monitoring:coverage"))

    assert response.status_code == 200
    rows = rows_by_code(response)
    assert len(rows) == 38
    kaltim = rows["64"]
    assert (kaltim.villages, kaltim.covered, kaltim.value("cooperatives")) == (
        Region.objects.get(code="64").village_count,
        2,
        2,
    )
    assert kaltim.value("scheme:new") == 1 and kaltim.value("scheme:develop") == 1
    assert kaltim.value("stage:badan_hukum") == 1 and kaltim.value("stage:none") == 1
    assert kaltim.value("legal_entity") == 1 and kaltim.value("members_active") == 3
    assert rows["53"].value("scheme:revitalize") == 1
    total = response.context["coverage"].total
    assert total.villages == 83762 and total.covered == 3
    body = response.content.decode()
    assert 'href="/cakupan/64/"' in body
    assert "<svg" in body and "<script" not in body.split("<main")[1]


def test_every_level_links_down_to_the_next_until_the_village(client, registry):
    path = ["64", "64.02", "64.02.06", "64.02.06.1001"]
    response = client.get(reverse("monitoring:coverage"))
    for code in path:
        assert f'href="{reverse("monitoring:region", args=[code])}"' in response.content.decode()
        response = client.get(reverse("monitoring:region", args=[code]))
        assert response.status_code == 200

    body = response.content.decode()
    for code in path[:-1]:
        assert f'href="{reverse("monitoring:region", args=[code])}"' in body  # the breadcrumb
    assert "Koperasi Kelurahan Merah Putih Jahab" in body


def test_a_district_page_shows_which_villages_have_a_cooperative_and_at_which_stage(client, registry):
    client.cookies["django_language"] = "en"

    response = client.get(reverse("monitoring:region", args=["64.02.06"]))

    rows = rows_by_code(response)
    assert len(rows) == 14
    assert rows["64.02.06.1001"].cooperative.stage == "badan_hukum"
    assert rows["64.02.06.1002"].cooperative.stage == "none"
    assert rows["64.02.06.1003"].cooperative is None
    assert rows["64.02.06.1001"].value("members_active") == 3
    body = response.content.decode()
    assert "No cooperative yet" in body and "Legal entity (SK AHU)" in body
    assert response.context["coverage"].total.covered == 2


def test_the_table_has_a_totals_row_equal_to_the_sum_of_its_rows(client, registry):
    response = client.get(reverse("monitoring:region", args=["64.02"]))

    coverage = response.context["coverage"]
    for index, total in enumerate(coverage.total.counts):
        assert total == sum(row.counts[index] for row in coverage.children)
    assert coverage.total.villages == sum(row.villages for row in coverage.children) == 237
    assert "<tfoot>" in response.content.decode()


def test_a_village_without_a_cooperative_offers_its_admin_to_register_one(client, registry, kukar_admin):
    url = reverse("monitoring:region", args=["64.02.06.1003"])

    anonymous = client.get(url).content.decode()
    client.force_login(kukar_admin)
    admin = client.get(url).content.decode()

    assert "?village=64.02.06.1003" in admin
    assert "?village=64.02.06.1003" not in anonymous


def test_an_unknown_or_malformed_region_code_is_a_clear_error(client, regions):
    assert client.get(reverse("monitoring:region", args=["99"])).status_code == 404
    assert client.get(reverse("monitoring:region", args=["abc"])).status_code == 400


def test_the_coverage_pages_still_ask_the_policy_layer(client, regions, monkeypatch):
    monkeypatch.setitem(policies._rules, "cooperatives.coverage.view", lambda user, obj: False)

    assert client.get(reverse("monitoring:coverage")).status_code == 403
    assert client.get(reverse("monitoring:region", args=["53"])).status_code == 403
    assert client.get(reverse("monitoring:excel", args=["53"])).status_code == 403
    assert client.get(reverse("monitoring:without", args=["53.07"])).status_code == 403


def test_the_nation_page_runs_two_queries_for_a_visitor(client, registry, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = client.get(reverse("monitoring:coverage"))

    assert response.status_code == 200


@pytest.mark.parametrize("code", ["53", "64.02", "64.02.06", "64.02.06.1001"])
def test_region_pages_run_a_fixed_number_of_queries_for_a_logged_in_admin(
    client, registry, kukar_admin, django_assert_max_num_queries, code
):
    client.force_login(kukar_admin)
    client.get(reverse("monitoring:region", args=[code]))  # the session is loaded once

    with django_assert_max_num_queries(6):
        response = client.get(reverse("monitoring:region", args=[code]))

    assert response.status_code == 200


def test_the_excel_export_has_the_same_rows_and_numbers_as_the_page(client, registry):
    page = client.get(reverse("monitoring:region", args=["64.02"]))

    response = client.get(reverse("monitoring:excel", args=["64.02"]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="cakupan-64-02.xlsx"'
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    assert len(header) == 2 + 19 and len(body) == 20
    by_code = {row[0]: row for row in body}
    tenggarong = by_code["64.02.06"]
    page_row = rows_by_code(page)["64.02.06"]
    assert list(tenggarong[2:]) == [
        page_row.villages,
        page_row.covered,
        pytest.approx(page_row.percent / 100, abs=1e-4),
        *page_row.counts,
    ]
    assert totals[0] == "64.02" and totals[2] == 237 and totals[3] == 2


def test_the_nation_and_district_exports_open_too(client, registry):
    nation = load_workbook(BytesIO(client.get(reverse("monitoring:excel_nation")).content)).active
    district = load_workbook(
        BytesIO(client.get(reverse("monitoring:excel", args=["64.02.06"])).content)
    ).active

    assert nation.max_row == 1 + 38 + 1
    first_village = next(district.iter_rows(min_row=2, max_row=2, values_only=True))
    assert first_village[0] == "64.02.06.1001"
    assert first_village[2] == "Koperasi Kelurahan Merah Putih Jahab"


def test_a_cooperative_name_that_looks_like_a_formula_is_exported_as_text(client, registry, kukar_admin):
    coop.cooperative_update(actor=kukar_admin, cooperative=registry, name='=HYPERLINK("http://x.test","y")')

    response = client.get(reverse("monitoring:excel", args=["64.02.06"]))

    cell = load_workbook(BytesIO(response.content)).active["C2"]
    assert cell.value == '=HYPERLINK("http://x.test","y")' and cell.data_type == "s"


# --- Villages still without a cooperative ----------------------------------------------------


def test_the_villages_without_a_cooperative_are_listed_with_a_link_for_their_admin(
    client, registry, kukar_admin
):
    client.force_login(kukar_admin)

    response = client.get(reverse("monitoring:without", args=["64.02.06"]))

    codes = [v.code for v in response.context["page"].object_list]
    assert response.context["page"].paginator.count == 12
    assert "64.02.06.1001" not in codes and "64.02.06.1003" in codes
    assert "?village=64.02.06.1003" in response.content.decode()


def test_a_buyer_sees_the_list_without_links_to_register(client, registry, buyer):
    client.force_login(buyer)

    response = client.get(reverse("monitoring:without", args=["64.02.06"]))

    assert response.status_code == 200
    assert "?village=" not in response.content.decode()


def test_an_admin_of_another_regency_gets_no_link_to_register_there(client, registry):
    client.force_login(person(Role.ADMIN_REGENCY, region="53.07", scope="53.07"))

    response = client.get(reverse("monitoring:without", args=["64.02.06"]))

    assert "?village=" not in response.content.decode()


def test_the_list_of_a_regency_is_paginated_in_a_fixed_number_of_queries(
    client, registry, kukar_admin, django_assert_max_num_queries
):
    client.force_login(kukar_admin)
    client.get(reverse("monitoring:without", args=["64.02"]))

    with django_assert_max_num_queries(6):
        response = client.get(reverse("monitoring:without", args=["64.02"]) + "?page=2")

    assert response.context["page"].paginator.count == 235
    assert len(response.context["page"].object_list) == 50


def test_a_village_has_no_villages_without_a_cooperative_to_list(client, regions):
    assert client.get(reverse("monitoring:without", args=["64.02.06.1001"])).status_code == 400


def test_when_every_village_has_a_cooperative_the_list_says_what_next(client, regions):
    # 64.02.06 has 14 villages; cover them all.
    for region in Region.objects.filter(level=4, code__startswith="64.02.06."):
        coop.cooperative_create(actor=None, village=region)
    client.cookies["django_language"] = "en"

    response = client.get(reverse("monitoring:without", args=["64.02.06"]))

    assert "Every village here has a cooperative" in response.content.decode()


# --- Home and navigation ---------------------------------------------------------------------


def test_a_regency_admin_sees_the_villages_without_a_cooperative_on_the_home_page(
    client, registry, kukar_admin
):
    client.force_login(kukar_admin)

    response = client.get(reverse("core:home"))

    gaps = dict(response.context["panels"])["monitoring/_home_panel.html"]["gaps"]
    assert [(g.region.code, g.without) for g in gaps] == [("64.02", 235)]
    body = response.content.decode()
    assert reverse("monitoring:without", args=["64.02"]) in body
    assert reverse("monitoring:region", args=["64.02"]) in body


def test_a_province_admin_sees_their_province(client, registry):
    client.force_login(person(Role.ADMIN_PROVINCE, region="53", scope="53"))

    response = client.get(reverse("core:home"))

    (gap,) = dict(response.context["panels"])["monitoring/_home_panel.html"]["gaps"]
    assert gap.region.code == "53"
    assert gap.without == Region.objects.get(code="53").village_count - 1


def test_a_buyer_and_a_visitor_see_no_such_section(client, registry, buyer):
    anonymous = client.get(reverse("core:home")).content.decode()
    client.force_login(buyer)
    logged_in = client.get(reverse("core:home")).content.decode()

    for body in (anonymous, logged_in):
        assert reverse("monitoring:without", args=["64.02"]) not in body
        assert 'id="gaps-title"' not in body


def test_everyone_finds_coverage_in_the_menu(client, regions):
    response = client.get(reverse("core:home"))

    assert f'href="{reverse("monitoring:coverage")}"' in response.content.decode()
