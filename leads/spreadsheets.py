"""Writing tables that people open in Excel, LibreOffice or Google Sheets without harm.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return as a
formula, so every text cell that does is written with a leading apostrophe (the spreadsheet's
own "this is text" mark; Accord's importer takes it off again). XLSX cannot hold most control
characters at all; they are replaced with U+FFFD. CSV is written as UTF-8 with a byte-order
mark, which Excel needs to read non-ASCII text correctly.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value) -> str:
    """``value`` as CSV text that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return f"'{text}"
    return text


def _xlsx_value(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall-clock time, to the second like the CSV.
        local = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return local.replace(microsecond=0)
    if isinstance(value, date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", safe_text(value))


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
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(rows: Iterable[Iterable], filename: str, title: str = "Sheet1") -> HttpResponse:
    response = HttpResponse(xlsx_bytes(rows, title), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
