from __future__ import annotations

import pytest
from django.urls import reverse

from kopdes.accounts.services import token_create
from kopdes.cooperatives import services as coop
from kopdes.core import policies

from .conftest import add_member, village


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.fixture
def registry(regions, kukar_admin):
    jahab = coop.cooperative_create(actor=None, village=village("64.02.06.1001"))
    add_member(admin=kukar_admin, cooperative=jahab)
    coop.cooperative_create(actor=None, village=village("53.07.01.2001"), scheme="develop")
    return jahab


def test_anyone_gets_the_nations_coverage_with_a_row_per_province(client, registry):
    response = client.get("/api/v1/coverage/")

    assert response.status_code == 200
    body = response.json()
    assert body["region"]["code"] == "" and body["region"]["villages"] == 83762
    assert body["region"]["cooperatives"] == 2 and body["region"]["villages_covered"] == 2
    assert body["region"]["schemes"] == {"new": 1, "develop": 1, "revitalize": 0}
    assert body["region"]["stages"]["none"] == 2 and len(body["region"]["stages"]) == 8
    assert len(body["children"]) == 38
    kaltim = next(c for c in body["children"] if c["code"] == "64")
    assert kaltim["members_active"] == 1 and kaltim["level"] == 1


def test_a_regions_coverage_has_the_same_numbers_as_its_page(client, registry):
    page = client.get(reverse("monitoring:region", args=["64.02"])).context["coverage"]

    body = client.get("/api/v1/coverage/64.02").json()

    assert [a["code"] for a in body["ancestors"]] == ["64"]
    assert len(body["children"]) == len(page.children) == 20
    for row, child in zip(page.children, body["children"], strict=True):
        assert child["code"] == row.code
        assert (child["villages"], child["villages_covered"]) == (row.villages, row.covered)
        assert child["percent_covered"] == round(row.percent, 2)
    assert body["region"]["villages"] == 237


def test_a_districts_villages_say_which_cooperative_they_have(client, registry):
    body = client.get("/api/v1/coverage/640206").json()  # a code without dots works too

    villages = {c["code"]: c for c in body["children"]}
    assert villages["64.02.06.1001"]["cooperative"]["stage"] == "none"
    assert villages["64.02.06.1001"]["cooperative"]["is_seat"] is True
    assert villages["64.02.06.1002"]["cooperative"] is None


def test_a_token_holder_gets_the_coverage_too(client, registry, kukar_admin):
    _, key = token_create(actor=kukar_admin, name="dashboard")

    response = client.get("/api/v1/coverage/64", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200 and response.json()["region"]["cooperatives"] == 1


def test_a_malformed_region_code_is_a_400_and_an_unknown_one_a_404(client, regions):
    error = assert_error(client.get("/api/v1/coverage/abc"), 400, "invalid_region_code")
    assert "code" in error["fields"]
    assert_error(client.get("/api/v1/coverage/99"), 404, "unknown_region")
    assert_error(client.get("/api/v1/coverage/99/without-cooperative"), 404, "unknown_region")


def test_the_villages_without_a_cooperative_come_a_page_at_a_time(client, registry):
    response = client.get("/api/v1/coverage/64.02/without-cooperative?page=1&page_size=10")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 236 and len(body["items"]) == 10
    assert "64.02.06.1001" not in [v["code"] for v in body["items"]]
    assert set(body["items"][0]) == {"code", "name", "kind", "path"}


def test_a_village_has_no_list_of_villages_without_a_cooperative(client, regions):
    assert_error(
        client.get("/api/v1/coverage/64.02.06.1001/without-cooperative"), 400, "invalid_region_level"
    )


def test_the_api_asks_the_policy_layer_and_answers_its_refusal_in_the_error_format(
    client, regions, monkeypatch
):
    monkeypatch.setitem(policies._rules, "cooperatives.coverage.view", lambda user, obj: False)

    assert_error(client.get("/api/v1/coverage/"), 403, "forbidden")
    assert_error(client.get("/api/v1/coverage/53"), 403, "forbidden")
    assert_error(client.get("/api/v1/coverage/53/without-cooperative"), 403, "forbidden")
