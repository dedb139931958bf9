"""Malformed files never crash the import and never lose a row; the real X Education export
reads through a saved mapping."""

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.exceptions import ImportFileError
from leads.imports.services import leads_import
from leads.models import ExternalId, ImportMapping, Lead, LeadEvent, Source, Stage

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
def contact_columns_mapping(db):
    """The X Education rows read through a mapping of their own, with two contact columns."""
    return ImportMapping.objects.create(
        name="X Education with contacts",
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


def test_the_x_education_file_as_published_imports_every_lead_with_the_shipped_mapping(cast):
    """The published file is anonymised: no names, emails or phones. Its Prospect ID tells the
    leads apart, so the mapping Accord ships reads every row: properties, outcome and ids."""
    call_command("loaddata", "x-education-mapping", verbosity=0)
    mapping = ImportMapping.objects.get(name="X Education")
    data = X_EDUCATION.read_bytes()
    assert data.count(b"\r\n") >= 9240 and data.split(b"\r\n", 1)[0].endswith(b",")
    records = list(csv.DictReader(io.StringIO(X_EDUCATION.read_text(encoding="utf-8"), newline="")))
    assert len(records) == 9240

    report = _run(cast, data, mapping=mapping)
    assert (report.rows, report.created, report.updated, report.rejected, report.errors) == (9240, 9240, 0, 0, [])
    # Every column is mapped (the trailing empty one is no column) and the fixture declares every
    # choice the file holds.
    assert (report.unused_columns, report.new_choices, report.flagged) == ([], {}, 0)
    assert Lead.objects.count() == 9240

    # Every lead carries its Prospect ID and its Lead Number.
    prospect_ids = dict(ExternalId.objects.filter(system="X Education").values_list("value", "lead_id"))
    assert set(prospect_ids) == {record["Prospect ID"] for record in records}
    assert len(set(prospect_ids.values())) == 9240
    lead_numbers = ExternalId.objects.filter(system="X Education lead number")
    assert set(lead_numbers.values_list("value", flat=True)) == {record["Lead Number"] for record in records}

    # Converted 1/0 is the outcome: won or lost, with the stage change the journey ended with.
    converted = sum(1 for record in records if record["Converted"] == "1")
    assert Lead.objects.filter(stage=Stage.WON).count() == converted
    assert Lead.objects.filter(stage=Stage.LOST).count() == 9240 - converted
    changes = LeadEvent.objects.filter(kind=LeadEvent.Kind.STAGE_CHANGED)
    assert changes.filter(to_stage=Stage.WON).count() == converted
    assert changes.count() == 9240

    # Every lead has its properties, as their kinds store them ("Select" is no answer).
    def lead_of(prospect_id: str) -> Lead:
        return Lead.objects.get(pk=prospect_ids[prospect_id])

    second = lead_of("2a272436-5132-4136-86fa-dcc88c88f482")  # row 2
    assert (second.stage, second.country) == (Stage.LOST, "India")
    assert second.properties["visits"] == 5
    assert second.properties["time_on_website"] == 674
    assert second.properties["page_views_per_visit"] == 2.5
    assert second.properties["do_not_email"] is False
    assert second.properties["lead_origin"] == "API"
    assert second.properties["last_activity"] == "Email Opened"
    assert second.properties["asymmetrique_activity_index"] == "02.Medium"
    assert "specialization" not in second.properties and "how_heard" not in second.properties
    third = lead_of("8cc8c611-a219-4f35-ad23-fdfd2656bd8a")  # row 3, converted
    assert third.stage == Stage.WON
    assert (third.properties["lead_origin"], third.properties["visits"]) == ("Landing Page Submission", 2)
    assert lead_of("a8531c22-fcf1-48f8-a711-fb5abf98ad87").properties["do_not_email"] is True  # row 15
    origins = Counter(record["Lead Origin"] for record in records)
    for origin, count in origins.items():
        assert Lead.objects.filter(properties__lead_origin=origin).count() == count
    assert Lead.objects.filter(properties__has_key="visits").count() == sum(1 for r in records if r["TotalVisits"])

    events = LeadEvent.objects.count()
    again = _run(cast, data, mapping=mapping)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 9240, 0)
    assert (Lead.objects.count(), LeadEvent.objects.count(), ExternalId.objects.count()) == (9240, events, 2 * 9240)


def test_the_x_education_file_with_contact_columns_imports_every_lead(cast, contact_columns_mapping):
    """The same real rows with the two contact columns a CRM export would have put in front:
    CRLF, the trailing empty column and "Select" placeholders all as published."""
    lines = X_EDUCATION.read_bytes().split(b"\r\n")
    records = list(csv.DictReader(io.StringIO(X_EDUCATION.read_text(encoding="utf-8"), newline="")))
    contact = [b"Last Name,Email"] + [
        f"Lead {record['Lead Number']},{record['Prospect ID']}@x-education.example".encode() for record in records
    ]
    data = b"\r\n".join(prefix + b"," + line for prefix, line in zip(contact, lines, strict=False))
    report = _run(cast, data, mapping=contact_columns_mapping)
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

    again = _run(cast, data, mapping=contact_columns_mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9240)
