"""The curation API: /api/v1/curation/…, behind the same policies as the pages.

Submit a product, a curator's queue, the scoring sheet and scoring, a round's result (scores only
for deciders and curators who have scored), the decision, and a product's history.
"""

from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from kopdes.core.errors import DomainError
from kopdes.core.pagination import Pages
from kopdes.core.policies import require
from kopdes.regions.selectors import region_get

from . import selectors_curation as sel
from . import services_curation as services
from .models import CurationRound, CurationScore

router = Router(tags=["curation"])


class RoundOut(Schema):
    id: int
    product_id: int
    product_name: str
    number: int
    version_number: int
    status: str
    opened_at: datetime
    mean_score: Decimal | None
    stars: int | None
    disagreement: bool
    decision: str
    reasons: str
    coaching_level: str
    decided_at: datetime | None
    score_count: int

    @staticmethod
    def resolve_product_name(obj: CurationRound) -> str:
        return obj.product.name

    @staticmethod
    def resolve_version_number(obj: CurationRound) -> int:
        return obj.version.number

    @staticmethod
    def resolve_score_count(obj: CurationRound) -> int:
        return len(obj.scores.all())


class ItemOut(Schema):
    criterion_id: int
    criterion: str
    points: int
    max_points: int


class ScoreOut(Schema):
    id: int
    curator_id: int
    curator_name: str
    total: int
    notes: str
    submitted_at: datetime
    items: list[ItemOut]

    @staticmethod
    def resolve_curator_name(obj: CurationScore) -> str:
        return obj.curator.full_name

    @staticmethod
    def resolve_items(obj: CurationScore) -> list[dict]:
        return [
            {
                "criterion_id": i.criterion_id,
                "criterion": i.criterion.name,
                "points": i.points,
                "max_points": i.criterion.max_points,
            }
            for i in obj.items.all()
        ]


class RoundDetailOut(RoundOut):
    scores: list[ScoreOut]

    @staticmethod
    def resolve_scores(obj) -> list:
        # Only what the caller may see (set by the handler from selectors.visible_scores).
        return getattr(obj, "scores_visible", [])


class CriterionOut(Schema):
    id: int
    name: str
    guidance: str
    max_points: int


class PartOut(Schema):
    code: str
    name: str
    max_points: int
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj) -> list:
        return list(obj.criteria.all())


class SheetOut(Schema):
    round_id: int
    rubric: str
    parts: list[PartOut]


class ScoreIn(Schema):
    points: dict[str, int]
    notes: str = ""


class DecisionIn(Schema):
    decision: str
    reasons: str = ""


@router.post("/products/{product_id}/submit", response={201: RoundOut}, summary="Submit a product")
def submit(request, product_id: int):
    product = sel.product_get(product_id)
    round_ = services.curation_submit(actor=request.user, product=product)
    return Status(201, sel.round_get(round_.pk))


@router.get("/products/{product_id}/rounds", response=list[RoundOut], summary="A product's curation history")
def history(request, product_id: int):
    product = sel.product_get(product_id)
    require(request.user, "products.curation.history", product)
    return sel.product_rounds(product)


@router.get("/queue", response=list[RoundOut], summary="Open rounds the caller may score")
@paginate(Pages)
def my_queue(request):
    require(request.user, "products.curation.queue")
    return sel.curator_queue(request.user).prefetch_related("scores")


@router.get("/rounds/{round_id}/sheet", response=SheetOut, summary="The criteria to score")
def sheet(request, round_id: int):
    round_ = sel.round_get(round_id)
    require(request.user, "products.curation.score", round_)
    return {"round_id": round_.pk, "rubric": round_.rubric.name, "parts": sel.rubric_parts(round_.rubric)}


@router.post("/rounds/{round_id}/scores", response={201: ScoreOut}, summary="Score a round")
def score(request, round_id: int, payload: ScoreIn):
    round_ = sel.round_get(round_id)
    created = services.curation_score(
        curator=request.user, round=round_, points=payload.points, notes=payload.notes
    )
    return Status(201, sel.score_get(created.pk))


@router.get("/rounds/{round_id}", response=RoundDetailOut, summary="A round's result and scores")
def round_detail(request, round_id: int):
    round_ = sel.round_get(round_id)
    require(request.user, "products.curation.round.view", round_)
    round_.scores_visible = sel.visible_scores(request.user, round_)  # type: ignore[attr-defined]
    return round_


@router.post("/rounds/{round_id}/decision", response=RoundDetailOut, summary="Decide a round")
def decide(request, round_id: int, payload: DecisionIn):
    round_ = sel.round_get(round_id)
    services.curation_decide(
        actor=request.user, round=round_, decision=payload.decision, reasons=payload.reasons
    )
    round_ = sel.round_get(round_id)
    round_.scores_visible = sel.visible_scores(request.user, round_)  # type: ignore[attr-defined]
    return round_


# --- Rubrics: a province adjusts its own copy (the criteria are data, not code) ----------------


class RubricOut(Schema):
    id: int
    name: str
    region_code: str | None
    disagreement_gap: int
    active: bool
    parts: list[PartOut]

    @staticmethod
    def resolve_region_code(obj) -> str | None:
        return obj.region_id

    @staticmethod
    def resolve_parts(obj) -> list:
        return sel.rubric_parts(obj)


class RubricAdjustIn(Schema):
    criteria: dict[int, int] = {}
    parts: dict[str, int] | None = None
    disagreement_gap: int | None = None


def _province(code: str):
    province = region_get(code=code)
    if province.level != 1:
        message = _("Choose a province.")
        raise DomainError(message, code="invalid", fields={"province_code": [message]})
    return province


@router.get(
    "/rubrics/province/{province_code}",
    response=RubricOut,
    auth=None,
    summary="The rubric in force in a province",
)
def rubric_in_force(request, province_code: str):
    # The rubric is public: producers should know what they are judged on.
    require(request.user, "core.home.view")
    province = _province(province_code)
    return sel.province_rubric(province) or sel.national_rubric()


@router.post(
    "/rubrics/province/{province_code}/copy",
    response={201: RubricOut},
    summary="Give a province its own copy of the national rubric",
)
def rubric_copy(request, province_code: str):
    return Status(
        201, services.rubric_copy_for_province(actor=request.user, province=_province(province_code))
    )


@router.patch("/rubrics/{rubric_id}", response=RubricOut, summary="Adjust a province's rubric")
def rubric_adjust(request, rubric_id: int, payload: RubricAdjustIn):
    rubric = sel.rubric_get(pk=rubric_id)
    return services.rubric_adjust(
        actor=request.user,
        rubric=rubric,
        criteria=payload.criteria,
        parts=payload.parts,
        disagreement_gap=payload.disagreement_gap,
    )
