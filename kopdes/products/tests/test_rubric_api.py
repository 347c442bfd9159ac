from __future__ import annotations

import pytest

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import bearer, person
from kopdes.products.models import Rubric


@pytest.fixture
def ntt_admin(regions, product_defaults):
    return person(Role.ADMIN_PROVINCE, region="53", scope="53")


def test_the_rubric_in_force_is_public_and_national_until_a_province_copies_it(
    client, regions, product_defaults
):
    body = client.get("/api/v1/curation/rubrics/province/53").json()

    assert body["region_code"] is None
    assert [p["max_points"] for p in body["parts"]] == [40, 25, 35]


def test_a_province_admin_copies_and_adjusts_the_rubric_of_their_province(client, ntt_admin):
    headers = bearer(ntt_admin)
    copied = client.post("/api/v1/curation/rubrics/province/53/copy", **headers)
    rubric = copied.json()
    first, second = rubric["parts"][0]["criteria"][:2]

    # Move one point from the first criterion of part A to the second: the part still adds up.
    adjusted = client.patch(
        f"/api/v1/curation/rubrics/{rubric['id']}",
        {"criteria": {first["id"]: first["max_points"] - 1, second["id"]: second["max_points"] + 1}},
        content_type="application/json",
        **headers,
    )

    assert copied.status_code == 201 and rubric["region_code"] == "53"
    assert adjusted.status_code == 200, adjusted.content
    in_force = client.get("/api/v1/curation/rubrics/province/53").json()
    assert in_force["id"] == rubric["id"]
    assert in_force["parts"][0]["criteria"][1]["max_points"] == second["max_points"] + 1


def test_points_that_no_longer_add_up_are_refused_and_nothing_changes(client, ntt_admin):
    headers = bearer(ntt_admin)
    rubric = client.post("/api/v1/curation/rubrics/province/53/copy", **headers).json()
    first = rubric["parts"][0]["criteria"][0]

    refused = client.patch(
        f"/api/v1/curation/rubrics/{rubric['id']}",
        {"criteria": {first["id"]: first["max_points"] + 5}},
        content_type="application/json",
        **headers,
    )

    assert refused.status_code == 400
    assert (
        Rubric.objects.get(pk=rubric["id"]).parts.get(code="A").criteria.get(pk=first["id"]).max_points
        == first["max_points"]
    )


@pytest.mark.parametrize(
    ("role", "scope"), [(Role.ADMIN_REGENCY, "53.07"), (Role.ADMIN_PROVINCE, "64"), (Role.CURATOR, "53")]
)
def test_others_may_not_copy_a_provinces_rubric(client, regions, product_defaults, role, scope):
    response = client.post("/api/v1/curation/rubrics/province/53/copy", **bearer(person(role, scope=scope)))

    assert response.status_code == 403
    assert not Rubric.objects.filter(region_id="53").exists()


def test_a_rubric_for_something_that_is_not_a_province_is_a_clear_400(client, regions, product_defaults):
    response = client.get("/api/v1/curation/rubrics/province/53.07")

    assert response.status_code == 400 and response.json()["error"]["fields"]["province_code"]
