"""Cells a spreadsheet must not run (OWASP "CSV injection"): a resident's description that
begins with =, +, -, @, a tab or a carriage return would be a formula to Excel or LibreOffice
when a desk officer opens the export, and a formula can fetch a URL or run a command.

CSV gets a quote in front of such a cell, as OWASP advises; the workbook stores the text as text
with Excel's own quote prefix (what typing ' before it does), so it shows as written and never
runs. Numbers stay numbers, and times are date cells (`DATE_TIME_FORMAT`).

`finish_table` makes a sheet of rows a table to work in: the header row frozen and bold, a filter
on every column, each column as wide as its contents (within bounds).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Day-month-year, as Indonesian offices write dates (and as the summaries do).
DATE_TIME_FORMAT = "dd-mm-yyyy hh:mm"
DATE_FORMAT = "dd-mm-yyyy"
MIN_WIDTH, MAX_WIDTH = 6, 60


def dangerous(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    return "'" + value if dangerous(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Appends a row in which no text is taken for a formula; a datetime (naive: Excel has no
    time zones) becomes a date cell showing day, month, year and time."""
    values = list(values)
    sheet.append(values)
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if dangerous(value):
            cell = sheet.cell(row=row, column=column)
            cell.data_type = "s"  # openpyxl took "=..." for a formula: it is text
            cell.quotePrefix = True
        elif isinstance(value, date):
            sheet.cell(row=row, column=column).number_format = (
                DATE_TIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT)


def _shown_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len(DATE_TIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    if isinstance(value, float):
        return len(f"{value:.6f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def finish_table(sheet: Worksheet, *, min_width: int = MIN_WIDTH, max_width: int = MAX_WIDTH) -> None:
    """The first row is the header: frozen, bold, with a filter over every column; each column
    fits its longest value (between min_width and max_width characters)."""
    if sheet.max_column < 1 or sheet.cell(row=1, column=1).value is None:
        return
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{max(sheet.max_row, 1)}"
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        # + 2: room for the filter's drop-down arrow beside the header, and a margin.
        width = max((_shown_width(v) for v in column), default=0) + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, min_width), max_width)
