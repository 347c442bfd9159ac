"""Reads of the curation area. Scores are shown only to those allowed to see them (see policies)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kopdes.accounts.choices import Role
from kopdes.accounts.scopes import org_ids
from kopdes.core.errors import NotFound
from kopdes.core.policies import can

from .choices import RoundStatus
from .models import CriterionScore, CurationRound, CurationScore, Product, Rubric, RubricCriterion, RubricPart

ROUND_RELATED = ("product", "product__producer", "product__cooperative", "version", "rubric")


def national_rubric() -> Rubric:
    rubric = Rubric.objects.filter(region__isnull=True, active=True).order_by("-created_at", "-id").first()
    if rubric is None:
        raise NotFound("No active national rubric.")
    return rubric


def rubric_for(product: Product) -> Rubric:
    """The product's province rubric when one is active, else the national one."""
    province = product.village_id.split(".")[0]
    own = Rubric.objects.filter(region_id=province, active=True).order_by("-created_at", "-id").first()
    return own or national_rubric()


def rubric_parts(rubric: Rubric) -> list[RubricPart]:
    """The parts with their criteria prefetched, in order."""
    return list(
        rubric.parts.order_by("order", "code").prefetch_related(
            Prefetch("criteria", queryset=RubricCriterion.objects.order_by("order", "id"))
        )
    )


def rubric_criteria(rubric: Rubric) -> list[RubricCriterion]:
    return list(
        RubricCriterion.objects.filter(part__rubric=rubric)
        .select_related("part")
        .order_by("part__order", "part__code", "order", "id")
    )


def _rounds() -> QuerySet[CurationRound]:
    return CurationRound.objects.select_related(*ROUND_RELATED).prefetch_related(
        Prefetch("scores", queryset=CurationScore.objects.select_related("curator"))
    )


def round_get(pk: int) -> CurationRound:
    found = _rounds().filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def product_get(pk: int) -> Product:
    found = Product.objects.select_related("producer", "cooperative", "current_version").filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def open_round(product: Product) -> CurationRound | None:
    return _rounds().filter(product=product, status=RoundStatus.OPEN).first()


def product_rounds(product: Product) -> list[CurationRound]:
    """Every round of the product, newest first (history is never removed)."""
    return list(_rounds().filter(product=product).order_by("-number"))


def curator_queue(user) -> QuerySet[CurationRound]:
    """Open rounds the curator may score and has not scored: their region, no conflict of interest."""
    prefixes = [a.region_id for a in user.active_roles() if a.role == Role.CURATOR and a.region_id]
    if not prefixes:
        return CurationRound.objects.none()
    where = Q()
    for prefix in prefixes:
        where |= Q(product__village__code=prefix) | Q(product__village__code__startswith=prefix + ".")
    orgs = org_ids(user)
    queue = (
        CurationRound.objects.filter(where, status=RoundStatus.OPEN)
        .exclude(scores__curator=user)
        .exclude(product__cooperative__organization_id__in=orgs)
        .exclude(product__producer__organization_id__in=orgs)
    )
    if user.region_id:
        queue = queue.exclude(product__village_id=user.region_id)
    return queue.select_related("product", "product__producer", "version").order_by("opened_at", "id")


def _scores() -> QuerySet[CurationScore]:
    return (
        CurationScore.objects.select_related("curator")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=CriterionScore.objects.select_related("criterion").order_by(
                    "criterion__part__order", "criterion__order", "criterion_id"
                ),
            )
        )
        .order_by("submitted_at", "id")
    )


def visible_scores(user, round_: CurationRound) -> list[CurationScore]:
    """The round's scores with their items, for deciders and curators who have scored; else none."""
    if not can(user, "products.curation.round.view", round_):
        return []
    return list(_scores().filter(round=round_))


def score_get(pk: int) -> CurationScore:
    """One score with its items (for its own curator, just after scoring)."""
    return _scores().get(pk=pk)


def own_score(user, round_: CurationRound) -> CurationScore | None:
    return CurationScore.objects.filter(round=round_, curator=user).first()


def province_rubric(province) -> Rubric | None:
    """The province's own active rubric, if it has one."""
    return Rubric.objects.filter(region=province, active=True).order_by("-created_at", "-id").first()


def rubric_get(*, pk: int) -> Rubric:
    rubric = Rubric.objects.select_related("region").filter(pk=pk).first()
    if rubric is None:
        raise NotFound(_("No such rubric."), code="unknown_rubric")
    return rubric
