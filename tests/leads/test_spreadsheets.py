"""XLSX exports: text goes into string cells as it is, so nothing in them runs and a phone
shows no apostrophe; CSV keeps the apostrophe that tells a spreadsheet a cell is text."""

import io
import zipfile

from openpyxl import load_workbook

from leads.spreadsheets import csv_lines, xlsx_bytes

TEXTS = [
    "+1 555 8466983",
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "@SUM(A1)",
    "-Minus",
    "\tTabbed",
    "#N/A",
    "=",
    "plain",
]


def read_back(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_text_is_written_as_string_cells_without_an_apostrophe():
    sheet = read_back(xlsx_bytes([TEXTS]))
    cells = next(sheet.iter_rows(min_row=1, max_row=1))
    assert [cell.value for cell in cells] == TEXTS
    assert {cell.data_type for cell in cells} == {"s"}


def test_the_sheet_holds_no_formula_at_all():
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Phone", "Note"], *([text, text] for text in TEXTS)]))) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert "=1+1" in xml


def test_text_read_back_without_cached_values_is_still_the_text():
    # data_only=True, as the importer reads, gives a formula's last value, not its text.
    sheet = load_workbook(io.BytesIO(xlsx_bytes([["=1+1"]])), data_only=True).active
    assert sheet["A1"].value == "=1+1"


def test_numbers_dates_and_empty_cells_keep_their_types():
    from datetime import date

    sheet = read_back(xlsx_bytes([[250, 2.5, date(2026, 3, 15), None, True]]))
    row = next(sheet.iter_rows(min_row=1, max_row=1))
    assert [cell.value for cell in row[:2]] == [250, 2.5]
    assert row[2].value.date() == date(2026, 3, 15)
    assert row[3].value is None
    assert row[4].value == "yes"


def test_control_characters_become_the_replacement_character():
    sheet = read_back(xlsx_bytes([["Bell\x07Ringer", "=Bell\x07Formula"]]))
    assert [sheet["A1"].value, sheet["B1"].value] == ["Bell\ufffdRinger", "=Bell\ufffdFormula"]
    assert sheet["B1"].data_type == "s"


def test_csv_keeps_the_apostrophe_in_front_of_what_a_spreadsheet_would_run():
    lines = list(csv_lines([["+1 555 8466983", "=1+1", "plain"]]))
    assert lines[1] == "'+1 555 8466983,'=1+1,plain\r\n"
