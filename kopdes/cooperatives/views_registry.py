"""Web pages of the cooperative registry: the list, a cooperative's page and formation, officers,
members and business units. Each view parses input, calls one selector or service, and renders.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from lokal import parse_npwp

from kopdes.accounts.models import User
from kopdes.core.errors import DomainError
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import can, require
from kopdes.regions.codes import normalize_code
from kopdes.regions.models import Region

from . import media, selectors, services
from .choices import STAGE_ORDER, MemberStatus, Stage, StageStatus, stage_index
from .forms import (
    CooperativeCreateForm,
    CooperativeEditForm,
    CooperativeFilterForm,
    MemberAddForm,
    MemberEditForm,
    MemberFilterForm,
    OfficerAppointForm,
    PhotoForm,
    ReasonForm,
    RollbackForm,
    StageRecordForm,
    UnitForm,
)
from .models import Cooperative, StageRecord


class AuthedRequest(HttpRequest):
    """A request behind @login_required: its user is a real account."""

    user: User


def _changed(form: Form) -> dict:
    """The fields the user changed; a map point travels whole (the service checks the pair)."""
    changed = {name: form.cleaned_data[name] for name in form.changed_data}
    if "latitude" in changed or "longitude" in changed:
        changed["latitude"], changed["longitude"] = (
            form.cleaned_data["latitude"],
            form.cleaned_data["longitude"],
        )
    return changed


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _tabs(user, cooperative: Cooperative, current: str) -> list[tuple[str, str, bool]]:
    """The cooperative's sub-pages the user may open, for the tab row."""
    tabs = [("detail", _("Profile")), ("officers", _("Officers"))]
    if can(user, "cooperatives.member.list", cooperative):
        tabs.append(("members", _("Members")))
    tabs.append(("units", _("Units")))
    return [
        (label, reverse(f"cooperatives:{name}", args=[cooperative.pk]), name == current)
        for name, label in tabs
    ]


# --- The registry -----------------------------------------------------------------------------


