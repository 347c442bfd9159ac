"""Spreadsheet imports of cooperatives (into a region) and members (into a cooperative).

The flow: `import_upload` reads the CSV or XLSX, stores it and maps its columns to fields by
their headers; when every required column is found it checks the rows at once (a dry run).
`import_set_mapping` fixes the mapping and checks again. `import_confirm` queues the
`import_run` task, which reads the file again, checks every row again (the data may have changed
since the preview), publishing its progress in small committed steps, then writes the good rows
in one transaction: all of them, or — when the user did not choose "good rows only" — nothing at
all if any row has a problem. Rows that have problems go to an error sheet (the original columns
plus the row number and the problem) for the uploader to fix and upload again.

Re-importing the same file changes nothing: each row is compared with what is stored and only
new or different rows are written. A blank optional cell means "no information" and keeps what
is stored. Rows are checked with the validators the services use (`validators.py`); members are
written in bulk (tens of thousands of rows), cooperatives through `cooperative_create` and
`cooperative_update` (hundreds of rows). NIKs never reach the logs or the audit trail.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext
from django_stubs_ext import StrOrPromise

from kopdes.accounts.scopes import admin_prefixes, org_ids
from kopdes.core.audit import audit_record
from kopdes.core.errors import Conflict, DomainError, NotFound
from kopdes.core.masking import mask_nik, mask_sensitive
from kopdes.core.policies import PolicyDenied, require
from kopdes.core.request_context import channel
from kopdes.regions.codes import normalize_code, within
from kopdes.regions.models import Region

from . import services
from . import validators as v
from .choices import ImportKind, ImportStatus, MemberStatus, Scheme
from .models import Cooperative, CooperativeVillage, ImportJob, Member
from .policies import MANAGING
from .selectors import cooperative_measures

logger = logging.getLogger("kopdes.imports")


@functools.lru_cache(maxsize=256)
def _translated(language: str | None, message: str) -> str:
    return gettext(message)


def _(message: str) -> str:
    """gettext, remembered per language: a file of 10,000 bad rows asks for the same few messages
    tens of thousands of times, and Django's gettext costs microseconds each."""
    return _translated(get_language(), message)


MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 100
PREVIEW_PROBLEMS = 50
SAMPLE_ROWS = 3
PROGRESS_STEP = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ACTIONS = {
    ImportKind.MEMBERS: "cooperatives.import.members",
    ImportKind.COOPERATIVES: "cooperatives.import.cooperatives",
}

# Outcomes of a row.
NEW, UPDATE, UNCHANGED, ERROR = "new", "update", "unchanged", "error"


# --- The fields a file may hold -----------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: StrOrPromise
    header: str  # the column header in the downloadable template
    required: bool = False
    aliases: str = ""  # other headers that mean this field, "|"-separated (compared loosely)
    help: StrOrPromise = ""
    example: str = ""

    def names(self) -> set[str]:
        return {_norm(a) for a in (*self.aliases.split("|"), self.name, self.header) if a}


_VILLAGE = (
    "kode desa|kode kelurahan|kode desa kelurahan|kode wilayah|kode kemendagri|kode wilayah desa|"
    "village code|village|region code"
)
_PHONE = (
    "no hp|nomor hp|hp|no handphone|nomor handphone|handphone|telepon|telp|no telp|no telepon|"
    "nomor telepon|no tlp|whatsapp|wa|no wa|nomor wa|nomor whatsapp|phone|phone number|mobile|telephone"
)
EXAMPLE_VILLAGE = "53.07.05.1009"
EXAMPLE_NIK = "5307054506900001"
EXAMPLE_COOPERATIVE = "Koperasi Kelurahan Merah Putih Kota Uneng (contoh)"

