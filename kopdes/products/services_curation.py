"""Every write of the curation area: rubrics, submissions, scores and decisions. All audited.

- The rubric is data. A province may copy the national rubric and adjust the points; a rubric
  already used by a round is never changed (history keeps the points it was scored on).
- Submitting locks the product's current version and opens a round (one open round per product).
- Curators score independently; a conflict of interest is refused by the policy layer (audited).
- Deciding needs two scores or more. The mean is truncated to two places, so it never shows a
  band the scores did not reach; stars, coaching level and the disagreement flag follow from it.
  Deciders: an admin covering the product, or any curator who scored the round.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kopdes.core.audit import audit_record
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.policies import require
from kopdes.regions.models import Region

from . import selectors_curation as sel
from .choices import Decision, ProductStatus, RoundStatus, coaching_for, stars_for
from .models import CriterionScore, CurationRound, CurationScore, Product, Rubric, RubricCriterion, RubricPart
from .policies_curation import conflict_of_interest

MIN_SCORES = 2
DECISION_STATUS = {
    Decision.PASS: ProductStatus.CURATED,
    Decision.REVISE: ProductStatus.REVISE,
    Decision.REJECT: ProductStatus.REJECTED,
}


# --- Arithmetic -----------------------------------------------------------------------------------


def mean_of(totals: list[int]) -> Decimal:
    """The mean of the totals, truncated to two decimal places."""
    if not totals:
        raise DomainError(_("No score yet."))
    return (Decimal(sum(totals)) / Decimal(len(totals))).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def result_of(totals: list[int], gap: int) -> tuple[Decimal, int, bool]:
    """(mean, stars, disagreement) of a round's totals."""
    mean = mean_of(totals)
    return mean, stars_for(float(mean)), (max(totals) - min(totals)) > gap


# --- Rubrics --------------------------------------------------------------------------------------


@transaction.atomic
def rubric_copy_for_province(*, actor, province: Region) -> Rubric:
    """A province's own rubric, copied from the national one; it replaces any active one of the province."""
    require(actor, "products.curation.rubric.manage", province)
    national = sel.national_rubric()
    Rubric.objects.filter(region=province, active=True).update(active=False)
    rubric = Rubric.objects.create(
        name=_("Rubric of %(province)s") % {"province": province.name},
        region=province,
        disagreement_gap=national.disagreement_gap,
    )
    for part in sel.rubric_parts(national):
        copy = RubricPart.objects.create(
            rubric=rubric, code=part.code, name=part.name, max_points=part.max_points, order=part.order
        )
        RubricCriterion.objects.bulk_create(
            RubricCriterion(
                part=copy, name=c.name, guidance=c.guidance, max_points=c.max_points, order=c.order
            )
            for c in part.criteria.all()
        )
    audit_record(
        actor=actor,
        action="curation.rubric.copied",
        obj=rubric,
        region_code=province.code,
        changes={"from": national.pk},
    )
    return rubric


