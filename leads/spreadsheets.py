"""Writing tables that people open in Excel, LibreOffice or Google Sheets without harm.

A spreadsheet opening CSV runs a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or
carriage return as a formula, so in CSV every text cell that does is written with a leading
apostrophe (the spreadsheet's own "this is text" mark; Accord's importer takes it off again).
CSV is written as UTF-8 with a byte-order mark, which Excel needs to read non-ASCII text
correctly.

XLSX says of each cell what it holds, and a cell typed as a string is never run, so text goes
in as it is, without the apostrophe (a phone stays ``+1 555 8466983``). openpyxl would make a
formula of text starting with ``=`` and an error value of ``#N/A``; those cells are typed as
strings explicitly. XLSX cannot hold most control characters at all; they are replaced with
U+FFFD.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

from tabular import guard_formula

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def safe_text(value) -> str:
    """``value`` as CSV text that no spreadsheet runs as a formula."""
    text = _text(value)
    return guard_formula(text) if isinstance(value, str) else text


def _xlsx_value(sheet, value):
    """``value`` as openpyxl writes it into ``sheet``: numbers and dates as they are, anything
    else as text in a cell that is a string whatever the text looks like."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall-clock time, to the second like the CSV.
        local = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return local.replace(microsecond=0)
    if isinstance(value, date):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", _text(value))
    if text.startswith("=") or text in ERROR_CODES:
        # Only these would not be strings; a cell object for every text would cost exports time.
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text of ``rows``, line by line, starting with the byte-order mark."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([safe_text(value) for value in row])


def csv_response(rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_bytes(rows: Iterable[Iterable], title: str = "Sheet1") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_xlsx_value(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(rows: Iterable[Iterable], filename: str, title: str = "Sheet1") -> HttpResponse:
    response = HttpResponse(xlsx_bytes(rows, title), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