FIELDS: dict[str, tuple[Field, ...]] = {
    ImportKind.MEMBERS: (
        Field(
            "nik",
            gettext_lazy("NIK"),
            "NIK",
            required=True,
            aliases="no nik|nomor nik|nik ktp|nomor induk kependudukan|no ktp|nomor ktp|ktp|national id",
            help=gettext_lazy(
                "16 digits. Format the column as text so that the spreadsheet keeps every digit."
            ),
            example=EXAMPLE_NIK,
        ),
        Field(
            "full_name",
            gettext_lazy("Full name"),
            "Nama Lengkap",
            required=True,
            aliases="nama|nama anggota|nama sesuai ktp|full name|name|member name",
            example="Maria Goreti",
        ),
        Field(
            "phone",
            gettext_lazy("Phone / WhatsApp"),
            "No HP",
            aliases=_PHONE,
            help=gettext_lazy("Any common form: 0812-3456-7890, +62 812 3456 7890."),
            example="0813-3900-1234",
        ),
        Field(
            "village_code",
            gettext_lazy("Village code"),
            "Kode Desa",
            aliases=_VILLAGE,
            help=gettext_lazy(
                "The Kemendagri code of the member's village, with or without dots. "
                "Blank: the cooperative's village."
            ),
            example=EXAMPLE_VILLAGE,
        ),
        Field(
            "joined_on",
            gettext_lazy("Date joined"),
            "Tanggal Masuk",
            aliases=(
                "tgl masuk|tanggal bergabung|tgl bergabung|tanggal daftar|tgl daftar|tanggal menjadi anggota|"
                "joined|joined on|join date|date joined"
            ),
            help=gettext_lazy("2026-01-31, 31/01/2026 or an Excel date. Blank: the day of the import."),
            example="2026-01-31",
        ),
        Field(
            "status",
            gettext_lazy("Status"),
            "Status",
            aliases="status anggota|keanggotaan|member status",
            help=gettext_lazy("aktif, keluar or meninggal (active, resigned, deceased). Blank: active."),
            example="aktif",
        ),
    ),
    ImportKind.COOPERATIVES: (
        Field(
            "village_code",
            gettext_lazy("Village code"),
            "Kode Desa",
            required=True,
            aliases=_VILLAGE + "|kode",
            help=gettext_lazy("The Kemendagri code of the cooperative's village, with or without dots."),
            example=EXAMPLE_VILLAGE,
        ),
        Field(
            "name",
            gettext_lazy("Name"),
            "Nama Koperasi",
            aliases="nama|nama kdmp|name|cooperative name|cooperative",
            help=gettext_lazy('Blank: "Koperasi Desa/Kelurahan Merah Putih <village>".'),
            example=EXAMPLE_COOPERATIVE,
        ),
        Field(
            "scheme",
            gettext_lazy("Scheme"),
            "Skema",
            aliases="skema pembentukan|scheme|jenis pembentukan",
            help=gettext_lazy("baru, pengembangan or revitalisasi (new, develop, revitalize). Blank: new."),
            example="baru",
        ),
        Field("npwp", gettext_lazy("NPWP"), "NPWP", aliases="nomor npwp|no npwp|tax number"),
        Field("nib", gettext_lazy("NIB"), "NIB", aliases="nomor induk berusaha|no nib|nomor nib"),
        Field("phone", gettext_lazy("Phone / WhatsApp"), "Telepon", aliases=_PHONE, example="0813-3900-1234"),
        Field(
            "address",
            gettext_lazy("Address"),
            "Alamat",
            aliases="alamat koperasi|alamat kantor|address",
            example="Jl. Ahmad Yani No. 1",
        ),
        Field(
            "registration_number",
            gettext_lazy("Cooperative ID number (NIK koperasi)"),
            "Nomor Induk Koperasi",
            aliases="nik koperasi|no induk koperasi|nomor registrasi|no registrasi|registration number",
        ),
    ),
}

_MEMBER_STATUS = {
    "active": MemberStatus.ACTIVE,
    "aktif": MemberStatus.ACTIVE,
    "resigned": MemberStatus.RESIGNED,
    "keluar": MemberStatus.RESIGNED,
    "berhenti": MemberStatus.RESIGNED,
    "mengundurkan diri": MemberStatus.RESIGNED,
    "deceased": MemberStatus.DECEASED,
    "meninggal": MemberStatus.DECEASED,
    "meninggal dunia": MemberStatus.DECEASED,
    "wafat": MemberStatus.DECEASED,
}
_SCHEME = {
    "new": Scheme.NEW,
    "baru": Scheme.NEW,
    "pembentukan baru": Scheme.NEW,
    "develop": Scheme.DEVELOP,
    "pengembangan": Scheme.DEVELOP,
    "mengembangkan": Scheme.DEVELOP,
    "revitalize": Scheme.REVITALIZE,
    "revitalise": Scheme.REVITALIZE,
    "revitalisasi": Scheme.REVITALIZE,
}


def fields_for(kind: str) -> tuple[Field, ...]:
    try:
        return FIELDS[kind]
    except KeyError:
        raise v.invalid("kind", _("Choose what to import: cooperatives or members.")) from None


def _norm(text: Any) -> str:
    """A header or keyword compared loosely: lower case, no brackets, punctuation or extra spaces."""
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", str(text or "").lower())
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def auto_map(kind: str, headers: list[str]) -> dict[str, int]:
    """Map each field to the first column whose header is one of its known names."""
    mapping: dict[str, int] = {}
    for f in fields_for(kind):
        names = f.names()
        for index, header in enumerate(headers):
            if _norm(header) in names and index not in mapping.values():
                mapping[f.name] = index
                break
    return mapping


def missing_fields(kind: str, mapping: dict[str, int]) -> list[str]:
    return [f.name for f in fields_for(kind) if f.required and mapping.get(f.name) is None]


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --- Reading a file -----------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)


def _bad_file(message: str, code: str) -> DomainError:
    return DomainError(message, code=code, fields={"file": [message]})


def _not_a_spreadsheet() -> DomainError:
    return _bad_file(
        _("This file is not a spreadsheet Kopdes can read: upload a CSV or an Excel (.xlsx) file."),
        "not_a_spreadsheet",
    )


