"""Files that would hold a web worker or crash the upload: a workbook that declares a million
rows of 16,384 columns in a few kilobytes, one that leaves its size out or understates it, and a
CSV whose header cell is longer than the csv module reads by default."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from leads.exceptions import ImportFileError
from leads.imports import reading
from leads.imports.reading import MAX_COLUMNS, MAX_ROWS, data_rows, read_table
from leads.models import LeadImport

UPLOAD_URL = "/admin/leads/leadimport/add/"
SHEET = "xl/worksheets/sheet1.xml"
TOO_LARGE = f"Accord reads at most {MAX_ROWS:,} rows below the header and {MAX_COLUMNS:,} columns"


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewritten(data: bytes, *, dimension: str | None = None, rows_xml: str = "") -> bytes:
    """``data`` with its sheet's <dimension> set to ``dimension`` ("" removes it) and
    ``rows_xml`` added at the end of the sheet's rows."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == SHEET:
                xml = content.decode().replace("</sheetData>", f"{rows_xml}</sheetData>")
                if dimension is not None:
                    element = f'<dimension ref="{dimension}"/>' if dimension else ""
                    xml, found = re.subn(r"<dimension [^>]*/>", element, xml)
                    assert found == 1
                content = xml.encode()
            target.writestr(info, content)
    return buffer.getvalue()


def text_cell(reference: str, value: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


LEADS = [["Email", "Name"], ["ada@engines.example", "Ada"]]
# The file: two rows and a last cell at XFD1048576, a few kilobytes zipped.
HOSTILE = rewritten(
    workbook(LEADS),
    dimension="A1:XFD1048576",
    rows_xml=f'<row r="1048576">{text_cell("XFD1048576", "x")}</row>',
)


def rows_of(data: bytes) -> tuple[list[str], list[list[str]]]:
    table = read_table(data, "leads.xlsx")
    return table.header, [cells for _number, cells in data_rows(table)]


# --- XLSX: the declared size ------------------------------------------------------------------


def test_a_sheet_declaring_a_million_rows_of_16384_columns_is_refused_before_a_row_is_read(monkeypatch):
    def no_rows(*args, **kwargs):
        raise AssertionError("the sheet's rows were read")

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", no_rows)
    with pytest.raises(ImportFileError) as refused:
        read_table(HOSTILE, "leads.xlsx")
    assert str(refused.value).startswith("The sheet declares 1,048,576 rows and 16,384 columns; ")
    assert TOO_LARGE in str(refused.value)


@pytest.mark.parametrize(
    "dimension", [f"A1:B{MAX_ROWS + 2}", f"A1:{get_column_letter(MAX_COLUMNS + 1)}2"], ids=["rows", "columns"]
)
def test_a_sheet_declaring_one_row_or_column_too_many_is_refused(dimension):
    with pytest.raises(ImportFileError, match=TOO_LARGE):
        read_table(rewritten(workbook(LEADS), dimension=dimension), "leads.xlsx")


def test_a_sheet_declaring_the_largest_size_read_is_read():
    data = rewritten(workbook(LEADS), dimension=f"A1:{get_column_letter(MAX_COLUMNS)}{MAX_ROWS + 1}")
    assert rows_of(data) == (["Email", "Name"], [["ada@engines.example", "Ada"]])


# --- XLSX: a size that is absent or wrong -----------------------------------------------------


def test_a_sheet_declaring_only_a1_still_gives_every_row():
    data = rewritten(
        workbook([*LEADS, ["grace@navy.example", "Grace"]]),
        dimension="A1",
        rows_xml=f'<row r="4">{text_cell("A4", "alan@bletchley.example")}</row>',
    )
    assert rows_of(data)[1] == [
        ["ada@engines.example", "Ada"],
        ["grace@navy.example", "Grace"],
        ["alan@bletchley.example", ""],
    ]


def test_a_sheet_without_a_size_whose_rows_pass_the_limit_is_refused_while_they_stream():
    far = f'<row r="{MAX_ROWS + 2}">{text_cell(f"A{MAX_ROWS + 2}", "x")}</row>'
    table = read_table(rewritten(workbook(LEADS), dimension="", rows_xml=far), "leads.xlsx")
    with pytest.raises(ImportFileError, match=f"The sheet has more than {MAX_ROWS:,} rows below its header; "):
        for _row in data_rows(table):
            pass


def test_a_sheet_without_a_size_holding_exactly_the_limit_is_read():
    last = f'<row r="{MAX_ROWS + 1}">{text_cell(f"A{MAX_ROWS + 1}", "last@x.example")}</row>'
    rows = rows_of(rewritten(workbook(LEADS), dimension="", rows_xml=last))[1]
    assert rows == [["ada@engines.example", "Ada"], ["last@x.example", ""]]


def test_empty_cells_out_to_column_xfd_are_no_cells_of_the_row():
    styled = "".join(
        f'<row r="{row}">{text_cell(f"A{row}", f"lead{row}@x.example")}<c r="XFD{row}" s="0"/></row>'
        for row in range(3, 6)
    )
    rows = rows_of(rewritten(workbook(LEADS), dimension="", rows_xml=styled))[1]
    assert rows[1:] == [[f"lead{row}@x.example", ""] for row in range(3, 6)]


def test_a_value_beyond_the_header_keeps_the_row_long_enough_to_be_reported():
    extra = f'<row r="3">{text_cell("A3", "grace@navy.example")}{text_cell("E3", "stray")}</row>'
    rows = rows_of(rewritten(workbook(LEADS), dimension="", rows_xml=extra))[1]
    assert rows[1] == ["grace@navy.example", "", "", "", "stray"]


def test_a_header_wider_than_the_limit_is_refused():
    wide = rewritten(workbook([[f"Column {index}" for index in range(MAX_COLUMNS + 1)], ["x"]]), dimension="")
    with pytest.raises(ImportFileError, match=f"The first row names more than {MAX_COLUMNS:,} columns; "):
        read_table(wide, "leads.xlsx")


# --- CSV: a header cell longer than the csv module's default limit ---------------------------

LONG = "x" * 200_000


def test_a_header_cell_of_200000_characters_is_read():
    table = read_table(f"Email,{LONG}\r\nada@engines.example,1\r\n".encode(), "leads.csv")
    assert table.header == ["Email", LONG]
    assert [cells for _number, cells in data_rows(table)] == [["ada@engines.example", "1"]]


def test_a_cell_of_200000_characters_in_a_row_is_read():
    table = read_table(f"Email;Notes\r\nada@engines.example;{LONG}\r\n".encode(), "leads.csv")
    assert [cells for _number, cells in data_rows(table)] == [["ada@engines.example", LONG]]


def test_lines_ended_by_carriage_returns_alone_are_read():
    table = read_table(b"Email;Name\rada@engines.example;Ada\r", "leads.csv")
    assert (table.delimiter, table.header) == (";", ["Email", "Name"])
    assert [cells for _number, cells in data_rows(table)] == [["ada@engines.example", "Ada"]]


def test_a_header_the_csv_module_cannot_read_is_a_file_error():
    previous = reading.csv.field_size_limit(10)
    try:
        with pytest.raises(ImportFileError, match="The header line cannot be read as CSV: field larger than field"):
            read_table(b"Email,A header longer than ten\r\nada@engines.example,1\r\n", "leads.csv")
    finally:
        reading.csv.field_size_limit(previous)


# --- the admin's upload page ------------------------------------------------------------------


@pytest.fixture
def client(cast):
    client = Client()
    client.force_login(cast.marketer)
    return client


def upload(client, cast, data: bytes, name: str):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, data), "default_source": cast.source.pk})


