"""The coverage table as an Excel workbook (openpyxl): the same rows and numbers as the page."""

from __future__ import annotations

import re
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .measures import COLUMNS
from .selectors import Coverage, CoverageRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _label(column) -> str:
    return f"{column.group}: {column.label}" if column.group else str(column.label)


def _values(row: CoverageRow, with_cooperative: bool) -> list:
    values: list = [row.code or "—", row.name]
    if with_cooperative:
        coop = row.cooperative
        values += [coop.name if coop else "", coop.stage_label if coop else ""]
    return [*values, row.villages, row.covered, round(row.percent / 100, 4), *row.counts]


def coverage_workbook(coverage: Coverage) -> bytes:
    """One sheet: a header row, a row for each child region, then the region's totals."""
    with_cooperative = coverage.level == 3
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    name = coverage.region.name if coverage.region else "Indonesia"
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", name)[:31]
    header = [_("Code"), _("Region")]
    if with_cooperative:
        header += [_("Cooperative"), _("Stage")]
    header += [_label(c) for c in COLUMNS]
    sheet.append(header)
    for row in coverage.children:
        sheet.append(_values(row, with_cooperative))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                # A name typed as "=…" stays text: a spreadsheet must never run what a user wrote.
                cell.data_type = "s"
    total = coverage.total
    totals: list = [total.code or "—", _("Total: %(region)s") % {"region": name}]
    totals += ["", ""] if with_cooperative else []
    sheet.append([*totals, total.villages, total.covered, round(total.percent / 100, 4), *total.counts])
    last = sheet.max_row
    percent_column = header.index(_label(COLUMNS[2])) + 1
    for cells in sheet.iter_rows(min_row=2, min_col=percent_column, max_col=percent_column):
        cells[0].number_format = "0.0%"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[last]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["B"].width = 32
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
