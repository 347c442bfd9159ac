"""Spreadsheet imports through the API (mounted at /api/v1/imports), behind the same policies.

Upload (multipart) → set the columns and check (dry run) → confirm → poll the status → download
the rows with problems. The preview never carries a NIK whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from kopdes.core.errors import DomainError, NotFound
from kopdes.core.pagination import Pages
from kopdes.core.policies import require
from kopdes.regions.selectors import region_get

from . import imports
from .choices import ImportKind, ImportStatus
from .models import ImportJob
from .selectors import cooperative_get

router = Router(tags=["imports"])


class ImportFieldOut(Schema):
    name: str
    label: str
    required: bool
    column: int | None
    header: str | None


class ImportOut(Schema):
    id: int
    kind: ImportKind
    status: ImportStatus
    cooperative_id: int | None
    region_code: str | None = Field(None, alias="region_id")
    original_name: str
    file_sha256: str
    headers: list[str]
    fields: list[ImportFieldOut]
    missing: list[str]
    good_rows_only: bool
    total_rows: int
    processed_rows: int
    percent: int
    created_count: int
    updated_count: int
    unchanged_count: int
    error_count: int
    preview: dict[str, Any]
    message: str
    errors_url: str | None
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_headers(obj: ImportJob) -> list[str]:
        return list((obj.preview or {}).get("headers") or [])

    @staticmethod
    def resolve_fields(obj: ImportJob) -> list[dict]:
        headers = (obj.preview or {}).get("headers") or []
        out = []
        for f in imports.fields_for(obj.kind):
            column = (obj.mapping or {}).get(f.name)
            out.append(
                {
                    "name": f.name,
                    "label": str(f.label),
                    "required": f.required,
                    "column": column,
                    "header": headers[column] if column is not None and column < len(headers) else None,
                }
            )
        return out

    @staticmethod
    def resolve_missing(obj: ImportJob) -> list[str]:
        return imports.missing_fields(obj.kind, obj.mapping or {})

    @staticmethod
    def resolve_preview(obj: ImportJob) -> dict[str, Any]:
        preview = dict(obj.preview or {})
        preview.pop("headers", None)
        preview.pop("language", None)
        preview.pop("rows_file", None)
        return preview

    @staticmethod
    def resolve_errors_url(obj: ImportJob) -> str | None:
        return reverse("api:import_error_sheet", args=[obj.pk]) if obj.errors_file else None


class MappingIn(Schema):
    mapping: dict[str, int | str | None] = Field(
        ...,
        description="Field name → the column holding it: its number (0 = first column) or its header; "
        "null when the file does not have it.",
    )


class ConfirmIn(Schema):
    good_rows_only: bool = Field(
        False,
        description="Import the good rows and leave out the others; by default nothing is imported "
        "if any row has a problem.",
    )


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=imports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("", response=list[ImportOut])
@paginate(Pages, page_size=50)
def list_imports(request):
    """Imports you started, and those of the regions you administer."""
    return imports.import_list(user=request.user)


@router.post("", response={201: ImportOut})
def upload(
    request,
    kind: Form[ImportKind],
    file: File[UploadedFile],
    cooperative_id: Form[int | None] = None,
    region_code: Form[str] = "",
):
    """Upload a CSV or XLSX (at most 10 MB): members of `cooperative_id`, or cooperatives of `region_code`.

    Columns are matched to fields by their headers; when every required field is found the rows
    are checked at once and the preview is in the answer.
    """
    cooperative = region = None
    if kind == ImportKind.MEMBERS:
        if cooperative_id is None:
            message = _("Give the cooperative whose members you import.")
            raise DomainError(message, code="invalid", fields={"cooperative_id": [message]})
        cooperative = cooperative_get(user=request.user, pk=cooperative_id)
    else:
        try:
            region = region_get(code=region_code)
        except DomainError as exc:
            raise DomainError(
                exc.message, code="unknown_region", fields={"region_code": [str(exc.message)]}
            ) from None
    job = imports.import_upload(
        actor=request.user, kind=kind, file=file, cooperative=cooperative, region=region
    )
    return Status(201, job)


@router.get("/{job_id}", response=ImportOut)
def status(request, job_id: int):
    """An import: its columns, preview, status and progress (poll it while it is queued or running)."""
    return imports.import_get(user=request.user, pk=job_id)


@router.put("/{job_id}/mapping", response=ImportOut)
def set_mapping(request, job_id: int, payload: MappingIn):
    """Say which column holds which field; the rows are checked again (dry run) and the preview returned."""
    job = imports.import_get(user=request.user, pk=job_id)
    return imports.import_set_mapping(actor=request.user, job=job, mapping=payload.mapping)


@router.post("/{job_id}/check", response=ImportOut)
def check(request, job_id: int):
    """Check the rows again with the current columns (the stored data may have changed)."""
    job = imports.import_get(user=request.user, pk=job_id)
    return imports.import_check(actor=request.user, job=job)


@router.post("/{job_id}/confirm", response={202: ImportOut})
def confirm(request, job_id: int, payload: ConfirmIn):
    """Start the import in the background; poll GET /imports/{id} for its progress."""
    job = imports.import_get(user=request.user, pk=job_id)
    return Status(
        202, imports.import_confirm(actor=request.user, job=job, good_rows_only=payload.good_rows_only)
    )


@router.get("/{job_id}/errors", url_name="import_error_sheet")
def errors(request, job_id: int):
    """The rows with problems as an XLSX sheet: the original columns plus the row number and the problem."""
    job = imports.import_error_file(user=request.user, pk=job_id)
    with job.errors_file.open("rb") as handle:
        content = handle.read()
    response = _xlsx(content, f"kopdes-import-{job.pk}-problems.xlsx")
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/templates/{kind}")
def template(request, kind: str):
    """An empty spreadsheet with the expected headers and an example row."""
    require(request.user, "core.home.view")
    if kind not in ImportKind.values:
        raise NotFound(code="unknown_kind")
    return _xlsx(imports.template_workbook(kind), f"kopdes-template-{kind}.xlsx")
