"""Cells a spreadsheet must not run (OWASP "CSV injection"): a resident's description that
begins with =, +, -, @, a tab or a carriage return would be a formula to Excel or LibreOffice
when a desk officer opens the export, and a formula can fetch a URL or run a command.

CSV gets a quote in front of such a cell, as OWASP advises; the workbook stores the text as text
with Excel's own quote prefix (what typing ' before it does), so it shows as written and never
runs. Numbers stay numbers.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def dangerous(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    return "'" + value if dangerous(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Appends a row in which no text is taken for a formula."""
    values = list(values)
    sheet.append(values)
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if dangerous(value):
            cell = sheet.cell(row=row, column=column)
            cell.data_type = "s"  # openpyxl took "=..." for a formula: it is text
            cell.quotePrefix = True
