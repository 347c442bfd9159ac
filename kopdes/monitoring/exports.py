"""The coverage table as an Excel workbook (openpyxl): the same rows and numbers as the page."""

from __future__ import annotations

import datetime as dt
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


# --- The dashboard's tables (xlsxwriter: written straight to bytes, one sheet per table) --------


def dashboard_workbook(dashboard) -> bytes:
    """The dashboard's tables: key figures, funnel, sales by month, featured board, child regions.

    Names are written with `write_string`, so a region or cooperative name typed as "=…" stays text.
    """
    import xlsxwriter

    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    number = book.add_format({"num_format": "#,##0"})
    percent = book.add_format({"num_format": "0.0%"})
    month_format = book.add_format({"num_format": "yyyy-mm"})

    def sheet(title: str, header: list[str], widths: list[int]):
        ws = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31])
        ws.write_row(0, 0, header, bold)
        for column, width in enumerate(widths):
            ws.set_column(column, column, width)
        ws.freeze_panes(1, 0)
        return ws

    def value(ws, row: int, column: int, amount, unit: str = "count") -> None:
        if amount is None:
            ws.write_blank(row, column, None)
        elif unit == "percent":
            ws.write_number(row, column, amount / 100, percent)
        else:
            ws.write_number(row, column, amount, number)

    title = f"{dashboard.name} {dashboard.month:%Y-%m}"
    months = [f"{dashboard.month:%Y-%m}", f"{dashboard.previous_month:%Y-%m}"]
    ws = sheet(_("Key figures"), [_("Figure"), *months, _("Change"), _("Target")], [34, 16, 16, 14, 10])
    for row, figure in enumerate(dashboard.figures, start=1):
        ws.write_string(row, 0, str(figure.label))
        value(ws, row, 1, figure.value, figure.unit)
        value(ws, row, 2, figure.previous, figure.unit)
        value(ws, row, 3, figure.change, figure.unit)
        value(ws, row, 4, figure.target)
    ws.write_string(len(dashboard.figures) + 2, 0, title)

    ws = sheet(_("Formation funnel"), [_("Stage"), _("At this stage"), _("Reached")], [28, 14, 14])
    for row, step in enumerate(dashboard.funnel, start=1):
        ws.write_string(row, 0, str(step.label))
        value(ws, row, 1, step.at_stage)
        value(ws, row, 2, step.reached)

    if dashboard.series:
        ws = sheet(_("Sales by month"), [_("Month"), _("Sales paid (GMV)"), _("Orders placed")], [12, 18, 14])
        for row, point in enumerate(dashboard.series, start=1):
            ws.write_datetime(row, 0, dt.datetime.combine(point.month, dt.time()), month_format)
            value(ws, row, 1, point.gmv_paid)
            value(ws, row, 2, point.orders_created)

    if dashboard.board:
        ws = sheet(_("Featured products"), [_("Region or month"), _("Featured"), _("Target")], [32, 12, 12])
        for row, line in enumerate(dashboard.board, start=1):
            ws.write_string(row, 0, line.label)
            value(ws, row, 1, line.featured)
            value(ws, row, 2, line.target)

    if dashboard.children:
        header = [
            _("Code"),
            _("Region"),
            _("Villages"),
            _("With a cooperative"),
            _("Covered (%)"),
            _("Cooperatives"),
            _("Featured"),
            _("Target"),
            _("Orders placed"),
            _("Sales paid (GMV)"),
            _("Sold to date"),
        ]
        ws = sheet(_("Regions"), header, [16, 32, 10, 12, 12, 12, 10, 10, 12, 16, 16])
        for row, child in enumerate(dashboard.children, start=1):
            ws.write_string(row, 0, child.code)
            ws.write_string(row, 1, child.name)
            value(ws, row, 2, child.villages)
            value(ws, row, 3, child.covered)
            value(ws, row, 4, child.percent, "percent")
            value(ws, row, 5, child.cooperatives)
            value(ws, row, 6, child.featured)
            value(ws, row, 7, child.target)
            value(ws, row, 8, child.orders_created)
            value(ws, row, 9, child.gmv_paid)
            value(ws, row, 10, child.gmv_sold)
    book.close()
    return out.getvalue()
