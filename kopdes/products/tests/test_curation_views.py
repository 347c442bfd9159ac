"""The curation pages: the queue, the scoring sheet, a round's result and decision, the history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.products import selectors_curation as sel
from kopdes.products import services_curation as services
from kopdes.products.choices import ProductStatus
from kopdes.products.models import CurationRound, CurationScore
from kopdes.products.tests.curation_helpers import JAHAB, LOA_IPUH, MASABEWA, curator, points_for, submitted
from kopdes.products.tests.factories import make_product


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


def _sheet(round_, share: float = 1.0) -> dict:
    return {f"criterion_{pk}": str(v) for pk, v in points_for(round_, share).items()} | {"notes": "Bagus"}


# --- Queue ----------------------------------------------------------------------------------------


def test_a_curator_sees_the_open_rounds_of_their_region_in_the_queue(
    client, regions, django_assert_max_num_queries
):
    for _ in range(4):
        submitted(JAHAB)
    submitted(MASABEWA)
    kurator = curator()
    client.force_login(kurator)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("products:curation_queue"))
    assert response.status_code == 200
    assert response.content.decode().count('class="card"') == 4


def test_the_empty_queue_says_what_to_do_next(client, regions):
    client.force_login(curator())
    assert "Nothing to score right now" in client.get(reverse("products:curation_queue")).content.decode()


def test_someone_who_is_not_a_curator_has_no_queue(client, regions):
    client.force_login(person(Role.ADMIN_REGENCY, scope="64.02"))
    assert client.get(reverse("products:curation_queue")).status_code == 403


# --- Scoring --------------------------------------------------------------------------------------


def test_a_curator_scores_on_the_sheet_and_lands_on_the_round(client, regions):
    _, round_ = submitted()
    kurator = curator()
    client.force_login(kurator)
    url = reverse("products:curation_score", args=[round_.pk])
    page = client.get(url).content.decode()
    assert "A. Production and community" in page and "Raw-material origin" in page
    response = client.post(url, _sheet(round_))
    assert response.status_code == 302
    assert response.url == reverse("products:curation_round", args=[round_.pk])
    assert CurationScore.objects.get(round=round_, curator=kurator).total == 100


def test_a_score_over_the_maximum_shows_an_error_by_the_criterion_and_saves_nothing(client, regions):
    _, round_ = submitted()
    client.force_login(curator())
    first = sel.rubric_criteria(round_.rubric)[0]
    data = _sheet(round_) | {f"criterion_{first.pk}": str(first.max_points + 5)}
    response = client.post(reverse("products:curation_score", args=[round_.pk]), data)
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not CurationScore.objects.exists()


def test_a_curator_of_another_region_or_with_a_conflict_may_not_open_the_sheet(client, regions):
    _, round_ = submitted()
    url = reverse("products:curation_score", args=[round_.pk])
    client.force_login(curator(scope="53.07", region="53.01"))
    assert client.get(url).status_code == 403
    client.force_login(curator(region=JAHAB))  # lives in the product's village
    assert client.get(url).status_code == 403


def test_a_curator_who_has_not_scored_is_sent_to_the_sheet_not_the_scores(client, regions):
    _, round_ = submitted()
    services.curation_score(curator=curator(), round=round_, points=points_for(round_))
    client.force_login(curator())
    response = client.get(reverse("products:curation_round", args=[round_.pk]))
    assert response.status_code == 302
    assert response.url == reverse("products:curation_score", args=[round_.pk])


# --- Round and decision ---------------------------------------------------------------------------


def test_an_admin_covering_the_product_sees_scores_and_decides(client, regions):
    product, round_ = submitted()
    services.curation_score(curator=curator(), round=round_, points=points_for(round_))
    services.curation_score(curator=curator(), round=round_, points=points_for(round_, 0.5))
    client.force_login(person(Role.ADMIN_REGENCY, scope="64.02"))
    url = reverse("products:curation_round", args=[round_.pk])
    page = client.get(url).content.decode()
    assert "The curators disagree" in page and "Record the decision" in page
    response = client.post(url, {"decision": "revise", "reasons": ""})
    assert "reasons" in response.content.decode()
    response = client.post(url, {"decision": "revise", "reasons": "Tambahkan label gizi."})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.status == ProductStatus.REVISE


def test_an_admin_of_another_regency_may_not_see_the_round(client, regions):
    _, round_ = submitted()
    client.force_login(person(Role.ADMIN_REGENCY, scope="53.07"))
    assert client.get(reverse("products:curation_round", args=[round_.pk])).status_code == 403


# --- History --------------------------------------------------------------------------------------


def test_the_producer_submits_from_the_history_and_later_reads_the_decision(client, regions):
    product = make_product(JAHAB)
    producer = person(Role.PRODUCER, org=product.producer.organization)
    client.force_login(producer)
    history = reverse("products:curation_history", args=[product.pk])
    assert "Not curated yet" in client.get(history).content.decode()
    assert client.post(reverse("products:curation_submit", args=[product.pk])).status_code == 302
    round_ = CurationRound.objects.get(product=product)
    for _ in range(2):
        services.curation_score(curator=curator(), round=round_, points=points_for(round_, 0.5))
    services.curation_decide(
        actor=person(Role.ADMIN_REGENCY, scope="64.02"),
        round=sel.round_get(round_.pk),
        decision="reject",
        reasons="Belum memenuhi standar.",
    )
    page = client.get(history).content.decode()
    assert "Reject" in page and "Belum memenuhi standar." in page
    assert "Submit for curation" not in page  # rejected: needs a new version first


def test_a_producer_of_another_product_may_not_see_the_history_or_submit(client, regions):
    product = make_product(JAHAB)
    other = make_product(LOA_IPUH)
    client.force_login(person(Role.PRODUCER, org=other.producer.organization))
    assert client.get(reverse("products:curation_history", args=[product.pk])).status_code == 403
    assert client.post(reverse("products:curation_submit", args=[product.pk])).status_code == 403
    assert not CurationRound.objects.exists()