@transaction.atomic
def rubric_adjust(
    *,
    actor,
    rubric: Rubric,
    criteria: dict[int, int],
    parts: dict[str, int] | None = None,
    disagreement_gap: int | None = None,
) -> Rubric:
    """Change criteria points (and optionally the parts' points): parts add to 100, criteria to their part."""
    if rubric.region is None:
        raise DomainError(_("The national rubric is not adjusted here; copy it for a province first."))
    require(actor, "products.curation.rubric.manage", rubric.region)
    if rubric.rounds.exists():
        raise Conflict(_("This rubric has been used in curation; copy it again to change it."))
    all_parts = sel.rubric_parts(rubric)
    known = {c.pk: c for p in all_parts for c in p.criteria.all()}
    unknown = set(criteria) - set(known)
    if unknown:
        raise DomainError(_("Unknown criteria: %(ids)s.") % {"ids": ", ".join(map(str, sorted(unknown)))})
    parts = parts or {}
    errors: dict[str, list[str]] = {}
    changes: dict[str, list[int]] = {}
    for part in all_parts:
        part_max = parts.get(part.code, part.max_points)
        total = 0
        for c in part.criteria.all():
            points = criteria.get(c.pk, c.max_points)
            if points < 1 or points > part_max:
                errors[f"criterion_{c.pk}"] = [
                    _("%(name)s: points must be between 1 and %(max)s.") % {"name": c.name, "max": part_max}
                ]
            total += points
        if total != part_max:
            errors[f"part_{part.code}"] = [
                _("Part %(code)s: the criteria add to %(total)s, not %(max)s.")
                % {"code": part.code, "total": total, "max": part_max}
            ]
    if sum(parts.get(p.code, p.max_points) for p in all_parts) != 100:
        errors["parts"] = [_("The parts must add up to 100 points.")]
    if errors:
        raise DomainError(_("The rubric does not add up."), fields=errors)
    for part in all_parts:
        new_max = parts.get(part.code, part.max_points)
        if new_max != part.max_points:
            changes[f"part {part.code}"] = [part.max_points, new_max]
            part.max_points = new_max
            part.save(update_fields=["max_points"])
        for c in part.criteria.all():
            new = criteria.get(c.pk, c.max_points)
            if new != c.max_points:
                changes[c.name] = [c.max_points, new]
                c.max_points = new
                c.save(update_fields=["max_points"])
    if disagreement_gap is not None and disagreement_gap != rubric.disagreement_gap:
        changes["disagreement_gap"] = [rubric.disagreement_gap, disagreement_gap]
        rubric.disagreement_gap = disagreement_gap
        rubric.save(update_fields=["disagreement_gap"])
    audit_record(actor=actor, action="curation.rubric.adjusted", obj=rubric, changes=changes)
    return rubric


# --- Submitting -----------------------------------------------------------------------------------


def curation_submit(*, actor, product: Product) -> CurationRound:
    """Lock the product's current version and open the next round on it."""
    require(actor, "products.curation.submit", product)
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        version = product.current_version
        if version is None:
            raise DomainError(_("The product has no version to submit."))
        if (
            product.status == ProductStatus.IN_CURATION
            or CurationRound.objects.filter(product=product, status=RoundStatus.OPEN).exists()
        ):
            raise Conflict(_("The product is already in curation."))
        if version.locked and product.status != ProductStatus.REVISE:
            raise Conflict(
                _("This version has already been curated. Save a new version of the product, then submit it.")
            )
        last = CurationRound.objects.filter(product=product).order_by("-number").first()
        try:
            with transaction.atomic():
                round_ = CurationRound.objects.create(
                    product=product,
                    version=version,
                    rubric=sel.rubric_for(product),
                    number=(last.number if last else 0) + 1,
                    opened_by=actor,
                )
        except IntegrityError:
            raise Conflict(_("The product is already in curation.")) from None
        if not version.locked:
            version.locked = True
            version.save(update_fields=["locked"])
        before = product.status
        product.status = ProductStatus.IN_CURATION
        product.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="curation.submitted",
            obj=round_,
            changes={"status": [before, product.status], "version": version.number, "round": round_.number},
        )
    return round_


# --- Scoring --------------------------------------------------------------------------------------