def read_upload(file) -> bytes:
    """The bytes of an uploaded file, refused when empty or over 10 MB (without reading it all)."""
    size = getattr(file, "size", None)
    too_large = _bad_file(
        _("The file is larger than %(mb)s MB: split it into smaller files.") % {"mb": MAX_BYTES // 2**20},
        "file_too_large",
    )
    if size is not None and size > MAX_BYTES:
        raise too_large
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise too_large
    if not data:
        raise _bad_file(_("The file is empty."), "file_empty")
    return data


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def read_table(data: bytes, name: str) -> Table:
    """Headers and rows of a CSV (UTF-8, comma or semicolon) or of the first sheet of an XLSX."""
    extension = _extension(name)
    if extension not in ("csv", "xlsx", "txt"):
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise _bad_file(
                _("This is an old Excel file (.xls): save it as .xlsx or CSV and upload it again."),
                "old_excel",
            )
        raise _bad_file(_("Upload a CSV or an Excel (.xlsx) file."), "wrong_file_type")
    table = _read_xlsx(data) if extension == "xlsx" else _read_csv(data)
    if not any(table.headers):
        raise _bad_file(_("The first row must hold the column headers."), "no_headers")
    if not table.rows:
        raise _bad_file(_("The file has no rows under the headers."), "no_rows")
    return table


def _too_many_rows() -> DomainError:
    return _bad_file(
        _("The file has more than %(n)s rows: split it into smaller files.")
        % {"n": f"{MAX_ROWS:,}".replace(",", ".")},
        "too_many_rows",
    )


def _blank(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _read_xlsx(data: bytes) -> Table:
    if not data.startswith(b"PK\x03\x04"):
        raise _not_a_spreadsheet()
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as exc:
        logger.info("unreadable xlsx upload: %s", type(exc).__name__)
        raise _not_a_spreadsheet() from None
    except Exception as exc:  # openpyxl raises many kinds on a damaged file; each is the user's file
        logger.info("unreadable xlsx upload: %s", type(exc).__name__)
        raise _not_a_spreadsheet() from None
    try:
        if not book.worksheets:
            raise _not_a_spreadsheet()
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        first = next(rows, None)
        headers = _headers(first or ())
        width = len(headers)
        body: list[tuple[int, list[Any]]] = []
        for number, cells in enumerate(rows, start=2):
            cells = list(cells[:width])
            if _blank(cells):
                continue
            if len(body) >= MAX_ROWS:
                raise _too_many_rows()
            body.append((number, cells))
    except DomainError:
        raise
    except Exception as exc:  # a damaged sheet inside a valid zip
        logger.info("unreadable xlsx sheet: %s", type(exc).__name__)
        raise _not_a_spreadsheet() from None
    finally:
        book.close()
    return Table(headers, body)


def _headers(cells: Iterable[Any]) -> list[str]:
    headers = [_text(c) for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel on Windows saves "CSV" in the Windows code page unless told otherwise.
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise _not_a_spreadsheet() from None
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text[:65536]):
        raise _not_a_spreadsheet()
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        first = next(reader, None)
        headers = _headers((first or [])[:MAX_COLUMNS])
        width = len(headers)
        body: list[tuple[int, list[Any]]] = []
        for number, cells in enumerate(reader, start=2):
            cells = cells[:width]
            if _blank(cells):
                continue
            if len(body) >= MAX_ROWS:
                raise _too_many_rows()
            body.append((number, cells))
    except csv.Error:
        raise _not_a_spreadsheet() from None
    return Table(headers, body)


def _text(value: Any) -> str:
    """A cell as text: numbers without a trailing '.0', dates as 2026-01-31."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: Any) -> dt.date:
    """2026-01-31, 31/01/2026 (also with - or .), or an Excel date (a cell or its serial number)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 100_000:
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = _text(value)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    raise ValueError(text)


# --- Checking rows ------------------------------------------------------------------------------


@dataclass
class Row:
    number: int
    cells: list[Any]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    action: str = ""
    changes: list[str] = field(default_factory=list)
    target: Any = None

    @property
    def good(self) -> bool:
        return not self.problems


class _Checker:
    """Checks the rows of one kind of import. `check` looks at a row alone (and at the rows before
    it, for duplicates); `classify` compares the good rows with what is stored."""

    kind: str

    def __init__(self, job: ImportJob):
        self.job = job
        self.mapping = {k: int(i) for k, i in (job.mapping or {}).items() if i is not None}
        self.labels = {f.name: str(f.label) for f in fields_for(self.kind)}
        self.villages: dict[str, Region] = {}

    def cell(self, row: Row, name: str) -> Any:
        index = self.mapping.get(name)
        if index is None or index >= len(row.cells):
            return None
        return row.cells[index]

    def text(self, row: Row, name: str) -> str:
        return _text(self.cell(row, name))

    def problem(self, row: Row, name: str, message: StrOrPromise) -> None:
        # A message may quote a cell (an unknown village code): when a NIK sits in the wrong
        # column, it must not reach the pages, the API or the stored preview whole.
        row.problems.append(mask_sensitive(f"{self.labels[name]}: {message}"))

    def prepare(self, rows: list[Row]) -> None:
        codes = {normalize_code(self.text(r, "village_code")) for r in rows} - {None, ""}
        found: dict[str, Region] = {}
        ordered = sorted(c for c in codes if c)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            for region in Region.objects.filter(code__in=chunk).only("code", "name", "level", "kind"):
                found[region.code] = region
        self.villages = found

    def village(self, row: Row, *, required: bool) -> Region | None:
        raw = self.text(row, "village_code")
        if not raw:
            if required:
                self.problem(row, "village_code", _("Give the village code."))
            return None
        code = normalize_code(raw)
        region = self.villages.get(code or "")
        if region is None:
            self.problem(row, "village_code", _("Unknown village code %(code)s.") % {"code": raw[:20]})
            return None
        if region.level != 4:
            self.problem(
                row,
                "village_code",
                _("%(code)s is not a village: give the code of a desa/kelurahan (10 digits).")
                % {"code": region.code},
            )
            return None
        return region

    def short_text(self, row: Row, name: str, limit: int) -> str:
        text = self.text(row, name)
        if len(text) > limit:
            self.problem(row, name, _("At most %(n)s characters.") % {"n": limit})
        return text

    def validated(self, row: Row, name: str, clean: Callable[[str], str]) -> str:
        try:
            return clean(self.text(row, name))
        except DomainError as exc:
            self.problem(row, name, exc.message)
            return ""

    def check(self, row: Row) -> None:
        raise NotImplementedError

    def classify(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def sample(self, row: Row) -> dict[str, str]:
        values = {name: mask_sensitive(self.text(row, name)[:60]) for name in self.mapping}
        if "nik" in values:
            values["nik"] = mask_nik(values["nik"])
        return values


class _MemberChecker(_Checker):
    kind = ImportKind.MEMBERS
    fields = ("full_name", "phone", "village_id", "joined_on", "status")

    def __init__(self, job: ImportJob):
        super().__init__(job)
        if job.cooperative is None:
            raise v.invalid("cooperative", _("Choose the cooperative whose members you import."))
        self.cooperative: Cooperative = job.cooperative
        self.seen: dict[str, int] = {}
        self.today = timezone.localdate()

    def check(self, row: Row) -> None:
        values = row.values
        nik = self.validated(row, "nik", v.clean_nik)
        if nik:
            if nik == EXAMPLE_NIK:
                row.problems.append(_("This is the template's example row: delete it or replace it."))
            elif nik in self.seen:
                self.problem(row, "nik", _("The same NIK is on row %(row)s.") % {"row": self.seen[nik]})
            else:
                self.seen[nik] = row.number
        values["nik"] = nik
        name = self.short_text(row, "full_name", 150)
        if not name:
            self.problem(row, "full_name", _("A member needs a name."))
        values["full_name"] = name
        values["phone"] = self.validated(row, "phone", v.clean_phone)
        village = self.village(row, required=False)
        values["village_id"] = village.code if village else None
        values["joined_on"] = None
        raw_date = self.cell(row, "joined_on")
        if _text(raw_date):
            try:
                joined = parse_date(raw_date)
            except (ValueError, OverflowError):
                self.problem(row, "joined_on", _("Write the date as 2026-01-31 or 31/01/2026."))
            else:
                if joined > self.today:
                    self.problem(row, "joined_on", _("The date cannot be in the future."))
                values["joined_on"] = joined
        values["status"] = None
        raw_status = self.text(row, "status")
        if raw_status:
            status = _MEMBER_STATUS.get(_norm(raw_status))
            if status is None:
                self.problem(
                    row, "status", _("Write aktif, keluar or meninggal (active, resigned, deceased).")
                )
            values["status"] = status

    def classify(self, rows: list[Row]) -> None:
        existing = {
            m.nik: m
            for m in Member.objects.filter(cooperative_id=self.cooperative.pk).only(
                "id", "nik", "full_name", "phone", "village_id", "joined_on", "status", "status_changed_on"
            )
        }
        for row in rows:
            if not row.good:
                row.action = ERROR
                continue
            member = existing.get(row.values["nik"])
            if member is None:
                row.action, row.target = NEW, None
                continue
            given = {k: val for k, val in row.values.items() if k in self.fields and val not in (None, "")}
            row.changes = [k for k, val in given.items() if getattr(member, k) != val]
            row.action, row.target = (UPDATE if row.changes else UNCHANGED), member


class _CooperativeChecker(_Checker):
    kind = ImportKind.COOPERATIVES
    fields = ("name", "scheme", "npwp", "nib", "phone", "address", "registration_number")

    def __init__(self, job: ImportJob):
        super().__init__(job)
        if job.region is None:
            raise v.invalid("region", _("Choose the region whose cooperatives you import."))
        self.region: Region = job.region
        self.seen: dict[str, int] = {}

    def check(self, row: Row) -> None:
        values = row.values
        village = self.village(row, required=True)
        if village is not None:
            if not within(village.code, self.region.code):
                self.problem(
                    row,
                    "village_code",
                    _("%(village)s is outside %(region)s.")
                    % {"village": village.name, "region": self.region.name},
                )
            elif village.code in self.seen:
                self.problem(
                    row,
                    "village_code",
                    _("The same village is on row %(row)s.") % {"row": self.seen[village.code]},
                )
            else:
                self.seen[village.code] = row.number
        values["village"] = village
        values["name"] = self.short_text(row, "name", 200)
        if values["name"] == EXAMPLE_COOPERATIVE:
            row.problems.append(_("This is the template's example row: delete it or replace it."))
        values["scheme"] = ""
        raw_scheme = self.text(row, "scheme")
        if raw_scheme:
            scheme = _SCHEME.get(_norm(raw_scheme))
            if scheme is None:
                self.problem(
                    row, "scheme", _("Write baru, pengembangan or revitalisasi (new, develop, revitalize).")
                )
            values["scheme"] = scheme or ""
        values["npwp"] = self.validated(row, "npwp", v.clean_npwp)
        values["nib"] = self.validated(row, "nib", v.clean_nib)
        values["phone"] = self.validated(row, "phone", v.clean_phone)
        values["address"] = self.short_text(row, "address", 255)
        values["registration_number"] = self.short_text(row, "registration_number", 40)

    def classify(self, rows: list[Row]) -> None:
        codes = sorted({r.values["village"].code for r in rows if r.good})
        claimed: dict[str, CooperativeVillage] = {}
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            for found in CooperativeVillage.objects.filter(village_id__in=chunk).select_related(
                "cooperative"
            ):
                claimed[found.village_id] = found
        for row in rows:
            if not row.good:
                row.action = ERROR
                continue
            claim = claimed.get(row.values["village"].code)
            if claim is None:
                row.action, row.target = NEW, None
                continue
            if not claim.is_seat:
                self.problem(
                    row,
                    "village_code",
                    _("This village is served by %(name)s.") % {"name": claim.cooperative.name},
                )
                row.action = ERROR
                continue
            cooperative = claim.cooperative
            given = {k: val for k, val in row.values.items() if k in self.fields and val}
            row.changes = [k for k, val in given.items() if getattr(cooperative, k) != val]
            row.action, row.target = (UPDATE if row.changes else UNCHANGED), cooperative


_CHECKERS: dict[str, type[_Checker]] = {
    ImportKind.MEMBERS: _MemberChecker,
    ImportKind.COOPERATIVES: _CooperativeChecker,
}


def check_rows(
    job: ImportJob, table: Table, *, progress: Callable[[int], None] | None = None
) -> tuple[_Checker, list[Row]]:
    """Check every row on its own (no comparison with stored data yet)."""
    checker = _CHECKERS[job.kind](job)
    rows = [Row(number, cells) for number, cells in table.rows]
    checker.prepare(rows)
    for index, row in enumerate(rows, start=1):
        checker.check(row)
        if progress is not None and index % PROGRESS_STEP == 0:
            progress(index)
    return checker, rows


def _counts(rows: list[Row]) -> dict[str, int]:
    counted = Counter(r.action for r in rows)
    return {key: counted.get(key, 0) for key in (NEW, UPDATE, UNCHANGED, ERROR)}


def _problems(rows: list[Row]) -> list[dict[str, Any]]:
    return [{"row": r.number, "problems": r.problems} for r in rows if r.problems][:PREVIEW_PROBLEMS]


def error_sheet(headers: list[str], rows: list[Row]) -> bytes:
    """The rows with problems, as uploaded, with their row number and problems: to fix and upload."""
    width = len(headers)
    body = []
    for row in rows:
        if row.problems:
            cells: list[str | int] = [_text(c) if not isinstance(c, str) else c for c in row.cells]
            cells += [""] * (width - len(cells))
            body.append([*cells, row.number, "; ".join(row.problems)])
    return xlsx_sheet(_("Problems"), [*headers, _("Row"), _("Problem")], body, wide_last=True)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xlsx_sheet(
    title: str, header: list[str], rows: list[list[str | int]], *, wide_last: bool = False
) -> bytes:
    """An XLSX of one sheet: a bold, frozen header row, then the cells as typed.

    Written with XlsxWriter, which streams a 10,000-row sheet in a fraction of a second (openpyxl,
    without lxml, writes about 1,500 rows a second). Strings stay strings: nothing that starts
    with "=" becomes a formula, nothing that looks like a number or a link is converted.
    """
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1")
    columns = max([len(header), *(len(r) for r in rows)])
    sheet.set_column(0, max(columns - 1, 0), 18)
    if wide_last and columns > 1:
        sheet.set_column(columns - 1, columns - 1, 70)
    sheet.write_row(0, 0, header, workbook.add_format({"bold": True}))
    sheet.freeze_panes(1, 0)
    for number, values in enumerate(rows, start=1):
        sheet.write_row(number, 0, [_XML_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in values])
    workbook.close()
    return out.getvalue()


def _save_error_sheet(job: ImportJob, headers: list[str], rows: list[Row]) -> None:
    if job.errors_file:
        job.errors_file.delete(save=False)
    if any(r.problems for r in rows):
        job.errors_file.save(
            f"import-{job.pk}-problems.xlsx", ContentFile(error_sheet(headers, rows)), save=False
        )


# --- Access -------------------------------------------------------------------------------------


def _target(job: ImportJob) -> Cooperative | Region | None:
    return job.cooperative if job.kind == ImportKind.MEMBERS else job.region


def _require_job(user, job: ImportJob) -> None:
    require(user, "cooperatives.import.view", job)


STALLED_AFTER = dt.timedelta(minutes=15)


def imports_reap_stalled(*, now: dt.datetime | None = None) -> int:
    """Mark as failed the imports whose worker died mid-run (no progress for 15 minutes).

    Their rows were written in one transaction that never committed, so nothing was saved.
    Run by `manage.py reap_imports` (cron) and whenever an import is looked at.
    """
    now = now or timezone.now()
    return ImportJob.objects.filter(status=ImportStatus.RUNNING, heartbeat_at__lt=now - STALLED_AFTER).update(
        status=ImportStatus.FAILED,
        message=gettext("The import stopped unexpectedly (its worker ended): nothing was saved. Try again."),
        finished_at=now,
    )


def import_get(*, user, pk: int) -> ImportJob:
    """One import, for its creator or an admin of its region."""
    imports_reap_stalled()
    job = ImportJob.objects.select_related("cooperative", "region", "created_by").filter(pk=pk).first()
    if job is None:
        raise NotFound(_("This import does not exist."), code="unknown_import")
    _require_job(user, job)
    return job


def import_list(*, user) -> QuerySet[ImportJob]:
    """Imports the user started, and those of the regions they administer."""
    qs = ImportJob.objects.select_related("cooperative", "region", "created_by")
    prefixes = admin_prefixes(user)
    if "" in prefixes:
        return qs
    q = Q(created_by_id=user.pk)
    for prefix in prefixes:
        for path in ("cooperative__village__code", "region__code"):
            q |= Q(**{path: prefix}) | Q(**{f"{path}__startswith": prefix + "."})
    return qs.filter(q)


def import_error_file(*, user, pk: int):
    """The error sheet of an import (a stored file), for those who may see the import."""
    job = import_get(user=user, pk=pk)
    if not job.errors_file:
        raise NotFound(_("This import has no rows with problems."), code="no_error_sheet")
    return job


def member_import_cooperatives(*, user) -> QuerySet[Cooperative]:
    """Cooperatives whose members the user runs (officers): where they may start a member import."""
    return Cooperative.objects.filter(organization_id__in=org_ids(user, *MANAGING)).order_by("name")


def may_import_cooperatives(user) -> bool:
    return bool(admin_prefixes(user))


def home_region(user) -> Region | None:
    """The region an admin administers (the first one): where a cooperatives import starts."""
    prefixes = [p for p in admin_prefixes(user) if p]
    return Region.objects.filter(code=prefixes[0]).first() if prefixes else None


# --- Writes -------------------------------------------------------------------------------------


def _store_table(job: ImportJob, table: Table) -> None:
    """Keep the rows as read beside the file, so that the task need not parse the spreadsheet again.

    Reading an XLSX costs about a second per 10,000 rows with openpyxl; loading this copy costs a
    few milliseconds. It is deleted when the import ends (the uploaded file stays).
    """
    rows = [
        (number, [c if isinstance(c, str | int | float) or c is None else _text(c) for c in cells])
        for number, cells in table.rows
    ]
    payload = json.dumps({"headers": table.headers, "rows": rows}, separators=(",", ":"))
    name = job.file.storage.save(f"{job.file.name}.rows.json", ContentFile(payload.encode()))
    job.preview = {"headers": _shown_headers(table), "rows_file": name}
    job.total_rows = len(table.rows)


def _shown_headers(table: Table) -> list[str]:
    """Headers as pages and the API show them: a file without a header row has data there."""
    return [mask_sensitive(h) for h in table.headers]


def _read_job_file(job: ImportJob) -> Table:
    rows_file = (job.preview or {}).get("rows_file")
    storage = job.file.storage
    if rows_file and storage.exists(rows_file):
        with storage.open(rows_file, "rb") as handle:
            payload = json.loads(handle.read())
        return Table(payload["headers"], [(number, cells) for number, cells in payload["rows"]])
    with job.file.open("rb") as handle:
        data = handle.read()
    return read_table(data, job.original_name)


def _drop_rows_file(job: ImportJob) -> None:
    rows_file = (job.preview or {}).pop("rows_file", None)
    if rows_file:
        job.file.storage.delete(rows_file)


def _preview(job: ImportJob, table: Table) -> None:
    checker, rows = check_rows(job, table)
    checker.classify(rows)
    counts = _counts(rows)
    earlier = (
        ImportJob.objects.filter(
            file_sha256=job.file_sha256,
            kind=job.kind,
            cooperative=job.cooperative,
            region=job.region,
            status=ImportStatus.DONE,
        )
        .exclude(pk=job.pk)
        .order_by("-finished_at")
        .first()
    )
    job.preview = {
        "headers": _shown_headers(table),
        "rows_file": (job.preview or {}).get("rows_file"),
        "counts": counts,
        "problems": _problems(rows),
        "problem_rows": counts[ERROR],
        "updates": [{"row": r.number, "fields": r.changes} for r in rows if r.action == UPDATE][
            :PREVIEW_PROBLEMS
        ],
        "sample": [checker.sample(r) for r in rows[:SAMPLE_ROWS]],
        "checked_at": timezone.now().isoformat(),
        "already_imported": (
            {"job": earlier.pk, "at": earlier.finished_at.isoformat() if earlier.finished_at else None}
            if earlier
            else None
        ),
    }
    job.total_rows = len(rows)
    job.processed_rows = 0
    job.error_count = counts[ERROR]
    job.status = ImportStatus.PREVIEWED
    _save_error_sheet(job, table.headers, rows)


def import_upload(
    *, actor, kind: str, file, cooperative: Cooperative | None = None, region: Region | None = None
) -> ImportJob:
    """Store an uploaded spreadsheet, map its columns by their headers and check it when it can."""
    fields_for(kind)
    if kind == ImportKind.MEMBERS:
        if cooperative is None:
            raise v.invalid("cooperative", _("Choose the cooperative whose members you import."))
        require(actor, ACTIONS[ImportKind.MEMBERS], cooperative)
        region = None
    else:
        if region is None:
            raise v.invalid("region", _("Choose the region whose cooperatives you import."))
        require(actor, ACTIONS[ImportKind.COOPERATIVES], region)
        cooperative = None
    name = mask_sensitive((getattr(file, "name", "") or "").rsplit("/", 1)[-1][:255]) or "import"
    data = read_upload(file)
    table = read_table(data, name)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            created_by=actor,
            cooperative=cooperative,
            region=region,
            original_name=name,
            file_sha256=digest,
        )
        extension = _extension(name) if _extension(name) in ("csv", "xlsx") else "csv"
        job.file.save(f"import-{digest[:16]}.{extension}", ContentFile(data), save=False)
        job.mapping = auto_map(kind, table.headers)
        _store_table(job, table)
        job.save()
        if not missing_fields(kind, job.mapping):
            _preview(job, table)
            job.save()
    logger.info("import %s uploaded: %s, %s rows", job.pk, kind, job.total_rows)
    return job


def _editable(job: ImportJob) -> None:
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED, ImportStatus.FAILED):
        raise Conflict(_("This import has already started."), code="import_started")


def _resolve_column(value: Any, headers: list[str]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < len(headers) else -1
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return _resolve_column(int(text), headers)
    for index, header in enumerate(headers):
        if header == text:
            return index
    for index, header in enumerate(headers):
        if _norm(header) == _norm(text):
            return index
    return -1


def import_set_mapping(*, actor, job: ImportJob, mapping: dict[str, Any]) -> ImportJob:
    """Say which column holds which field (by column number or header), then check the rows again."""
    _require_job(actor, job)
    _editable(job)
    known = {f.name: f for f in fields_for(job.kind)}
    headers: list[str] = list((job.preview or {}).get("headers") or [])
    unknown = sorted(set(mapping) - set(known))
    if unknown:
        raise DomainError(
            _("Unknown fields: %(f)s") % {"f": ", ".join(unknown)},
            code="unknown_field",
            fields={name: [_("Unknown field.")] for name in unknown},
        )
    resolved: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for name, value in mapping.items():
        index = _resolve_column(value, headers)
        if index is None:
            continue
        if index < 0:
            errors[name] = [_("There is no such column in the file.")]
        elif index in resolved.values():
            errors[name] = [_("This column is already used for another field.")]
        else:
            resolved[name] = index
    for name in missing_fields(job.kind, resolved):
        errors.setdefault(name, [_("Choose the column that holds this.")])
    if errors:
        raise DomainError(_("Check the columns."), code="invalid_mapping", fields=errors)
    table = _read_job_file(job)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        _editable(job)
        job.mapping = resolved
        _preview(job, table)
        job.message = ""
        job.save()
    return import_get(user=actor, pk=job.pk)


def import_check(*, actor, job: ImportJob) -> ImportJob:
    """Check the rows again (the stored data may have changed since the last check)."""
    return import_set_mapping(actor=actor, job=job, mapping=dict(job.mapping or {}))


def import_confirm(*, actor, job: ImportJob, good_rows_only: bool = False) -> ImportJob:
    """Queue the import: all rows (nothing if one has a problem) or only the good rows."""
    from .tasks import import_run

    _require_job(actor, job)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (ImportStatus.PREVIEWED, ImportStatus.FAILED):
            if job.status == ImportStatus.UPLOADED:
                raise Conflict(_("Choose the columns first."), code="mapping_incomplete")
            raise Conflict(_("This import has already started."), code="import_started")
        job.status = ImportStatus.QUEUED
        job.good_rows_only = bool(good_rows_only)
        job.processed_rows = 0
        job.created_count = job.updated_count = job.unchanged_count = 0
        job.message = ""
        job.finished_at = None
        job.preview = {
            **(job.preview or {}),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        }
        job.save()
        job_id = job.pk
        logger.info("import %s queued (good rows only: %s)", job_id, job.good_rows_only)
        transaction.on_commit(lambda: import_run.enqueue(job_id))
    return job


class _Rollback(Exception):
    """Leave the import's transaction without writing anything."""


def _write_members(job: ImportJob, checker: _Checker, rows: list[Row]) -> tuple[int, int]:
    cooperative = Cooperative.objects.select_for_update().get(pk=checker.job.cooperative_id or 0)
    before = cooperative_measures(cooperative=cooperative)
    today = timezone.localdate()
    new = [
        Member(
            cooperative=cooperative,
            nik=r.values["nik"],
            full_name=r.values["full_name"],
            phone=r.values["phone"] or "",
            village_id=r.values["village_id"] or cooperative.village_id,
            joined_on=r.values["joined_on"] or today,
            status=r.values["status"] or MemberStatus.ACTIVE,
        )
        for r in rows
        if r.action == NEW
    ]
    changed = []
    for r in rows:
        if r.action != UPDATE:
            continue
        member = r.target
        if "status" in r.changes:
            member.status_changed_on = today
        for key in r.changes:
            setattr(member, key, r.values[key])
        changed.append(member)
    Member.objects.bulk_create(new, batch_size=500)
    if changed:
        Member.objects.bulk_update(
            changed,
            ["full_name", "phone", "village_id", "joined_on", "status", "status_changed_on"],
            batch_size=500,
        )
    services.announce(cooperative, before)
    return len(new), len(changed)


_COOPERATIVE_IDENTITY = ("npwp", "nib", "phone", "address", "registration_number")


def _write_cooperatives(job: ImportJob, checker: _Checker, rows: list[Row]) -> tuple[int, int]:
    actor = job.created_by
    created = updated = 0
    for row in rows:
        if row.action not in (NEW, UPDATE):
            continue
        try:
            with transaction.atomic():
                if row.action == NEW:
                    identity = {k: row.values[k] for k in _COOPERATIVE_IDENTITY if row.values[k]}
                    services.cooperative_create(
                        actor=actor,
                        village=row.values["village"],
                        name=row.values["name"],
                        scheme=row.values["scheme"] or Scheme.NEW,
                        **identity,
                    )
                    created += 1
                else:
                    services.cooperative_update(
                        actor=actor, cooperative=row.target, **{k: row.values[k] for k in row.changes}
                    )
                    updated += 1
        except DomainError as exc:
            row.problems.append(str(exc.message))
            row.action = ERROR
    return created, updated


def _progress(job_id: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        # Committed at once (outside any transaction), so the polling page sees it.
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, heartbeat_at=timezone.now())

    return report


def import_execute(*, job_id: int) -> ImportJob | None:
    """The body of the `import_run` task: check every row again, then write the good rows."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, processed_rows=0, heartbeat_at=timezone.now()
    )
    job = ImportJob.objects.select_related("cooperative", "region", "created_by").filter(pk=job_id).first()
    if job is None or not claimed:
        # Gone, or another worker has it (a task delivered twice runs once).
        return job
    language = (job.preview or {}).get("language") or settings.LANGUAGE_CODE
    with channel("task"), translation.override(language):
        try:
            _execute(job)
        except PolicyDenied:
            _fail(job, _("You may no longer import here: nothing was saved."))
        except DomainError as exc:
            _fail(job, str(exc.message))
        except Exception as exc:  # the job must end "failed", never stay "running"
            # The message of a database error can quote a row's values (a NIK): mask it.
            logger.error(
                "import %s failed: %s: %s", job_id, type(exc).__name__, mask_sensitive(str(exc))[:300]
            )
            _fail(job, _("The import stopped on an unexpected error: nothing was saved. Try again later."))
    job.refresh_from_db()
    return job


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, message=message, finished_at=timezone.now()
    )


def _execute(job: ImportJob) -> None:
    actor = job.created_by
    require(actor, ACTIONS[ImportKind(job.kind)], _target(job))
    table = _read_job_file(job)
    total = len(table.rows)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=total)
    checker, rows = check_rows(job, table, progress=_progress(job.pk))
    _progress(job.pk)(len(rows))  # every row checked: what remains is the write
    writer = _write_members if job.kind == ImportKind.MEMBERS else _write_cooperatives
    try:
        with transaction.atomic():
            checker.classify(rows)
            counts = _counts(rows)
            if counts[ERROR] and not job.good_rows_only:
                raise _Rollback
            created, updated = writer(job, checker, rows)
            counts = _counts(rows)
            if counts[ERROR] and not job.good_rows_only:
                raise _Rollback  # a row refused while writing (the data changed meanwhile)
            audit_record(
                actor=actor,
                action=ACTIONS[ImportKind(job.kind)],
                obj=_target(job),
                changes={
                    "import": job.pk,
                    "file": job.original_name,
                    "created": created,
                    "updated": updated,
                    "unchanged": counts[UNCHANGED],
                    "errors": counts[ERROR],
                },
            )
            _finish(job, table, rows, status=ImportStatus.DONE, created=created, updated=updated)
            message = ""
            if counts[ERROR]:
                message = ngettext(
                    "%(n)s row with a problem was left out: download it, fix it and upload it again.",
                    "%(n)s rows with problems were left out: download them, fix them and upload them again.",
                    counts[ERROR],
                ) % {"n": counts[ERROR]}
            job.message = message
            job.save()
    except _Rollback:
        counts = _counts(rows)
        _finish(job, table, rows, status=ImportStatus.FAILED, created=0, updated=0)
        job.unchanged_count = 0
        job.message = ngettext(
            "Nothing was imported: %(n)s row has a problem. Fix it and upload the file again, "
            "or import the good rows only.",
            "Nothing was imported: %(n)s rows have problems. Fix them and upload the file again, "
            "or import the good rows only.",
            counts[ERROR],
        ) % {"n": counts[ERROR]}
        job.save()
    logger.info(
        "import %s %s: %s created, %s updated, %s unchanged, %s errors",
        job.pk,
        job.status,
        job.created_count,
        job.updated_count,
        job.unchanged_count,
        job.error_count,
    )


def _finish(
    job: ImportJob, table: Table, rows: list[Row], *, status: str, created: int, updated: int
) -> None:
    counts = _counts(rows)
    job.status = status
    job.total_rows = job.processed_rows = len(rows)
    job.created_count, job.updated_count = created, updated
    job.unchanged_count = counts[UNCHANGED]
    job.error_count = counts[ERROR]
    job.finished_at = timezone.now()
    job.preview = {**(job.preview or {}), "problems": _problems(rows), "problem_rows": counts[ERROR]}
    _save_error_sheet(job, table.headers, rows)
    if status == ImportStatus.DONE:
        _drop_rows_file(job)  # a failed import keeps it, to import its good rows next


# --- The downloadable template ------------------------------------------------------------------


def template_workbook(kind: str) -> bytes:
    """An XLSX with the expected headers, one example row and a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    fields = fields_for(kind)
    book = Workbook()
    sheet = book.create_sheet(str(ImportKind(kind).label), 0)
    book.remove(book.worksheets[1])
    sheet.append([f.header for f in fields])
    sheet.append([f.example for f in fields])
    for index, f in enumerate(fields, start=1):
        letter = column_letter(index - 1)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        # Text columns: a spreadsheet would round a 16-digit NIK and drop a phone's leading zero.
        sheet.column_dimensions[letter].number_format = "@"
        sheet.cell(row=2, column=index).number_format = "@"
        sheet.column_dimensions[letter].width = max(14, len(f.header) + 4)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(_("Instructions"))
    notes.append([_("Column"), _("Required"), _("What to write")])
    for f in fields:
        notes.append([f.header, _("yes") if f.required else _("no"), f"{f.label}. {f.help}".strip()])
    notes.append([])
    notes.append([_("Replace the example row with your own data.")])
    notes.append([_("Other headers work too: you match them to the fields after uploading.")])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["C"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
