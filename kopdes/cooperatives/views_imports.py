"""Pages of spreadsheet imports: start (upload), columns and dry-run preview, progress, result."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kopdes.core.errors import DomainError, NotFound
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import PolicyDenied, require
from kopdes.regions.forms import RegionField

from . import imports
from .choices import ImportKind, ImportStatus
from .models import ImportJob
from .selectors import cooperative_get

FILE_ACCEPT = f".csv,.xlsx,text/csv,{imports.XLSX_TYPE}"


class UploadForm(forms.Form):
    region = RegionField(
        label=gettext_lazy("Region of the cooperatives"),
        min_level=1,
        max_level=3,
        help_text=gettext_lazy("A region you administer; every village in the file must lie in it."),
    )
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (CSV or Excel .xlsx)"),
        help_text=gettext_lazy("Up to 10 MB. The first row holds the column headers."),
        allow_empty_file=True,  # the import service says why an empty file is refused
        widget=forms.ClearableFileInput(attrs={"accept": FILE_ACCEPT, "style": "min-height:44px;width:100%"}),
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        if kind == ImportKind.MEMBERS:
            del self.fields["region"]


class MappingForm(forms.Form):
    """One select per field: which column of the file holds it."""

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        headers = (job.preview or {}).get("headers") or []
        choices = [("", _("— not in the file —"))] + [
            (str(i), f"{imports.column_letter(i)}: {h or _('(no header)')}") for i, h in enumerate(headers)
        ]
        for f in imports.fields_for(job.kind):
            label = f"{f.label} ({_('required')})" if f.required else str(f.label)
            self.fields[f.name] = forms.ChoiceField(
                label=label, choices=choices, required=False, help_text=f.help
            )
            index = (job.mapping or {}).get(f.name)
            self.initial[f.name] = "" if index is None else str(index)

    def mapping(self) -> dict[str, int | None]:
        return {name: int(value) if value != "" else None for name, value in self.cleaned_data.items()}


def _expected(kind: str) -> list[imports.Field]:
    return list(imports.fields_for(kind))


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, imports.import_list(user=request.user))
    cooperatives = list(imports.member_import_cooperatives(user=request.user)[:20])
    may_import_cooperatives = imports.may_import_cooperatives(request.user)
    if not (cooperatives or may_import_cooperatives or page.paginator.count):
        # Neither an admin nor an officer, with no import of their own: nothing here for them.
        require(request.user, imports.ACTIONS[ImportKind.COOPERATIVES], None)
    context = {"page": page, "cooperatives": cooperatives, "may_import_cooperatives": may_import_cooperatives}
    return render(request, "cooperatives/imports/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Upload a file: members of the cooperative given by ?cooperative=<pk>, else cooperatives."""
    raw = request.GET.get("cooperative") or request.POST.get("cooperative") or ""
    cooperative = None
    if raw:
        if not (raw.isascii() and raw.isdigit()):  # isdigit() alone takes "²", which int() refuses
            raise NotFound(code="unknown_cooperative")
        cooperative = cooperative_get(user=request.user, pk=int(raw))
        require(request.user, imports.ACTIONS[ImportKind.MEMBERS], cooperative)
        kind = ImportKind.MEMBERS
    else:
        kind = ImportKind.COOPERATIVES
        if not imports.may_import_cooperatives(request.user):
            officer_of = list(imports.member_import_cooperatives(user=request.user)[:20])
            if officer_of:
                # An officer imports members: let them choose which of their cooperatives.
                return render(request, "cooperatives/imports/choose.html", {"cooperatives": officer_of})
            require(request.user, imports.ACTIONS[ImportKind.COOPERATIVES], None)
    initial = {}
    if kind == ImportKind.COOPERATIVES:
        initial["region"] = imports.home_region(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_upload(
                actor=request.user,
                kind=kind,
                file=form.cleaned_data["file"],
                cooperative=cooperative,
                region=form.cleaned_data.get("region"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        except PolicyDenied:
            if kind == ImportKind.MEMBERS:
                raise
            # The refusal is audited; the admin picked a region outside theirs: say so on the form.
            form.add_error("region", _("You can import cooperatives only into a region you administer."))
        else:
            return redirect("cooperatives:import_detail", pk=job.pk)
    context = {"form": form, "kind": kind, "cooperative": cooperative, "fields": _expected(kind)}
    return render(request, "cooperatives/imports/start.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The columns and the dry-run preview before confirming; the progress and result after."""
    job = imports.import_get(user=request.user, pk=pk)
    mapping_form = MappingForm(job=job)
    confirm_error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "map":
                mapping_form = MappingForm(request.POST, job=job)
                if mapping_form.is_valid():
                    imports.import_set_mapping(actor=request.user, job=job, mapping=mapping_form.mapping())
                    messages.success(request, _("The rows have been checked with these columns."))
                    return redirect("cooperatives:import_detail", pk=job.pk)
            elif action == "confirm":
                good_only = request.POST.get("good_rows_only") == "1"
                imports.import_confirm(actor=request.user, job=job, good_rows_only=good_only)
                return redirect("cooperatives:import_detail", pk=job.pk)
        except DomainError as exc:
            if action == "map":
                apply_domain_error(mapping_form, exc)
            else:
                confirm_error = str(exc.message)
    return render(
        request,
        "cooperatives/imports/detail.html",
        {**_job_context(job), "mapping_form": mapping_form, "confirm_error": confirm_error},
    )


def _job_context(job: ImportJob) -> dict:
    preview = job.preview or {}
    counts = preview.get("counts") or {}
    problem_rows = int(preview.get("problem_rows") or 0)
    shown = len(preview.get("problems") or [])
    active = job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    fields = imports.fields_for(job.kind)
    labels = {f.name: str(f.label) for f in fields}
    labels["village_id"] = labels["village_code"]
    mapped = [f for f in fields if (job.mapping or {}).get(f.name) is not None]
    return {
        "job": job,
        "preview": preview,
        "counts": counts,
        "to_write": int(counts.get("new", 0)) + int(counts.get("update", 0)),
        "more_problems": max(0, problem_rows - shown),
        "missing": imports.missing_fields(job.kind, job.mapping or {}),
        "editable": job.status in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED),
        "active": active,
        "finished": job.status in (ImportStatus.DONE, ImportStatus.FAILED) and job.finished_at is not None,
        "sample_labels": [f.label for f in mapped],
        "sample_rows": [[row.get(f.name, "") for f in mapped] for row in preview.get("sample") or []],
        "updates": [
            {"row": u["row"], "fields": ", ".join(labels.get(name, name) for name in u["fields"])}
            for u in preview.get("updates") or []
        ],
        "writing": job.status == ImportStatus.RUNNING
        and job.total_rows
        and job.processed_rows >= job.total_rows,
    }


@never_cache
@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block alone, polled by htmx every second until the import ends."""
    job = imports.import_get(user=request.user, pk=pk)
    if not getattr(request, "htmx", False):
        return redirect("cooperatives:import_detail", pk=job.pk)
    return render(request, "cooperatives/imports/_progress.html", _job_context(job))


@never_cache
@login_required
@require_GET
def import_errors(request: HttpRequest, pk: int) -> FileResponse:
    """The rows with problems as an XLSX sheet, for the uploader to fix (their own data, unmasked)."""
    job = imports.import_error_file(user=request.user, pk=pk)
    response = FileResponse(
        job.errors_file.open("rb"),
        as_attachment=True,
        filename=f"kopdes-import-{job.pk}-problems.xlsx",
        content_type=imports.XLSX_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """An empty spreadsheet with the expected headers and an example row."""
    require(request.user, "core.home.view")
    if kind not in ImportKind.values:
        raise NotFound(code="unknown_kind")
    response = HttpResponse(imports.template_workbook(kind), content_type=imports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="kopdes-template-{kind}.xlsx"'
    return response
