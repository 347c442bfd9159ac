"""The curation pages: a curator's queue, the scoring sheet, a round's result and decision, and a
product's curation history with its submit button."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kopdes.accounts.models import User
from kopdes.core.errors import DomainError
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import can, require

from . import selectors_curation as sel
from . import services_curation as services
from .choices import ProductStatus, RoundStatus
from .forms_curation import DecideForm, ScoreForm
from .models import CurationRound


class AuthedRequest(HttpRequest):
    user: User


def _preview(round_: CurationRound, scores) -> dict:
    """Mean, stars and disagreement of the scores so far (the stored result once decided)."""
    if round_.status == RoundStatus.DECIDED:
        return {"mean": round_.mean_score, "stars": round_.stars, "disagreement": round_.disagreement}
    totals = [s.total for s in scores]
    if not totals:
        return {}
    mean, stars, disagreement = services.result_of(totals, round_.rubric.disagreement_gap)
    return {"mean": mean, "stars": stars, "disagreement": disagreement}


@login_required
@require_GET
def queue(request: AuthedRequest) -> HttpResponse:
    require(request.user, "products.curation.queue")
    page = paginate(request, sel.curator_queue(request.user))
    return render(request, "products/curation/queue.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def score(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = sel.round_get(pk)
    require(request.user, "products.curation.score", round_)
    if round_.status != RoundStatus.OPEN or sel.own_score(request.user, round_) is not None:
        return redirect("products:curation_round", pk=round_.pk)
    parts = sel.rubric_parts(round_.rubric)
    form = ScoreForm(request.POST or None, parts=parts)
    if request.method == "POST" and form.is_valid():
        try:
            services.curation_score(
                curator=request.user, round=round_, points=form.points(), notes=form.cleaned_data["notes"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your scores have been saved."))
            return redirect("products:curation_round", pk=round_.pk)
    context = {"round": round_, "product": round_.product, "version": round_.version, "form": form}
    return render(request, "products/curation/score.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def round_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = sel.round_get(pk)
    if not can(request.user, "products.curation.round.view", round_) and can(
        request.user, "products.curation.score", round_
    ):
        # A curator who has not scored yet scores first; they never see the others' scores before.
        return redirect("products:curation_score", pk=round_.pk)
    require(request.user, "products.curation.round.view", round_)
    may_decide = round_.status == RoundStatus.OPEN and can(request.user, "products.curation.decide", round_)
    form = DecideForm(request.POST or None) if may_decide else None
    if request.method == "POST":
        require(request.user, "products.curation.decide", round_)
        if form is not None and form.is_valid():
            try:
                services.curation_decide(
                    actor=request.user,
                    round=round_,
                    decision=form.cleaned_data["decision"],
                    reasons=form.cleaned_data["reasons"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The decision has been recorded."))
                return redirect("products:curation_round", pk=round_.pk)
    scores = sel.visible_scores(request.user, round_)
    context = {
        "round": round_,
        "product": round_.product,
        "scores": scores,
        "result": _preview(round_, scores),
        "form": form,
        "enough": len(scores) >= services.MIN_SCORES,
        "min_scores": services.MIN_SCORES,
    }
    return render(request, "products/curation/round.html", context)


@login_required
@require_GET
def history(request: AuthedRequest, pk: int) -> HttpResponse:
    product = sel.product_get(pk)
    require(request.user, "products.curation.history", product)
    rounds = sel.product_rounds(product)
    may_submit = can(request.user, "products.curation.submit", product) and _submittable(product, rounds)
    context = {"product": product, "rounds": rounds, "may_submit": may_submit}
    return render(request, "products/curation/history.html", context)


def _submittable(product, rounds) -> bool:
    if product.current_version is None or product.status == ProductStatus.IN_CURATION:
        return False
    return product.status == ProductStatus.REVISE or not product.current_version.locked


@login_required
@require_POST
def submit(request: AuthedRequest, pk: int) -> HttpResponse:
    product = sel.product_get(pk)
    require(request.user, "products.curation.submit", product)
    try:
        round_ = services.curation_submit(actor=request.user, product=product)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Submitted: round %(number)s is open for the curators.") % {"number": round_.number}
        )
    return redirect("products:curation_history", pk=product.pk)