@login_required
@require_GET
def cooperative_list(request: AuthedRequest) -> HttpResponse:
    form = CooperativeFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    cooperatives = selectors.cooperative_list(user=request.user, **form.filters())
    page = paginate(request, cooperatives)
    context = {
        "form": form,
        "page": page,
        "may_create": can(request.user, "cooperatives.create", None),
    }
    return render(request, "cooperatives/registry/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def cooperative_create(request: AuthedRequest) -> HttpResponse:
    # A link may preselect the village (?village=64.02.06.1001), e.g. from the list of villages
    # still without a cooperative.
    code = normalize_code(request.GET.get("village", ""))
    preset = Region.objects.filter(code=code, level=4).first() if code else None
    require(request.user, "cooperatives.create", preset)
    form = CooperativeCreateForm(request.POST or None, initial={"village": preset})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cooperative = services.cooperative_create(
                actor=request.user,
                village=data["village"],
                shared_villages=data["shared_villages"],
                **form.identity(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The cooperative has been registered."))
            return redirect(cooperative.get_absolute_url())
    village = (form.cleaned_data.get("village") if form.is_bound else None) or preset
    if village is not None:
        form.propose(services.propose_name(village))
    return render(request, "cooperatives/registry/create.html", {"form": form})


def _npwp_display(npwp: str) -> str:
    if not npwp:
        return ""
    info = parse_npwp(npwp)
    # A 16-digit NPWP that starts with 0 is an old 15-digit one: show it in its familiar form.
    if info.valid and npwp.startswith("0") and info.formatted15:
        return info.formatted15
    return npwp


def _public_url(cooperative: Cooperative) -> str:
    try:
        return cooperative.get_public_url()
    except NoReverseMatch:
        return f"/k/{cooperative.slug}/"


def _rollback_stages(cooperative: Cooperative, history: list[StageRecord]) -> list[str]:
    """Earlier stages that were verified once: where the regency office may send the cooperative back."""
    if not cooperative.stage:
        return []
    current = stage_index(cooperative.stage)
    verified = {r.stage for r in history if r.status == StageStatus.VERIFIED}
    return [s for s in STAGE_ORDER if s in verified and stage_index(s) < current]


def _stage_forms(request: AuthedRequest, cooperative: Cooperative, history: list[StageRecord], posted=None):
    """The lifecycle actions the user may take now, each with its form (None when not allowed)."""
    user = request.user
    next_stage = services.next_stage(cooperative)
    pending = next((r for r in reversed(history) if r.status == StageStatus.SUBMITTED), None)
    rollback_to = _rollback_stages(cooperative, history)
    posted = posted or {}
    forms: dict = {
        "next_stage": next_stage,
        "next_stage_label": Stage(next_stage).label if next_stage else "",
        "pending": pending,
    }
    record_form = None
    if next_stage and can(
        user, "cooperatives.stage.record", StageRecord(cooperative=cooperative, stage=next_stage)
    ):
        record_form = posted.get("record") or StageRecordForm(prefix="record", initial={"stage": next_stage})
    forms["record_form"] = record_form
    may_decide = pending is not None and can(user, "cooperatives.stage.verify", pending)
    forms["may_verify"] = may_decide
    forms["send_back_form"] = (posted.get("send_back") or ReasonForm(prefix="back")) if may_decide else None
    may_roll_back = bool(rollback_to) and can(user, "cooperatives.stage.rollback", cooperative)
    forms["rollback_form"] = (
        (posted.get("rollback") or RollbackForm(prefix="rollback", stages=rollback_to))
        if may_roll_back
        else None
    )
    forms["rollback_to"] = rollback_to
    return forms


def _pending_record(request: AuthedRequest, cooperative: Cooperative) -> StageRecord:
    record = selectors.stage_record_get(user=request.user, pk=_int(request.POST.get("record_id")))
    if record.cooperative_id != cooperative.pk:
        raise Http404
    return record


@login_required
@require_http_methods(["GET", "POST"])
def cooperative_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    cooperative = selectors.cooperative_get(user=request.user, pk=pk)
    posted: dict = {}
    if request.method == "POST":
        action = request.POST.get("action")
        form: Form | None = None
        try:
            if action == "record":
                form = posted["record"] = StageRecordForm(request.POST, request.FILES, prefix="record")
                if form.is_valid():
                    data = form.cleaned_data
                    services.stage_record(
                        actor=request.user,
                        cooperative=cooperative,
                        stage=data["stage"],
                        happened_on=data["happened_on"],
                        evidence=data["evidence"],
                        notes=data["notes"],
                    )
                    messages.success(
                        request, _("The stage has been recorded; the regency office will verify it.")
                    )
                    return redirect(cooperative.get_absolute_url())
            elif action == "verify":
                services.stage_verify(actor=request.user, record=_pending_record(request, cooperative))
                messages.success(request, _("The stage has been verified."))
                return redirect(cooperative.get_absolute_url())
            elif action == "send_back":
                form = posted["send_back"] = ReasonForm(request.POST, prefix="back")
                record = _pending_record(request, cooperative)
                if form.is_valid():
                    services.stage_send_back(
                        actor=request.user, record=record, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("The stage has been sent back with your reason."))
                    return redirect(cooperative.get_absolute_url())
            elif action == "rollback":
                history = list(selectors.stage_history(user=request.user, cooperative=cooperative))
                form = posted["rollback"] = RollbackForm(
                    request.POST, prefix="rollback", stages=_rollback_stages(cooperative, history)
                )
                if form.is_valid():
                    services.stage_roll_back(
                        actor=request.user,
                        cooperative=cooperative,
                        to_stage=form.cleaned_data["to_stage"],
                        reason=form.cleaned_data["reason"],
                    )
                    messages.success(request, _("The cooperative has been moved back to an earlier stage."))
                    return redirect(cooperative.get_absolute_url())
        except DomainError as exc:
            if form is None:
                messages.error(request, str(exc.message))
                return redirect(cooperative.get_absolute_url())
            apply_domain_error(form, exc)
        cooperative = selectors.cooperative_get(user=request.user, pk=pk)
    history = list(selectors.stage_history(user=request.user, cooperative=cooperative))
    may_see_members = can(request.user, "cooperatives.member.list", cooperative)
    context = {
        "coop": cooperative,
        "history": history,
        "tabs": _tabs(request.user, cooperative, "detail"),
        "stages": _stage_progress(cooperative),
        "npwp": _npwp_display(cooperative.npwp),
        "public_url": _public_url(cooperative),
        "officers": selectors.officer_list(cooperative=cooperative),
        "seven_units": selectors.seven_units(cooperative=cooperative),
        "member_counts": _member_counts(cooperative) if may_see_members else None,
        "may_see_members": may_see_members,
        "may_edit": can(request.user, "cooperatives.update", cooperative),
        "photos": list(cooperative.photos.all()),
        **_stage_forms(request, cooperative, history, posted),
    }
    return render(request, "cooperatives/registry/detail.html", context)


def _stage_progress(cooperative: Cooperative) -> list[dict]:
    """Each stage of the path with whether it is done, current, or still ahead."""
    current = stage_index(cooperative.stage) if cooperative.stage else -1
    steps = []
    for index, stage in enumerate(STAGE_ORDER):
        if index < current or (index == current and cooperative.stage_status == StageStatus.VERIFIED):
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "ahead"
        steps.append({"stage": stage, "label": Stage(stage).label, "state": state})
    return steps


def _member_counts(cooperative: Cooperative) -> list[tuple[str, str, int]]:
    counts = selectors.member_counts(cooperative=cooperative)
    return [(status, str(label), counts.get(status, 0)) for status, label in MemberStatus.choices]


@login_required
@require_GET
def stage_evidence(request: AuthedRequest, pk: int) -> FileResponse:
    """A stage's evidence file, to those who may see the cooperative (deeds and minutes are not public)."""
    record = selectors.stage_record_get(user=request.user, pk=pk)
    if not record.evidence:
        raise Http404
    try:
        handle = record.evidence.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    name = (record.evidence.name or "").rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=False, filename=name)


def _photo_post(request, action: str, photo_form, *, photos, add, remove, back: str):
    """The photo actions of the cooperative and unit pages: add one (the form), or remove one.

    Returns the redirect when done, else None, and the photo form to show (with its errors).
    """
    if action == "photo":
        photo_form = PhotoForm(request.POST, request.FILES, prefix="photo")
        if not photo_form.is_valid():
            return None, photo_form
        try:
            add(image=photo_form.cleaned_data["image"], caption=photo_form.cleaned_data["caption"])
        except DomainError as exc:
            apply_domain_error(photo_form, exc)
            return None, photo_form
        messages.success(request, _("The photo has been added."))
        return redirect(back), photo_form
    photo = photos.filter(pk=_int(request.POST.get("photo"))).first()
    if photo is None:
        raise Http404
    remove(photo=photo)
    messages.success(request, _("The photo has been removed."))
    return redirect(back), photo_form


@login_required
@require_http_methods(["GET", "POST"])
def cooperative_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    cooperative = selectors.cooperative_get(user=request.user, pk=pk)
    require(request.user, "cooperatives.update", cooperative)
    initial = {name: getattr(cooperative, name) for name in CooperativeEditForm.base_fields}
    initial["npwp"] = _npwp_display(cooperative.npwp)
    form = CooperativeEditForm(initial=initial)
    photo_form = PhotoForm(prefix="photo")
    if request.method == "POST":
        action = request.POST.get("action", "identity")
        try:
            if action in ("photo", "remove_photo"):
                response, photo_form = _photo_post(
                    request,
                    action,
                    photo_form,
                    photos=cooperative.photos.all(),
                    add=partial(media.cooperative_photo_add, actor=request.user, cooperative=cooperative),
                    remove=partial(media.cooperative_photo_remove, actor=request.user),
                    back=reverse("cooperatives:edit", args=[cooperative.pk]),
                )
                if response is not None:
                    return response
            else:
                form = CooperativeEditForm(request.POST, initial=initial)
                if form.is_valid():
                    changed = _changed(form)
                    if changed:
                        services.cooperative_update(actor=request.user, cooperative=cooperative, **changed)
                    messages.success(request, _("The cooperative's details have been saved."))
                    return redirect(cooperative.get_absolute_url())
        except DomainError as exc:
            apply_domain_error(photo_form if action == "photo" else form, exc)
            cooperative.refresh_from_db()
    context = {
        "coop": cooperative,
        "form": form,
        "photo_form": photo_form,
        "tabs": _tabs(request.user, cooperative, "edit"),
        "photos": list(cooperative.photos.all()),
    }
    return render(request, "cooperatives/registry/edit.html", context)


# --- Officers ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def officers(request: AuthedRequest, pk: int) -> HttpResponse:
    cooperative = selectors.cooperative_get(user=request.user, pk=pk)
    may_manage = can(request.user, "cooperatives.officer.manage", cooperative)
    form = OfficerAppointForm(prefix="appoint")
    if request.method == "POST":
        require(request.user, "cooperatives.officer.manage", cooperative)
        action = request.POST.get("action")
        try:
            if action == "appoint":
                form = OfficerAppointForm(request.POST, prefix="appoint")
                if form.is_valid():
                    officer = services.officer_appoint(
                        actor=request.user, cooperative=cooperative, **form.appointment()
                    )
                    messages.success(
                        request,
                        _("%(name)s has been appointed %(position)s.")
                        % {"name": officer.user.full_name, "position": officer.get_position_display()},
                    )
                    return redirect("cooperatives:officers", pk=cooperative.pk)
            elif action == "end":
                officer = (
                    selectors.officer_list(cooperative=cooperative, current_only=False)
                    .filter(pk=_int(request.POST.get("officer")))
                    .first()
                )
                if officer is None:
                    raise Http404
                services.officer_end(actor=request.user, officer=officer)
                messages.success(request, _("The term has been ended and the role revoked."))
                return redirect("cooperatives:officers", pk=cooperative.pk)
        except DomainError as exc:
            apply_domain_error(form, exc)
    everyone = list(selectors.officer_list(cooperative=cooperative, current_only=False))
    context = {
        "coop": cooperative,
        "current": [o for o in everyone if o.ended_at is None],
        "tabs": _tabs(request.user, cooperative, "officers"),
        "past": [o for o in everyone if o.ended_at is not None],
        "form": form if may_manage else None,
        "may_manage": may_manage,
    }
    return render(request, "cooperatives/registry/officers.html", context)


# --- Members ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def members(request: AuthedRequest, pk: int) -> HttpResponse:
    cooperative = selectors.cooperative_get(user=request.user, pk=pk)
    filters = MemberFilterForm(request.GET or None)
    query = status = ""
    if filters.is_bound and filters.is_valid():
        query, status = filters.cleaned_data["q"].strip(), filters.cleaned_data["status"]
    page = paginate(
        request, selectors.member_list(user=request.user, cooperative=cooperative, query=query, status=status)
    )
    may_manage = can(request.user, "cooperatives.member.manage", cooperative)
    form = MemberAddForm(prefix="add", initial={"village": cooperative.village})
    if request.method == "POST":
        require(request.user, "cooperatives.member.manage", cooperative)
        form = MemberAddForm(request.POST, prefix="add")
        if form.is_valid():
            try:
                member = services.member_add(actor=request.user, cooperative=cooperative, **form.member())
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s (%(nik)s) has been registered as a member.")
                    % {"name": member.full_name, "nik": member.nik_masked},
                )
                return redirect("cooperatives:members", pk=cooperative.pk)
    context = {
        "coop": cooperative,
        "page": page,
        "tabs": _tabs(request.user, cooperative, "members"),
        "filters": filters,
        "form": form if may_manage else None,
        "counts": _member_counts(cooperative),
    }
    return render(request, "cooperatives/registry/members.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def member_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(user=request.user, pk=pk)
    cooperative = member.cooperative
    may_manage = can(request.user, "cooperatives.member.manage", cooperative)
    form = MemberEditForm(
        initial={"full_name": member.full_name, "phone": member.phone, "status": member.status}
    )
    if request.method == "POST":
        require(request.user, "cooperatives.member.manage", cooperative)
        form = MemberEditForm(request.POST, initial=form.initial)
        if form.is_valid():
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                if changed:
                    services.member_update(actor=request.user, member=member, **changed)
            except DomainError as exc:
                apply_domain_error(form, exc)
                member.refresh_from_db()
            else:
                messages.success(request, _("The member's record has been saved."))
                return redirect("cooperatives:member", pk=member.pk)
    context = {
        "member": member,
        "coop": cooperative,
        "tabs": _tabs(request.user, cooperative, "members")
        if can(request.user, "cooperatives.view", cooperative)
        else None,
        "form": form if may_manage else None,
        "may_see_list": can(request.user, "cooperatives.member.list", cooperative),
    }
    return render(request, "cooperatives/registry/member.html", context)


@login_required
@require_GET
def my_memberships(request: AuthedRequest) -> HttpResponse:
    require(request.user, "cooperatives.memberships.own")
    records = list(selectors.own_memberships(user=request.user))
    return render(request, "cooperatives/registry/my_memberships.html", {"records": records})


# --- Business units ---------------------------------------------------------------------------


def _unit_fields(data: dict) -> dict:
    return {
        name: data[name]
        for name in ("kind", "name", "status", "address", "opened_on", "latitude", "longitude")
    }


@login_required
@require_http_methods(["GET", "POST"])
def units(request: AuthedRequest, pk: int) -> HttpResponse:
    cooperative = selectors.cooperative_get(user=request.user, pk=pk)
    may_manage = can(request.user, "cooperatives.unit.manage", cooperative)
    form = UnitForm(prefix="unit")
    if request.method == "POST":
        require(request.user, "cooperatives.unit.manage", cooperative)
        form = UnitForm(request.POST, prefix="unit")
        if form.is_valid():
            fields = _unit_fields(form.cleaned_data)
            try:
                unit = services.unit_create(actor=request.user, cooperative=cooperative, **fields)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The unit %(name)s has been added.") % {"name": unit})
                return redirect("cooperatives:units", pk=cooperative.pk)
    context = {
        "coop": cooperative,
        "units": list(selectors.unit_list(cooperative=cooperative)),
        "tabs": _tabs(request.user, cooperative, "units"),
        "seven_units": selectors.seven_units(cooperative=cooperative),
        "form": form if may_manage else None,
    }
    return render(request, "cooperatives/registry/units.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def unit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    unit = selectors.unit_get(user=request.user, pk=pk)
    cooperative = unit.cooperative
    may_manage = can(request.user, "cooperatives.unit.manage", cooperative)
    initial = {name: getattr(unit, name) for name in UnitForm.base_fields}
    form = UnitForm(initial=initial, prefix="unit")
    photo_form = PhotoForm(prefix="photo")
    if request.method == "POST":
        require(request.user, "cooperatives.unit.manage", cooperative)
        action = request.POST.get("action", "update")
        try:
            if action in ("photo", "remove_photo"):
                response, photo_form = _photo_post(
                    request,
                    action,
                    photo_form,
                    photos=unit.photos.all(),
                    add=partial(media.unit_photo_add, actor=request.user, unit=unit),
                    remove=partial(media.unit_photo_remove, actor=request.user),
                    back=reverse("cooperatives:unit", args=[unit.pk]),
                )
                if response is not None:
                    return response
            else:
                form = UnitForm(request.POST, initial=initial, prefix="unit")
                if form.is_valid():
                    changed = _changed(form)
                    if changed:
                        services.unit_update(actor=request.user, unit=unit, **changed)
                    messages.success(request, _("The unit has been saved."))
                    return redirect("cooperatives:unit", pk=unit.pk)
        except DomainError as exc:
            apply_domain_error(photo_form if action == "photo" else form, exc)
            unit.refresh_from_db()
    context = {
        "unit": unit,
        "coop": cooperative,
        "tabs": _tabs(request.user, cooperative, "units"),
        "photos": list(unit.photos.all()),
        "form": form if may_manage else None,
        "photo_form": photo_form if may_manage else None,
    }
    return render(request, "cooperatives/registry/unit.html", context)