def curation_score(*, curator, round: CurationRound, points: dict, notes: str = "") -> CurationScore:
    """One curator's independent score of every criterion of the round's rubric."""
    conflict = None
    if conflict_of_interest(curator, round.product):
        conflict = _(
            "Conflict of interest: you have a role in this product's cooperative or producer, "
            "or live in its village."
        )
    require(curator, "products.curation.score", round, message=conflict)
    criteria = sel.rubric_criteria(round.rubric)
    clean: dict[int, int] = {}
    errors: dict[str, list[str]] = {}
    given = {}
    for key, value in (points or {}).items():
        try:
            given[int(key)] = value
        except (TypeError, ValueError):
            raise DomainError(_("Unknown criterion: %(id)s.") % {"id": key}) from None
    unknown = set(given) - {c.pk for c in criteria}
    if unknown:
        raise DomainError(_("Unknown criteria: %(ids)s.") % {"ids": ", ".join(map(str, sorted(unknown)))})
    for c in criteria:
        field = f"criterion_{c.pk}"
        value = given.get(c.pk)
        if value is None or value == "":
            errors[field] = [_("%(name)s: give a score.") % {"name": c.name}]
            continue
        try:
            number = int(value)
            if isinstance(value, float) and value != number:
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = [_("%(name)s: give a whole number.") % {"name": c.name}]
            continue
        if number < 0 or number > c.max_points:
            errors[field] = [
                _("%(name)s: the score must be between 0 and %(max)s.")
                % {"name": c.name, "max": c.max_points}
            ]
            continue
        clean[c.pk] = number
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, fields=errors)
    with transaction.atomic():
        locked = CurationRound.objects.select_for_update().get(pk=round.pk)
        if locked.status != RoundStatus.OPEN:
            raise Conflict(_("This round has been decided; it takes no more scores."))
        if CurationScore.objects.filter(round=locked, curator=curator).exists():
            raise Conflict(_("You have already scored this round."))
        score = CurationScore.objects.create(
            round=locked, curator=curator, total=sum(clean.values()), notes=notes or ""
        )
        CriterionScore.objects.bulk_create(
            CriterionScore(score=score, criterion_id=pk, points=value) for pk, value in clean.items()
        )
        audit_record(
            actor=curator,
            action="curation.scored",
            obj=locked,
            changes={"total": score.total, "points": {str(k): v for k, v in clean.items()}},
        )
    return score


# --- Deciding -------------------------------------------------------------------------------------


def curation_decide(*, actor, round: CurationRound, decision: str, reasons: str = "") -> CurationRound:
    """Close the round: mean, stars, disagreement and coaching level, and the product's new status."""
    require(actor, "products.curation.decide", round)
    if decision not in Decision.values:
        raise DomainError(_("Choose pass, revise or reject."), fields={"decision": [_("Choose a decision.")]})
    reasons = (reasons or "").strip()
    if decision in (Decision.REVISE, Decision.REJECT) and not reasons:
        message = (
            _("Say what the producer must fix.") if decision == Decision.REVISE else _("Give the reasons.")
        )
        raise DomainError(message, fields={"reasons": [message]})
    with transaction.atomic():
        locked = CurationRound.objects.select_for_update().select_related("rubric").get(pk=round.pk)
        if locked.status != RoundStatus.OPEN:
            raise Conflict(_("This round has already been decided."))
        totals = list(CurationScore.objects.filter(round=locked).values_list("total", flat=True))
        if len(totals) < MIN_SCORES:
            raise DomainError(_("At least %(n)s curators must score before a decision.") % {"n": MIN_SCORES})
        mean, stars, disagreement = result_of(totals, locked.rubric.disagreement_gap)
        locked.mean_score = mean
        locked.stars = stars
        locked.disagreement = disagreement
        locked.decision = decision
        locked.reasons = reasons
        locked.coaching_level = coaching_for(stars)
        locked.status = RoundStatus.DECIDED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        product = Product.objects.select_for_update().get(pk=locked.product_id)
        before = {"status": product.status, "stars": product.stars}
        product.status = DECISION_STATUS[Decision(decision)]
        if decision == Decision.PASS:
            product.stars = stars
        product.save(update_fields=["status", "stars", "updated_at"])
        audit_record(
            actor=actor,
            action="curation.decided",
            obj=locked,
            changes={
                "decision": decision,
                "mean": str(mean),
                "stars": stars,
                "disagreement": disagreement,
                "status": [before["status"], product.status],
                "product_stars": [before["stars"], product.stars],
            },
        )
    return locked