@pytest.mark.django_db
def test_uploading_the_hostile_workbook_answers_with_the_reason_on_the_form(cast, client):
    response = upload(client, cast, HOSTILE, "crm.xlsx")
    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert error.startswith("The sheet declares 1,048,576 rows and 16,384 columns; ") and TOO_LARGE in error
    assert not LeadImport.objects.exists()


@pytest.mark.django_db
def test_uploading_a_workbook_whose_rows_pass_the_limit_answers_with_the_reason_on_the_form(cast, client):
    far = f'<row r="{MAX_ROWS + 2}">{text_cell(f"A{MAX_ROWS + 2}", "x")}</row>'
    response = upload(client, cast, rewritten(workbook(LEADS), dimension="", rows_xml=far), "crm.xlsx")
    assert response.status_code == 200
    assert f"The sheet has more than {MAX_ROWS:,} rows below its header" in response.context["form"].errors["file"][0]
    assert not LeadImport.objects.exists()


@pytest.mark.django_db
def test_uploading_a_csv_with_a_header_cell_of_200000_characters_asks_for_a_mapping(cast, client):
    response = upload(client, cast, f"Email,{LONG}\r\nada@engines.example,1\r\n".encode(), "crm.csv")
    assert response.status_code == 302, response.context["form"].errors
    job = LeadImport.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert next(template.name for template in page.templates) == "admin/leads/leadimport/mapping.html"
    assert job.total == 1
