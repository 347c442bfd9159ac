"""Curation services: rubric arithmetic and star bands, scoring rules, conflicts, decisions, rounds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.products import selectors_curation as sel
from kopdes.products import services_curation as services
from kopdes.products.choices import CoachingLevel, ProductStatus, RoundStatus, stars_for
from kopdes.products.models import CurationRound, CurationScore, ProductVersion, Rubric
from kopdes.products.tests.curation_helpers import (
    JAHAB,
    LOA_IPUH,
    MASABEWA,
    curator,
    points_for,
    points_totalling,
    submitted,
)
from kopdes.products.tests.factories import make_product
from kopdes.regions.models import Region

# --- Arithmetic -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "stars"),
    [(0, 1), (29.99, 1), (30, 2), (49.99, 2), (50, 3), (69.99, 3), (70, 4), (89.99, 4), (90, 5), (100, 5)],
)
def test_star_bands_change_exactly_at_30_50_70_and_90(score, stars):
    assert stars_for(Decimal(str(score))) == stars


def test_the_mean_is_truncated_so_it_never_reaches_a_band_the_scores_did_not():
    # 90 + 90 + 89 = 269 / 3 = 89.666…, shown as 89.66 and worth four stars.
    mean, stars, _ = services.result_of([90, 90, 89], gap=15)
    assert mean == Decimal("89.66")
    assert stars == 4
    assert services.result_of([30, 29], gap=15)[:2] == (Decimal("29.50"), 1)


totals = st.lists(st.integers(min_value=0, max_value=100), min_size=2, max_size=7)


@given(scores=totals, gap=st.integers(min_value=0, max_value=100))
def test_the_result_of_any_set_of_scores_is_their_mean_its_band_and_the_gap_flag(scores, gap):
    mean, stars, disagreement = services.result_of(scores, gap)
    exact = Decimal(sum(scores)) / Decimal(len(scores))
    assert mean <= exact < mean + Decimal("0.01")
    assert min(scores) <= mean <= max(scores)
    assert stars == stars_for(exact)
    assert disagreement == (max(scores) - min(scores) > gap)


def test_disagreement_is_flagged_only_beyond_the_gap():
    assert services.result_of([60, 75], gap=15)[2] is False
    assert services.result_of([60, 76], gap=15)[2] is True


def test_the_national_rubric_has_parts_of_40_25_and_35_whose_criteria_add_up(regions):
    rubric = sel.national_rubric()
    parts = sel.rubric_parts(rubric)
    assert [(p.code, p.max_points) for p in parts] == [("A", 40), ("B", 25), ("C", 35)]
    for part in parts:
        assert sum(c.max_points for c in part.criteria.all()) == part.max_points


# --- Province rubrics -----------------------------------------------------------------------------


def test_a_province_admin_copies_the_national_rubric_and_adjusts_its_points(regions):
    admin = person(Role.ADMIN_PROVINCE, scope="64")
    kaltim = Region.objects.get(code="64")
    rubric = services.rubric_copy_for_province(actor=admin, province=kaltim)
    criteria = sel.rubric_criteria(rubric)
    a = [c for c in criteria if c.part.code == "A"]
    # Move two points from the first criterion of part A to the second: part A still 40.
    services.rubric_adjust(
        actor=admin, rubric=rubric, criteria={a[0].pk: a[0].max_points - 2, a[1].pk: a[1].max_points + 2}
    )
    a[1].refresh_from_db()
    assert a[1].max_points == 5
    assert sel.rubric_for(make_product(JAHAB)) == rubric
    assert sel.rubric_for(make_product(MASABEWA)) == sel.national_rubric()
    assert AuditEvent.objects.filter(action="curation.rubric.adjusted", object_id=str(rubric.pk)).exists()


def test_an_adjustment_that_does_not_add_up_to_100_is_refused_and_nothing_changes(regions):
    admin = person(Role.ADMIN_PROVINCE, scope="64")
    rubric = services.rubric_copy_for_province(actor=admin, province=Region.objects.get(code="64"))
    first = sel.rubric_criteria(rubric)[0]
    with pytest.raises(DomainError) as error:
        services.rubric_adjust(actor=admin, rubric=rubric, criteria={first.pk: first.max_points + 1})
    assert "part_A" in error.value.fields
    with pytest.raises(DomainError) as error:
        services.rubric_adjust(actor=admin, rubric=rubric, criteria={}, parts={"A": 45})
    assert "parts" in error.value.fields
    first.refresh_from_db()
    assert first.max_points == 3


def test_only_the_admins_of_that_province_manage_its_rubric(regions):
    kaltim = Region.objects.get(code="64")
    for outsider in (
        person(Role.ADMIN_PROVINCE, scope="53"),
        person(Role.ADMIN_REGENCY, scope="64.02"),
        curator(),
    ):
        with pytest.raises(PolicyDenied):
            services.rubric_copy_for_province(actor=outsider, province=kaltim)
    assert not Rubric.objects.filter(region=kaltim).exists()


def test_an_inactive_province_rubric_falls_back_to_the_national_one(regions):
    admin = person(Role.ADMIN_PROVINCE, scope="64")
    rubric = services.rubric_copy_for_province(actor=admin, province=Region.objects.get(code="64"))
    Rubric.objects.filter(pk=rubric.pk).update(active=False)
    assert sel.rubric_for(make_product(JAHAB)) == sel.national_rubric()


# --- Submitting -----------------------------------------------------------------------------------


def test_the_producer_submits_the_current_version_which_locks_and_opens_round_one(regions):
    product = make_product(JAHAB)
    producer = person(Role.PRODUCER, org=product.producer.organization)
    round_ = services.curation_submit(actor=producer, product=product)
    product.refresh_from_db()
    assert product.status == ProductStatus.IN_CURATION
    assert round_.number == 1 and round_.status == RoundStatus.OPEN
    assert round_.version.locked is True
    assert round_.rubric == sel.national_rubric()
    assert AuditEvent.objects.filter(action="curation.submitted", object_id=str(round_.pk)).exists()


def test_an_officer_of_the_cooperative_may_submit_but_a_producer_of_another_may_not(regions):
    product = make_product(JAHAB)
    other = make_product(LOA_IPUH)
    with pytest.raises(PolicyDenied):
        services.curation_submit(
            actor=person(Role.PRODUCER, org=other.producer.organization), product=product
        )
    ketua = person(Role.KETUA, org=product.cooperative.organization)
    assert services.curation_submit(actor=ketua, product=product).number == 1


def test_a_product_in_curation_cannot_open_a_second_round(regions):
    product, _ = submitted()
    admin = person(Role.ADMIN_REGENCY, scope="64.02")
    with pytest.raises(Conflict):
        services.curation_submit(actor=admin, product=product)
    assert CurationRound.objects.filter(product=product).count() == 1


# --- Scoring --------------------------------------------------------------------------------------


def test_a_curator_scores_every_criterion_and_the_total_is_computed(regions):
    _, round_ = submitted()
    score = services.curation_score(
        curator=curator(), round=round_, points=points_totalling(round_, 73), notes="ok"
    )
    assert score.total == 73
    assert score.items.count() == len(sel.rubric_criteria(round_.rubric))
    assert AuditEvent.objects.filter(action="curation.scored", object_id=str(round_.pk)).exists()


def test_a_score_above_the_criterion_maximum_is_refused_naming_it_and_nothing_is_saved(regions):
    _, round_ = submitted()
    criteria = sel.rubric_criteria(round_.rubric)
    points = points_for(round_)
    points[criteria[0].pk] = criteria[0].max_points + 1
    with pytest.raises(DomainError) as error:
        services.curation_score(curator=curator(), round=round_, points=points)
    assert criteria[0].name in str(error.value.message)
    assert f"criterion_{criteria[0].pk}" in error.value.fields
    assert not CurationScore.objects.exists()


def test_a_negative_score_or_a_missing_criterion_is_refused(regions):
    _, round_ = submitted()
    criteria = sel.rubric_criteria(round_.rubric)
    negative = {**points_for(round_), criteria[3].pk: -1}
    with pytest.raises(DomainError, match=criteria[3].name):
        services.curation_score(curator=curator(), round=round_, points=negative)
    missing = points_for(round_)
    del missing[criteria[-1].pk]
    with pytest.raises(DomainError, match=criteria[-1].name):
        services.curation_score(curator=curator(), round=round_, points=missing)
    assert not CurationScore.objects.exists()


def test_a_curator_scores_a_round_only_once(regions):
    _, round_ = submitted()
    kurator = curator()
    services.curation_score(curator=kurator, round=round_, points=points_for(round_))
    with pytest.raises(Conflict):
        services.curation_score(curator=kurator, round=round_, points=points_for(round_))


def test_a_curator_of_another_regency_may_not_score(regions):
    _, round_ = submitted()
    with pytest.raises(PolicyDenied):
        services.curation_score(
            curator=curator(scope="53.07", region="53.01"), round=round_, points=points_for(round_)
        )
    # A province-wide curator of Kalimantan Timur may.
    assert services.curation_score(curator=curator(scope="64"), round=round_, points=points_for(round_)).pk


@pytest.mark.parametrize("tie", ["cooperative_role", "producer_role", "lives_in_village"])
def test_a_curator_with_a_conflict_of_interest_is_refused_and_the_refusal_is_audited(regions, tie):
    product, round_ = submitted()
    kurator = curator(region=JAHAB if tie == "lives_in_village" else "64.01")
    if tie == "cooperative_role":
        from kopdes.accounts.services import role_grant

        role_grant(actor=None, user=kurator, role=Role.MEMBER, organization=product.cooperative.organization)
        kurator.forget_roles()
    elif tie == "producer_role":
        from kopdes.accounts.services import role_grant

        role_grant(actor=None, user=kurator, role=Role.PRODUCER, organization=product.producer.organization)
        kurator.forget_roles()
    with pytest.raises(PolicyDenied) as error:
        services.curation_score(curator=kurator, round=round_, points=points_for(round_))
    assert "Conflict of interest" in str(error.value.message)
    assert AuditEvent.objects.filter(action="access.denied", actor=kurator).exists()
    assert not CurationScore.objects.exists()
    assert round_ not in sel.curator_queue(kurator)


# --- Independence and the queue -------------------------------------------------------------------


def test_a_curator_sees_no_other_score_before_submitting_their_own(regions):
    _, round_ = submitted()
    first, second = curator(), curator()
    services.curation_score(curator=first, round=round_, points=points_for(round_))
    round_ = sel.round_get(round_.pk)
    assert sel.visible_scores(second, round_) == []
    services.curation_score(curator=second, round=round_, points=points_for(round_, 0.5))
    round_ = sel.round_get(round_.pk)
    assert len(sel.visible_scores(second, round_)) == 2


def test_the_queue_lists_open_rounds_in_scope_not_yet_scored(regions):
    _, here = submitted(JAHAB)
    _, there = submitted(MASABEWA)
    kurator = curator()
    assert list(sel.curator_queue(kurator)) == [here]
    services.curation_score(curator=kurator, round=here, points=points_for(here))
    assert list(sel.curator_queue(kurator)) == []
    assert there in sel.curator_queue(curator(scope="53", region="64.01"))


# --- Deciding -------------------------------------------------------------------------------------


def _scored(round_, *totals):
    for total in totals:
        services.curation_score(curator=curator(), round=round_, points=points_totalling(round_, total))
    return sel.round_get(round_.pk)


def test_a_decision_needs_two_scores(regions):
    _, round_ = submitted()
    round_ = _scored(round_, 80)
    with pytest.raises(DomainError):
        services.curation_decide(
            actor=person(Role.ADMIN_REGENCY, scope="64.02"), round=round_, decision="pass"
        )


def test_passing_gives_the_product_its_stars_and_the_coaching_level(regions):
    product, round_ = submitted()
    round_ = _scored(round_, 72, 91)
    decided = services.curation_decide(
        actor=person(Role.ADMIN_REGENCY, scope="64.02"), round=round_, decision="pass"
    )
    product.refresh_from_db()
    assert decided.mean_score == Decimal("81.50")
    assert decided.stars == 4 and product.stars == 4
    assert decided.coaching_level == CoachingLevel.NATIONAL
    assert decided.disagreement is True  # 91 - 72 = 19 > 15
    assert product.status == ProductStatus.CURATED
    assert AuditEvent.objects.filter(action="curation.decided", object_id=str(round_.pk)).exists()


def test_revise_and_reject_need_reasons_and_leave_the_stars_alone(regions):
    product, round_ = submitted()
    round_ = _scored(round_, 40, 44)
    scorer = round_.scores.all()[0].curator
    with pytest.raises(DomainError) as error:
        services.curation_decide(actor=scorer, round=round_, decision="revise", reasons=" ")
    assert "reasons" in error.value.fields
    decided = services.curation_decide(
        actor=scorer, round=round_, decision="revise", reasons="Label lengkap."
    )
    product.refresh_from_db()
    assert decided.stars == 2 and decided.coaching_level == CoachingLevel.REGENCY
    assert product.status == ProductStatus.REVISE and product.stars == 0


def test_a_curator_who_did_not_score_or_an_admin_elsewhere_may_not_decide(regions):
    _, round_ = submitted()
    round_ = _scored(round_, 60, 62)
    other = make_product(LOA_IPUH)
    producer = person(Role.PRODUCER, org=other.producer.organization)
    for outsider in (curator(), person(Role.ADMIN_REGENCY, scope="53.07"), producer):
        with pytest.raises(PolicyDenied):
            services.curation_decide(actor=outsider, round=round_, decision="pass")


def test_a_revised_product_is_resubmitted_as_round_two_and_history_is_kept(regions):
    product, first = submitted()
    first = _scored(first, 50, 52)
    admin = person(Role.ADMIN_REGENCY, scope="64.02")
    services.curation_decide(actor=admin, round=first, decision="revise", reasons="Perbaiki kemasan.")
    product.refresh_from_db()
    second = services.curation_submit(actor=admin, product=product)
    assert second.number == 2
    second = _scored(second, 90, 94)
    services.curation_decide(actor=admin, round=second, decision="pass")
    product.refresh_from_db()
    assert product.stars == 5
    history = sel.product_rounds(product)
    assert [r.number for r in history] == [2, 1]
    assert [r.scores.count() for r in history] == [2, 2]
    assert history[1].reasons == "Perbaiki kemasan."


def test_a_rejected_product_is_resubmitted_only_on_a_new_version(regions):
    product, round_ = submitted()
    round_ = _scored(round_, 20, 25)
    admin = person(Role.ADMIN_REGENCY, scope="64.02")
    services.curation_decide(actor=admin, round=round_, decision="reject", reasons="Bukan produk olahan.")
    product.refresh_from_db()
    assert product.status == ProductStatus.REJECTED
    with pytest.raises(Conflict):
        services.curation_submit(actor=admin, product=product)
    version = ProductVersion.objects.create(product=product, number=2, name=product.name, price=30_000)
    product.current_version = version
    product.save(update_fields=["current_version"])
    again = services.curation_submit(actor=admin, product=product)
    assert again.number == 2 and again.version == version
