"""Turning an uploaded file into a header and rows of text, whatever wrote it.

CRM and spreadsheet exports differ in ways that must not cost a row: UTF-8 with or without a
byte-order mark or Windows-1252 (Excel's "CSV" on Windows), comma, semicolon (European Excel) or
tab delimiters, CRLF line endings, a trailing empty column on every line, and XLSX workbooks.

Files are also read as if written by someone hostile: a CSV cell may be as long as the upload
allows, and a workbook of a few kilobytes may claim a million rows of 16,384 columns. A sheet is
refused by its declared size before a row is read and, since writers may leave the size out or
get it wrong, again when its header is wider than ``MAX_COLUMNS`` or as soon as its rows pass
``MAX_ROWS``; cells past column ``MAX_COLUMNS + 1`` are not read.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import tabular
from leads.exceptions import ImportFileError
from leads.imports.forms import MAX_UPLOAD_MB

XLSX_MAGIC = b"PK\x03\x04"
FIRST_LINE_END = re.compile(r"\r\n?|\n")

# A cell may be as long as an upload (the csv module's default stops at 131,072 characters).
csv.field_size_limit(MAX_UPLOAD_MB * 1024 * 1024)

# The largest sheet read: rows below the header (blank ones count, as they cost reading too)
# and columns. Excel itself stops at 1,048,576 rows and 16,384 columns.
MAX_ROWS = 1_000_000
MAX_COLUMNS = 500


@dataclass
class Table:
    """A file's header and an iterator over its data rows (lists of stripped text cells).

    Rows are padded or cut to the header's width only by the caller; a row longer than the
    header is kept whole so the extra cells can be reported."""

    header: list[str]
    rows: Iterator[list[str]]
    encoding: str
    delimiter: str
    kind: str  # "csv" or "xlsx"


def decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and its encoding (tabular.decode), or ImportFileError saying why not."""
    try:
        return tabular.decode(data)
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is neither UTF-8 nor Windows-1252 text (byte {error.start + 1} cannot be read). "
            "Save it as CSV UTF-8 and upload it again."
        ) from error


def sniff_delimiter(first_line: str) -> str:
    """The delimiter of the header line (tabular.sniff_delimiter; anything but a comma,
    semicolon or tab is read as one column and fails layout detection)."""
    try:
        return tabular.sniff_delimiter(first_line)
    except csv.Error as error:
        raise ImportFileError(f"The header line cannot be read as CSV: {error}.") from error


def _trim_header(header: list[str]) -> list[str]:
    """The header without the empty columns a trailing delimiter leaves at its end."""
    header = [cell.strip() for cell in header]
    while header and not header[-1]:
        header.pop()
    return header


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise ImportFileError("The file is empty.")
    # Old Mac Excel ends lines with CR alone; the csv module refuses a CR inside one line.
    first_line = FIRST_LINE_END.split(text, maxsplit=1)[0]
    delimiter = sniff_delimiter(first_line)
    # newline="" keeps quoted line breaks inside a cell; csv handles CRLF, LF and CR itself.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = _trim_header(next(reader))
    except csv.Error as error:
        raise ImportFileError(f"The header line cannot be read as CSV: {error}.") from error
    if not any(header):
        raise ImportFileError("The first line, which should name the columns, is empty.")
    return Table(header=header, rows=_csv_rows(reader), encoding=encoding, delimiter=delimiter, kind="csv")


def _csv_rows(reader) -> Iterator[list[str]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a NUL byte; the row is reported, not skipped
            yield [f"\x00{error}"]
            continue
        yield [cell.strip() for cell in row]


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as error:  # openpyxl raises a zoo of types for a damaged workbook
        raise ImportFileError(f"The workbook cannot be opened: {error}.") from error
    # The size the sheet declares (<dimension ref="A1:XFD1048576"/>) is read without reading a
    # row. When it is absent or wrong (some writers put just "A1"), openpyxl would stop at the
    # declared last row, so it is forgotten and the rows are counted while they stream.
    declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
    if declared_rows > MAX_ROWS + 1 or declared_columns > MAX_COLUMNS:
        raise _sheet_too_large(f"The sheet declares {declared_rows:,} rows and {declared_columns:,} columns")
    sheet.reset_dimensions()
    # One column more than is read shows a sheet too wide; openpyxl drops the cells beyond it, so
    # a styled but empty cell in column XFD does not make 16,384 values of every row.
    values = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
    try:
        first = next(values)
    except StopIteration:
        raise ImportFileError("The first sheet of the workbook is empty.") from None
    if first[MAX_COLUMNS:] != (None,):
        raise _sheet_too_large(f"The first row names more than {MAX_COLUMNS:,} columns")
    header = _trim_header([_xlsx_text(cell) for cell in first])
    if not any(header):
        raise ImportFileError("The first row of the sheet, which should name the columns, is empty.")
    return Table(header=header, rows=_xlsx_rows(values, len(header)), encoding="xlsx", delimiter="", kind="xlsx")


def _sheet_too_large(what: str) -> ImportFileError:
    return ImportFileError(
        f"{what}; Accord reads at most {MAX_ROWS:,} rows below the header and {MAX_COLUMNS:,} columns. "
        "Split the sheet into several files, or delete the empty rows and columns that make it look larger."
    )


def _xlsx_rows(values, width: int) -> Iterator[list[str]]:
    """The rows below the header as text, ``width`` cells long unless a cell beyond the header
    holds a value (the row is then kept up to its last value, so the extra cells are reported).
    Emptiness is counted in C, not cell by cell: every row arrives MAX_COLUMNS + 1 wide, and
    openpyxl hands out one and the same tuple for each row missing from the file."""
    blank = None
    for count, row in enumerate(values, start=1):
        if count > MAX_ROWS:
            raise _sheet_too_large(f"The sheet has more than {MAX_ROWS:,} rows below its header")
        if row is blank or row.count(None) == len(row):
            blank = row
            yield []
            continue
        if row[width:].count(None) == len(row) - width:
            row = row[:width]
        else:
            end = len(row)
            while row[end - 1] is None:
                end -= 1
            row = row[:end]
        yield [_xlsx_text(cell) for cell in row]


def _xlsx_text(cell) -> str:
    """A cell as the text a CSV export of it would hold; dates keep their ISO form and whole
    numbers lose Excel's trailing ".0"."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if hasattr(cell, "isoformat"):
        return cell.isoformat()
    return str(cell).strip()


def data_rows(table: Table) -> Iterator[tuple[int, list[str]]]:
    """(number, cells) of each data row; blank lines are no rows, so the numbers count data
    rows from 1 as a person counts them below the header."""
    number = 0
    for cells in table.rows:
        if any(cells):
            number += 1
            yield number, cells


def read_table(data: bytes, file_name: str = "") -> Table:
    """The table in ``data``: an XLSX workbook (recognised by content, not name) or CSV text.
    Raises ImportFileError with a message for the person who uploaded it."""
    if data.startswith(XLSX_MAGIC):
        return read_xlsx(data)
    if file_name.lower().endswith((".xlsx", ".xls")):
        raise ImportFileError("The file is named like a workbook but is not an XLSX file. Save it as .xlsx or CSV.")
    return read_csv(data)
