"""The curation API: every operation allowed for the right people and refused for the others."""

from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.services import token_create
from kopdes.accounts.tests.factories import person
from kopdes.products import selectors_curation as sel
from kopdes.products import services_curation as services
from kopdes.products.models import CurationRound, CurationScore
from kopdes.products.tests.curation_helpers import JAHAB, LOA_IPUH, MASABEWA, curator, points_for, submitted
from kopdes.products.tests.factories import make_product


@pytest.fixture
def api(client):
    tokens: dict[int, dict] = {}

    def call(method: str, path: str, user=None, data=None):
        headers = {}
        if user is not None:
            if user.pk not in tokens:
                tokens[user.pk] = {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, name='t')[1]}"}
            headers = tokens[user.pk]
        url = "/api/v1/curation" + path
        if method == "get":
            return client.get(url, data or {}, **headers)
        return getattr(client, method)(url, data or {}, content_type="application/json", **headers)

    return call


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


def _body(round_, share: float = 1.0) -> dict:
    return {"points": {str(k): v for k, v in points_for(round_, share).items()}, "notes": "ok"}


def test_a_producer_submits_their_product_and_reads_its_history(api, regions):
    product = make_product(JAHAB)
    producer = person(Role.PRODUCER, org=product.producer.organization)
    response = api("post", f"/products/{product.pk}/submit", producer)
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 1 and response.json()["status"] == "open"
    rounds = api("get", f"/products/{product.pk}/rounds", producer).json()
    assert [r["number"] for r in rounds] == [1]
    error_of(api("post", f"/products/{product.pk}/submit", producer), 409, "conflict")


def test_a_producer_of_another_product_is_refused_submit_and_history(api, regions):
    product = make_product(JAHAB)
    stranger = person(Role.PRODUCER, org=make_product(LOA_IPUH).producer.organization)
    assert api("post", f"/products/{product.pk}/submit", stranger).status_code == 403
    assert api("get", f"/products/{product.pk}/rounds", stranger).status_code == 403
    assert api("get", f"/products/{product.pk}/rounds").status_code == 401
    assert not CurationRound.objects.exists()


def test_a_curator_reads_the_queue_and_the_sheet_then_scores(api, regions, django_assert_max_num_queries):
    _, round_ = submitted(JAHAB)
    submitted(MASABEWA)
    kurator = curator()
    api("get", "/queue", kurator)  # the token is created outside the pinned block
    with django_assert_max_num_queries(10):
        queue = api("get", "/queue", kurator).json()
    assert [r["id"] for r in queue["items"]] == [round_.pk]
    sheet = api("get", f"/rounds/{round_.pk}/sheet", kurator).json()
    assert [p["max_points"] for p in sheet["parts"]] == [40, 25, 35]
    response = api("post", f"/rounds/{round_.pk}/scores", kurator, _body(round_))
    assert response.status_code == 201, response.content
    assert response.json()["total"] == 100
    assert api("get", "/queue", kurator).json()["items"] == []


def test_someone_who_is_not_a_curator_has_no_queue(api, regions):
    assert api("get", "/queue", person(Role.ADMIN_REGENCY, scope="64.02")).status_code == 403


def test_an_out_of_range_score_is_a_400_naming_the_criterion(api, regions):
    _, round_ = submitted()
    first = sel.rubric_criteria(round_.rubric)[0]
    body = _body(round_)
    body["points"][str(first.pk)] = first.max_points + 1
    error = error_of(api("post", f"/rounds/{round_.pk}/scores", curator(), body), 400, "invalid")
    assert first.name in error["message"]
    assert f"criterion_{first.pk}" in error["fields"]
    assert not CurationScore.objects.exists()


def test_a_curator_elsewhere_or_with_a_conflict_is_refused_scoring(api, regions):
    _, round_ = submitted()
    for refused in (curator(scope="53.07", region="53.01"), curator(region=JAHAB)):
        assert api("get", f"/rounds/{round_.pk}/sheet", refused).status_code == 403
        assert api("post", f"/rounds/{round_.pk}/scores", refused, _body(round_)).status_code == 403
    assert not CurationScore.objects.exists()


def test_scores_stay_hidden_until_the_curator_has_scored(api, regions):
    _, round_ = submitted()
    services.curation_score(curator=curator(), round=round_, points=points_for(round_))
    second = curator()
    assert api("get", f"/rounds/{round_.pk}", second).status_code == 403
    api("post", f"/rounds/{round_.pk}/scores", second, _body(round_, 0.5))
    detail = api("get", f"/rounds/{round_.pk}", second).json()
    assert len(detail["scores"]) == 2


def test_a_scoring_curator_decides_and_an_admin_elsewhere_is_refused(api, regions):
    product, round_ = submitted()
    first, second = curator(), curator()
    services.curation_score(curator=first, round=round_, points=points_for(round_))
    services.curation_score(curator=second, round=round_, points=points_for(round_))
    body = {"decision": "pass", "reasons": ""}
    sikka = person(Role.ADMIN_REGENCY, scope="53.07")
    assert api("post", f"/rounds/{round_.pk}/decision", sikka, body).status_code == 403
    assert api("get", f"/rounds/{round_.pk}", sikka).status_code == 403
    error_of(api("post", f"/rounds/{round_.pk}/decision", first, {"decision": "revise"}), 400, "invalid")
    response = api("post", f"/rounds/{round_.pk}/decision", first, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["decision"] == "pass" and data["stars"] == 5 and data["status"] == "decided"
    producer = person(Role.PRODUCER, org=product.producer.organization)
    history = api("get", f"/products/{product.pk}/rounds", producer).json()
    assert history[0]["decision"] == "pass" and history[0]["score_count"] == 2
