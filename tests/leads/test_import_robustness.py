"""Malformed files never crash the import and never lose a row; the real X Education export
reads through a saved mapping."""

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.exceptions import ImportFileError
from leads.imports.services import leads_import
from leads.models import ImportMapping, Lead, Source

# A copy of the real export (see tests/data/x-education/ORIGIN.md), byte for byte.
X_EDUCATION = Path(__file__).resolve().parents[1] / "data" / "x-education" / "Leads.csv"
HEADER = ["Id", "FirstName", "LastName", "Email", "Phone", "Company", "NumberOfEmployees", "LeadSource", "CreatedDate"]

# Cells that look like what real exports hold, and what breaks naive readers.
cell = st.one_of(
    st.just(""),
    st.sampled_from(
        ["Ada", "Lovelace", "ada@x.example", "ADA@X.EXAMPLE ", "+1 415 555 0132", "12", "3/15/2024 2:30 PM"]
    ),
    st.sampled_from(
        ["2024-03-15T14:30:00Z", "15/03/2024", "1,200", "-5", "=cmd()", "Select", "N/A", "00Q5e00000AbCdEAAV"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30),
    st.text(alphabet='",;\t\r\n\x00 ab', max_size=12),
    st.text(min_size=150, max_size=400, alphabet="xyz"),
)
row = st.lists(cell, min_size=0, max_size=len(HEADER) + 3)


def _run(cast, data: bytes, **options):
    return leads_import(data=data, file_name="fuzz.csv", by=cast.marketer, default_source=cast.source, **options)


def _accounts_for_every_row(report) -> None:
    assert report.rows == report.created + report.updated + report.unchanged + report.rejected
    rejected_rows = {error["row"] for error in report.errors}
    assert len(rejected_rows) == report.rejected
    assert all(error["message"] for error in report.errors)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, max_size=12), delimiter=st.sampled_from([",", ";", "\t"]))
@pytest.mark.django_db
def test_every_well_quoted_row_is_imported_or_reported(cast, rows, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    expected_rows = sum(1 for cells in rows if any(value.strip() for value in cells))
    with transaction.atomic():
        before = Lead.objects.count()
        report = _run(cast, data)
        _accounts_for_every_row(report)
        assert report.rows == expected_rows
        assert max((error["row"] for error in report.errors), default=0) <= len(rows)
        assert Lead.objects.count() - before == report.created
        transaction.set_rollback(True)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600) | st.text(max_size=400).map(lambda text: text.encode("utf-8")))
@pytest.mark.django_db
def test_any_bytes_after_a_valid_header_never_crash_the_import(cast, data):
    with transaction.atomic():
        try:
            report = _run(cast, (",".join(HEADER) + "\r\n").encode() + data)
        except ImportFileError as error:
            assert str(error)
        else:
            _accounts_for_every_row(report)
        transaction.set_rollback(True)


# --- The X Education export -------------------------------------------------------------------


@pytest.fixture
def x_education_mapping(db):
    return ImportMapping.objects.create(
        name="X Education",
        columns={
            "Last Name": "last_name",
            "Email": "email",
            "Lead Source": "source",
            "Country": "country",
            "Specialization": "industry",
            "What is your current occupation": "title",
        },
        empty_values=["Select"],
        created_at=datetime.now(UTC),
    )


def test_the_x_education_file_as_published_reports_every_row_it_cannot_import(cast, x_education_mapping):
    """The published file is anonymised: no names, emails or phones. Every row is reported
    with its number and the reasons, none is lost, nothing half-imported."""
    data = X_EDUCATION.read_bytes()
    assert data.count(b"\r\n") >= 9240 and data.split(b"\r\n", 1)[0].endswith(b",")
    report = _run(cast, data, mapping=x_education_mapping)
    assert (report.rows, report.created, report.rejected) == (9240, 0, 9240)
    assert {error["row"] for error in report.errors} == set(range(1, 9241))
    assert {error["field"] for error in report.errors} == {"last_name", "email"}
    assert "" not in report.unused_columns  # the trailing empty column is no column
    assert "Prospect ID" in report.unused_columns
    assert not Lead.objects.exists()


def test_the_x_education_file_with_contact_columns_imports_every_lead(cast, x_education_mapping):
    """The same real rows with the two contact columns a CRM export would have put in front:
    CRLF, the trailing empty column and "Select" placeholders all as published."""
    lines = X_EDUCATION.read_bytes().split(b"\r\n")
    records = list(csv.DictReader(io.StringIO(X_EDUCATION.read_text(encoding="utf-8"), newline="")))
    contact = [b"Last Name,Email"] + [
        f"Lead {record['Lead Number']},{record['Prospect ID']}@x-education.example".encode() for record in records
    ]
    data = b"\r\n".join(prefix + b"," + line for prefix, line in zip(contact, lines, strict=False))
    report = _run(cast, data, mapping=x_education_mapping)
    assert (report.rows, report.created, report.rejected) == (9240, 9240, 0)

    assert not Lead.objects.filter(industry="Select").exists()
    unanswered = sum(1 for record in records if record["Specialization"] in ("", "Select"))
    assert Lead.objects.filter(industry="").count() == unanswered
    assert Lead.objects.filter(country="India").count() == sum(1 for r in records if r["Country"] == "India")

    by_source = Counter(record["Lead Source"].casefold() for record in records if record["Lead Source"])
    google = Source.objects.get(name__iexact="google")
    assert Lead.objects.filter(source=google).count() == by_source["google"]
    no_source = sum(1 for record in records if not record["Lead Source"])
    assert Lead.objects.filter(source=cast.source).count() == no_source

    again = _run(cast, data, mapping=x_education_mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9240)
