"""The import pipeline: layouts, encodings, delimiters, dates, the row rules, matching and
re-imports, and that no row is ever lost."""

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from alignment.models import LeadProperty
from leads.demo import ensure_demo_definition
from leads.exceptions import ImportFileError
from leads.imports import layouts
from leads.imports.cleaning import parse_datetime
from leads.imports.services import LayoutUnknown, leads_import
from leads.models import DuplicateCandidate, ExternalId, ImportMapping, Lead, LeadEvent, Source, Stage

SALESFORCE_API = [
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Phone",
    "Title",
    "Company",
    "Country",
    "NumberOfEmployees",
    "LeadSource",
    "Status",
    "CreatedDate",
]
SALESFORCE_LABELS = [
    "Lead ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Title",
    "Company",
    "Country",
    "No. of Employees",
    "Lead Source",
    "Lead Status",
    "Created Date",
]
HUBSPOT = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Job Title",
    "Associated Company",
    "Country/Region",
    "Number of Employees",
    "Original Source",
    "Lead Status",
    "Create Date",
]


def csv_bytes(header, rows, *, delimiter=",", encoding="utf-8", line_end="\r\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(cast, data, name="leads.csv", **options):
    return leads_import(data=data, file_name=name, by=cast.marketer, default_source=cast.source, **options)


NO_IDENTITY = "A lead needs an email, a phone or an id from the system it came from; this row has none."


def ada_row(**overrides):
    row = {
        "Id": "00Q5e00000AbCdEAAV",
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "Ada@Analytical.example",
        "Phone": "(415) 555-0132",
        "Title": "CTO",
        "Company": "Analytical Engines",
        "Country": "United Kingdom",
        "NumberOfEmployees": "1,200",
        "LeadSource": "",
        "Status": "Open",
        "CreatedDate": "2024-03-15T14:30:00.000+0000",
    }
    row.update(overrides)
    return [row[column] for column in SALESFORCE_API]


def saved_mapping(columns: dict[str, str], *, name="Webinar tool", **fields) -> ImportMapping:
    return ImportMapping.objects.create(name=name, columns=columns, created_at=datetime.now(UTC), **fields)


@pytest.fixture
def active_definition(cast):
    return ensure_demo_definition(drafter=cast.marketer, marketing=cast.cmo, sales=cast.vp)


# --- Layouts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (SALESFORCE_API, "Salesforce"),
        (SALESFORCE_LABELS, "Salesforce"),
        (HUBSPOT, "HubSpot"),
        (["Accord ID", "First name", "Last name", "Email", "Source", "Stage"], "Accord export"),
    ],
)
def test_the_layout_is_recognised_from_the_header(header, expected):
    assert layouts.detect(header).layout.name == expected


def test_a_header_of_no_known_layout_needs_a_mapping(cast):
    data = csv_bytes(["Prospect ID", "Lead Origin", "Country"], [["1", "API", "India"]])
    with pytest.raises(LayoutUnknown):
        run(cast, data)
    assert not Lead.objects.exists()


def test_a_salesforce_export_with_api_names_imports_every_field(cast):
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row()]))
    assert (report.layout, report.rows, report.created, report.rejected) == ("Salesforce", 1, 1, 0)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.title, lead.company) == (
        "Ada",
        "Lovelace",
        "CTO",
        "Analytical Engines",
    )
    assert lead.email == "Ada@Analytical.example"
    assert lead.email_normalized == "ada@analytical.example"
    assert lead.company_domain == "analytical.example"
    assert lead.phone == "+14155550132"
    assert lead.employees == 1200
    assert lead.salesforce_id == "00Q5e00000AbCdEAAV"
    assert lead.created_at == datetime(2024, 3, 15, 14, 30, tzinfo=UTC)
    assert lead.source == cast.source
    assert report.unused_columns == []  # Status is known and deliberately not imported


def test_salesforce_field_labels_import_the_same_lead(cast):
    row = ["00Q5e00000AbCdEAAV", "Ada", "Lovelace", "ada@analytical.example", "", "CTO", "AE", "UK", "50", "", "", ""]
    report = run(cast, csv_bytes(SALESFORCE_LABELS, [row]))
    assert report.created == 1
    lead = Lead.objects.get()
    assert (lead.salesforce_id, lead.last_name, lead.employees) == ("00Q5e00000AbCdEAAV", "Lovelace", 50)


def test_a_hubspot_contact_export_imports_with_its_record_id(cast):
    row = [
        "51",
        "Grace",
        "Hopper",
        "grace@navy.example",
        "+1 202 555 0147",
        "Rear Admiral",
        "US Navy",
        "United States",
        "5000",
        "Organic Search",
        "New",
        "2024-01-02 09:15",
    ]
    report = run(cast, csv_bytes(HUBSPOT, [row]))
    assert (report.layout, report.created) == ("HubSpot", 1)
    lead = Lead.objects.select_related("source").get()
    assert (lead.hubspot_id, lead.company, lead.country, lead.title) == (
        "51",
        "US Navy",
        "United States",
        "Rear Admiral",
    )
    assert lead.source.name == "Organic Search"
    assert lead.source.interest == Source.Interest.PASSIVE
    assert report.new_sources == ["Organic Search"]


def test_a_source_named_in_the_file_is_matched_case_insensitively(cast):
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(LeadSource=cast.source.name.upper())]))
    assert report.new_sources == []
    assert Lead.objects.get().source == cast.source


# --- Encodings, delimiters, workbooks --------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_encoding_and_delimiter_reads_the_same_lead(cast, encoding, delimiter):
    row = ada_row(FirstName="Zoë", LastName="Nuñez-Müller", Company="Café “Crème”, Ltd")
    report = run(cast, csv_bytes(SALESFORCE_API, [row], delimiter=delimiter, encoding=encoding))
    assert (report.rows, report.created, report.rejected) == (1, 1, 0)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company) == ("Zoë", "Nuñez-Müller", "Café “Crème”, Ltd")


def test_lf_and_crlf_line_endings_and_a_trailing_empty_column_read_alike(cast):
    header = [*SALESFORCE_API, ""]
    rows = [[*ada_row(), ""], [*ada_row(Id="00Q5e00000AbCdFAAV", Email="b@x.example", LastName="Byron"), ""]]
    report = run(cast, csv_bytes(header, rows, line_end="\n"))
    assert (report.rows, report.created, report.rejected) == (2, 2, 0)
    assert report.unused_columns == []


def test_an_xlsx_workbook_imports_like_a_csv(cast):
    row = ada_row(NumberOfEmployees=1200, CreatedDate=datetime(2024, 3, 15, 14, 30))
    report = run(cast, xlsx_bytes(SALESFORCE_API, [row]), name="export.xlsx")
    assert (report.rows, report.created, report.rejected) == (1, 1, 0)
    lead = Lead.objects.get()
    assert lead.employees == 1200
    assert lead.phone == "+14155550132"


def test_a_file_that_is_no_text_cannot_be_read(cast):
    with pytest.raises(ImportFileError, match="neither UTF-8 nor Windows-1252"):
        run(cast, b"\x81\x8d\x8f\x90\x9d" * 20)


@pytest.mark.parametrize("data", [b"", b"   \r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_cannot_be_read(cast, data):
    with pytest.raises(ImportFileError, match="empty"):
        run(cast, data)


def test_a_damaged_workbook_cannot_be_read(cast):
    with pytest.raises(ImportFileError, match="workbook cannot be opened"):
        run(cast, b"PK\x03\x04 not really a zip", name="x.xlsx")


# --- Dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2024-03-15T14:30:00Z", False, datetime(2024, 3, 15, 14, 30, tzinfo=UTC)),
        ("2024-03-15T16:30:00+02:00", False, datetime(2024, 3, 15, 14, 30, tzinfo=UTC)),
        ("2024-03-15T14:30:00.000+0000", False, datetime(2024, 3, 15, 14, 30, tzinfo=UTC)),
        ("3/15/2024 2:30 PM", False, datetime(2024, 3, 15, 14, 30, tzinfo=UTC)),
        ("03/15/2024 14:30", False, datetime(2024, 3, 15, 14, 30, tzinfo=UTC)),
        ("3/15/2024", False, datetime(2024, 3, 15, tzinfo=UTC)),
        ("15/03/2024 14:30", True, datetime(2024, 3, 15, 14, 30, tzinfo=UTC)),
        ("22.11.2026", True, datetime(2026, 11, 22, tzinfo=UTC)),
        ("05-01-2024", True, datetime(2024, 1, 5, tzinfo=UTC)),
    ],
)
def test_dates_in_every_supported_style(text, day_first, expected):
    assert parse_datetime(text, day_first=day_first, time_zone=UTC) == expected


def test_a_time_without_offset_is_in_the_given_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_datetime("2024-07-01 12:00", day_first=False, time_zone=berlin) == datetime(
        2024, 7, 1, 10, 0, tzinfo=UTC
    )


def test_a_day_first_date_without_saying_so_is_refused_with_the_hint():
    with pytest.raises(ValueError, match="not a month-first date; if the file writes the day first"):
        parse_datetime("15/03/2024", day_first=False)


def test_day_first_dates_import_when_the_user_says_so(cast):
    data = csv_bytes(SALESFORCE_API, [ada_row(CreatedDate="15/03/2024 14:30")])
    unread = run(cast, data, dry_run=True)
    # Without being told, the date is not read, and the lead would be dated at the import.
    assert (unread.created, unread.rejected) == (1, 0)
    assert unread.warnings[0]["field"] == "created_at"
    assert unread.warnings[0]["value"] == "15/03/2024 14:30"
    assert unread.date_samples == [{"row": 1, "text": "15/03/2024 14:30", "read_as": ""}]
    report = run(cast, data, day_first=True)
    assert report.created == 1
    assert Lead.objects.get().created_at.date().isoformat() == "2024-03-15"


# --- Row rules ------------------------------------------------------------------------------


def test_rows_without_a_valid_contact_are_rejected_and_other_bad_cells_are_warnings(cast):
    rows = [
        ada_row(),
        ada_row(Id="", Email="nobody@x.example", CreatedDate="someday"),
        ada_row(Id="", Email="not-an-email", Phone=""),
        ada_row(Id="", Email="", Phone=""),
        ada_row(Id="", Email="ok@x.example", Phone="12"),
        ada_row(Id="", Email="ok2@x.example", NumberOfEmployees="many"),
        ada_row(Id="00Q5e00000AbCdGAAV", LastName="Byron", Email="byron@x.example", Phone=""),
        ada_row(Id="", FirstName="", LastName="", Email="nameless@x.example", Phone=""),
    ]
    report = run(cast, csv_bytes(SALESFORCE_API, rows))
    assert (report.rows, report.created, report.rejected, report.warned_rows) == (8, 6, 2, 3)
    assert [(error["row"], error["field"], error["message"]) for error in report.errors] == [
        (3, "email", f"'not-an-email' is not a valid email address. {NO_IDENTITY}"),
        (4, "email", NO_IDENTITY),
    ]
    assert [(warning["row"], warning["field"], warning["value"]) for warning in report.warnings] == [
        (2, "created_at", "someday"),
        (5, "phone", "12"),
        (6, "employees", "many"),
    ]
    # A lead's names are optional: the row with an email and no name is a lead.
    assert set(Lead.objects.values_list("last_name", "email")) == {
        ("Lovelace", "Ada@Analytical.example"),
        ("Lovelace", "nobody@x.example"),
        ("Lovelace", "ok@x.example"),
        ("Lovelace", "ok2@x.example"),
        ("Byron", "byron@x.example"),
        ("", "nameless@x.example"),
    }
    ok = Lead.objects.get(email="ok@x.example")
    assert ok.phone == ""
    # The lead's history keeps the cell it was imported without.
    [event] = ok.events.filter(kind=LeadEvent.Kind.IMPORTED)
    assert event.details["warnings"] == [
        {"field": "phone", "message": "'12' is not a valid phone number. The lead has no phone.", "value": "12"}
    ]


def test_a_phone_alone_is_enough_contact(cast):
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(Id="", Email="", Phone="+44 20 7946 0958")]))
    assert report.created == 1
    assert Lead.objects.get().phone == "+442079460958"


def test_an_email_is_enough_without_a_name(cast):
    mapping = saved_mapping({"Vorname": "first_name", "E-mail": "email"})
    rows = [["Ada", "ada@analytical.example"], ["", "info@engines.example"]]
    report = run(cast, csv_bytes(["Vorname", "E-mail"], rows), mapping=mapping)
    assert (report.rows, report.created, report.rejected, report.errors) == (2, 2, 0, [])
    ada = Lead.objects.get(email="ada@analytical.example")
    assert (ada.first_name, ada.last_name, ada.full_name) == ("Ada", "", "Ada")
    nameless = Lead.objects.get(email="info@engines.example")
    assert (nameless.first_name, nameless.last_name) == ("", "")
    assert nameless.full_name == "info@engines.example"  # with no name at all, the email tells it apart


def test_a_row_with_neither_email_phone_nor_id_is_rejected(cast):
    rows = [ada_row(Id="", Email="", Phone=""), ada_row(Email="", Phone="")]
    report = run(cast, csv_bytes(SALESFORCE_API, rows))
    assert (report.rows, report.created, report.rejected) == (2, 1, 1)
    assert report.errors == [{"row": 1, "field": "email", "message": NO_IDENTITY}]
    # The second row has the same name and only its Salesforce Id: that is enough.
    assert Lead.objects.get().salesforce_id == "00Q5e00000AbCdEAAV"


def test_a_nul_character_in_the_only_identity_rejects_its_row_naming_the_field(cast):
    rows = [ada_row(Id="00Q5e0\x00", Email="", Phone=""), ada_row(Id="", Email="grace@y.example")]
    report = run(cast, csv_bytes(SALESFORCE_API, rows))
    assert (report.rows, report.created, report.rejected) == (2, 1, 1)
    assert report.errors[0]["row"] == 1 and report.errors[0]["field"] == "salesforce_id"
    assert "NUL" in report.errors[0]["message"]


def test_a_full_name_column_gives_first_and_last_name(cast):
    header = ["Id", "Name", "Email", "LeadSource"]
    rows = [["", "Ada King Lovelace", "ada@x.example", ""], ["", "Hopper, Grace", "grace@y.example", ""]]
    report = run(cast, csv_bytes(header, rows))
    assert report.created == 2
    names = set(Lead.objects.values_list("first_name", "last_name"))
    assert names == {("Ada King", "Lovelace"), ("Grace", "Hopper")}


def test_strict_imports_nothing_when_any_row_fails(cast):
    data = csv_bytes(SALESFORCE_API, [ada_row(), ada_row(Id="", Email="x@", Phone="")])
    report = run(cast, data, strict=True)
    assert report.strict_failed
    assert (report.rows, report.created, report.rejected) == (2, 0, 1)
    assert not Lead.objects.exists()
    assert not LeadEvent.objects.exists()


def test_strict_imports_everything_when_every_row_is_good(cast):
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row()]), strict=True)
    assert (report.created, report.strict_failed) == (1, False)
    assert Lead.objects.count() == 1


def test_a_dry_run_reports_the_same_figures_and_writes_nothing(cast, make_lead):
    make_lead(email="ada@analytical.example", last_name="Lovelace", first_name="")
    rows = [
        ada_row(),
        ada_row(Id="", Email="new@x.example", LastName="New"),
        ada_row(Id="", Email="z@", Phone=""),
        ada_row(Id="", Email="new@x.example", LastName="New", Title="Founder"),
    ]
    data = csv_bytes(SALESFORCE_API, rows)
    before = (Lead.objects.count(), LeadEvent.objects.count(), Source.objects.count())
    preview = run(cast, data, dry_run=True)
    assert (Lead.objects.count(), LeadEvent.objects.count(), Source.objects.count()) == before
    real = run(cast, data)
    assert preview.counts() == real.counts()
    assert (real.created, real.updated, real.rejected) == (1, 2, 1)


# --- Matching and re-imports ----------------------------------------------------------------


def test_an_email_in_another_case_updates_the_lead_instead_of_creating_a_second(cast, make_lead):
    lead = make_lead(email="ada@analytical.example", title="", last_name="Lovelace")
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(Email="  ADA@Analytical.Example ")]))
    assert (report.created, report.updated) == (0, 1)
    lead.refresh_from_db()
    assert (lead.title, lead.salesforce_id, lead.phone) == ("CTO", "00Q5e00000AbCdEAAV", "+14155550132")
    event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.IMPORTED)
    assert event.details["changes"]["title"] == ["", "CTO"]
    assert event.actor == cast.marketer


def test_a_salesforce_id_match_updates_even_when_the_email_changed(cast):
    run(cast, csv_bytes(SALESFORCE_API, [ada_row()]))
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(Email="ada@new-employer.example")]))
    assert (report.created, report.updated) == (0, 1)
    lead = Lead.objects.get()
    assert lead.email_normalized == "ada@new-employer.example"
    assert lead.company_domain == "new-employer.example"


def test_an_empty_cell_never_erases_what_a_lead_says(cast):
    run(cast, csv_bytes(SALESFORCE_API, [ada_row()]))
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(Title="", Phone="", Company="")]))
    assert report.unchanged == 1
    lead = Lead.objects.get()
    assert (lead.title, lead.phone, lead.company) == ("CTO", "+14155550132", "Analytical Engines")


def test_importing_the_same_file_twice_changes_nothing_the_second_time(cast):
    rows = [ada_row(), ada_row(Id="00Q5e00000AbCdFAAV", Email="byron@x.example", LastName="Byron")]
    data = csv_bytes(SALESFORCE_API, rows)
    first = run(cast, data)
    snapshot = list(Lead.objects.order_by("id").values())
    events = LeadEvent.objects.count()
    second = run(cast, data)
    assert (first.created, second.created, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert list(Lead.objects.order_by("id").values()) == snapshot
    assert LeadEvent.objects.count() == events


def test_a_row_matching_two_different_leads_is_rejected(cast, make_lead):
    make_lead(email="one@x.example", salesforce_id="00Q5e00000AbCdEAAV")
    make_lead(email="two@x.example")
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(Email="two@x.example")]))
    assert (report.rejected, report.created, report.updated) == (1, 0, 0)
    assert "matches two different leads" in report.errors[0]["message"]


def test_the_same_person_twice_in_one_file_is_one_lead(cast):
    rows = [
        ada_row(Id="", Title=""),
        ada_row(Id="", Email="ADA@analytical.example", Title="CTO"),
    ]
    report = run(cast, csv_bytes(SALESFORCE_API, rows))
    assert (report.rows, report.created, report.updated) == (2, 1, 1)
    assert Lead.objects.get().title == "CTO"


def test_a_later_batch_updates_a_lead_an_earlier_batch_created(cast):
    rows = (
        [ada_row(Id="", Title="")]
        + [ada_row(Id="", Email=f"p{i}@x.example", LastName=f"P{i}") for i in range(3)]
        + [ada_row(Id="", Title="CTO")]
    )
    report = run(cast, csv_bytes(SALESFORCE_API, rows), batch_size=2)
    assert (report.created, report.updated) == (4, 1)
    assert Lead.objects.get(email_normalized="ada@analytical.example").title == "CTO"


# --- Events, sources, duplicates, evaluation ---------------------------------------------


def test_every_imported_lead_has_its_source_and_an_import_event(cast):
    rows = [ada_row(LeadSource="Trade show"), ada_row(Id="", Email="b@x.example", LastName="Byron")]
    report = run(cast, csv_bytes(SALESFORCE_API, rows), name="march.csv")
    assert report.new_sources == ["Trade show"]
    leads = {lead.last_name: lead for lead in Lead.objects.select_related("source")}
    assert leads["Lovelace"].source.name == "Trade show"
    assert leads["Byron"].source == cast.source
    for lead in leads.values():
        event = LeadEvent.objects.get(lead=lead)
        assert (event.kind, event.actor, event.to_stage) == (LeadEvent.Kind.IMPORTED, cast.marketer, "new")
        assert event.details["file"] == "march.csv"


def test_a_similar_name_at_the_same_company_domain_is_flagged_not_merged(cast, make_lead):
    older = make_lead(first_name="John", last_name="Smith", email="john.smith@acme.example")
    older.company_domain = "acme.example"
    older.save()
    rows = [
        ada_row(Id="", FirstName="Jon", LastName="Smith", Email="jon.smith@acme.example"),
        ada_row(Id="", FirstName="Mary", LastName="Jones", Email="mary@acme.example"),
        ada_row(Id="", FirstName="Jon", LastName="Smith", Email="jon@gmail.com"),
    ]
    report = run(cast, csv_bytes(SALESFORCE_API, rows))
    assert (report.created, report.flagged) == (3, 1)
    candidate = DuplicateCandidate.objects.get()
    assert candidate.likely_duplicate_of == older
    assert candidate.lead.email == "jon.smith@acme.example"
    assert candidate.similarity >= 88
    assert candidate.status == DuplicateCandidate.Status.OPEN


def test_two_similar_new_rows_in_one_file_are_flagged_against_each_other(cast):
    rows = [
        ada_row(Id="", FirstName="Katherine", LastName="Johnson", Email="kjohnson@nasa.example"),
        ada_row(Id="", FirstName="Katharine", LastName="Johnson", Email="katharine.j@nasa.example"),
    ]
    report = run(cast, csv_bytes(SALESFORCE_API, rows), batch_size=1)
    assert report.flagged == 1
    candidate = DuplicateCandidate.objects.select_related("lead", "likely_duplicate_of").get()
    assert candidate.likely_duplicate_of.email == "kjohnson@nasa.example"


def test_imported_leads_are_graded_against_the_active_definition(cast, active_definition):
    run(cast, csv_bytes(SALESFORCE_API, [ada_row()]))
    lead = Lead.objects.get()
    assert lead.evaluated_with == active_definition
    assert lead.grade in {"A", "B", "C", "D"}
    from leads.evaluation import lead_evaluate

    graded = (lead.grade, lead.fit_points, lead.score, lead.bucket, lead.sales_ready)
    lead_evaluate(lead=Lead.objects.select_related("source").get(pk=lead.pk))
    lead.refresh_from_db()
    assert (lead.grade, lead.fit_points, lead.score, lead.bucket, lead.sales_ready) == graded


# --- Saved mappings and the X Education file -------------------------------------------------


def test_a_saved_mapping_reads_a_layout_accord_does_not_know(cast):
    mapping = ImportMapping.objects.create(
        name="Webinar tool",
        columns={"Attendee": "full_name", "E-mail address": "email", "Registered": "created_at", "Job": "title"},
        empty_values=["n/a"],
        day_first=True,
        created_at=datetime.now(UTC),
    )
    header = ["Attendee", "E-mail address", "Registered", "Job", "Notes"]
    rows = [["Ada Lovelace", "ada@x.example", "22.11.2025", "n/a", "asked about pricing"]]
    report = run(cast, csv_bytes(header, rows, delimiter=";"), mapping=mapping)
    assert (report.layout, report.created, report.unused_columns) == ("Webinar tool", 1, ["Notes"])
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.title) == ("Ada", "Lovelace", "")
    assert lead.created_at.date().isoformat() == "2025-11-22"


@pytest.mark.parametrize(
    ("target", "system"),
    [("external_id", "Webinar tool"), ("external_id:Eventbrite", "Eventbrite")],
    ids=["the-mappings-system", "a-named-system"],
)
def test_an_external_id_column_finds_its_lead_again(cast, target, system):
    mapping = saved_mapping({"Attendee ID": target, "Attendee": "full_name", "Job": "title"})
    header = ["Attendee ID", "Attendee", "Job"]
    first = run(
        cast,
        csv_bytes(header, [["A-1", "Ada Lovelace", "CTO"], ["A-2", "Grace Hopper", ""], [" A-1 ", "", "CEO"]]),
        mapping=mapping,
    )
    # The third row has the first row's id: one lead, the later row's title.
    assert (first.created, first.updated, first.rejected) == (2, 1, 0)
    assert set(ExternalId.objects.values_list("system", "value")) == {(system, "A-1"), (system, "A-2")}
    ada = ExternalId.objects.get(value="A-1").lead
    assert (ada.first_name, ada.last_name, ada.title) == ("Ada", "Lovelace", "CEO")

    again = run(
        cast, csv_bytes(header, [["A-1", "Ada Lovelace", "CEO"], ["A-2", "Grace Hopper", "Admiral"]]), mapping=mapping
    )
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 1, 1, 0)
    assert Lead.objects.count() == 2 and ExternalId.objects.count() == 2
    assert ExternalId.objects.get(value="A-2").lead.title == "Admiral"


def test_an_outcome_column_gives_the_lead_its_stage(cast):
    mapping = saved_mapping({"Email": "email", "Result": "outcome"})
    outcomes = {
        "one@x.example": ("1", Stage.WON),
        "zero@x.example": ("0", Stage.LOST),
        "won@x.example": ("won", Stage.WON),
        "converted@x.example": ("Closed - Converted", Stage.WON),
        "junk@x.example": ("Junk Lead", Stage.DISQUALIFIED),
        "working@x.example": ("Working - Contacted", Stage.NEW),
        "empty@x.example": ("", Stage.NEW),
    }
    rows = [[email, outcome] for email, (outcome, _) in outcomes.items()]
    report = run(cast, csv_bytes(["Email", "Result"], rows), mapping=mapping)
    assert (report.created, report.rejected) == (7, 0)
    assert dict(Lead.objects.values_list("email", "stage")) == {email: stage for email, (_, stage) in outcomes.items()}
    changed = LeadEvent.objects.filter(kind=LeadEvent.Kind.STAGE_CHANGED).select_related("lead")
    assert {(event.lead.email, event.from_stage, event.to_stage) for event in changed} == {
        (email, Stage.NEW, stage) for email, (_, stage) in outcomes.items() if stage != Stage.NEW
    }
    assert all(event.actor == cast.marketer and event.details["outcome_from_file"] for event in changed)
    # Every new lead still has its import event, the stage change comes after it.
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.IMPORTED, to_stage=Stage.NEW).count() == 7


def test_an_unknown_outcome_leaves_the_lead_open_with_a_warning_naming_the_value(cast):
    mapping = saved_mapping({"Email": "email", "Result": "outcome"})
    rows = [["ada@x.example", "won"], ["grace@x.example", "Maybe later"]]
    report = run(cast, csv_bytes(["Email", "Result"], rows), mapping=mapping)
    assert (report.created, report.rejected) == (2, 0)
    [warning] = report.warnings
    assert (warning["row"], warning["field"], warning["value"]) == (2, "outcome", "Maybe later")
    assert warning["message"].startswith("'Maybe later' is not an outcome Accord knows")
    assert Lead.objects.get(email="grace@x.example").stage == Stage.NEW
    strict = run(
        cast, csv_bytes(["Email", "Result"], [["hopper@x.example", "Maybe later"]]), mapping=mapping, strict=True
    )
    assert (strict.created, strict.rejected, strict.strict_failed) == (0, 1, True)
    assert not Lead.objects.filter(email="hopper@x.example").exists()


def test_a_mappings_outcome_values_come_before_the_defaults(cast):
    mapping = saved_mapping(
        {"Email": "email", "Result": "outcome"}, outcome_values={"1": "lost", "Signed": "won", "Dropped": "open"}
    )
    rows = [["one@x.example", "1"], ["signed@x.example", "SIGNED"], ["dropped@x.example", "dropped"]]
    report = run(cast, csv_bytes(["Email", "Result"], rows), mapping=mapping)
    assert (report.created, report.rejected) == (3, 0)
    assert dict(Lead.objects.values_list("email", "stage")) == {
        "one@x.example": Stage.LOST,
        "signed@x.example": Stage.WON,
        "dropped@x.example": Stage.NEW,
    }


def test_a_property_cell_that_is_not_of_its_kind_is_left_empty_with_a_warning(cast):
    LeadProperty.objects.create(key="visits", label="Visits", kind=LeadProperty.Kind.NUMBER)
    LeadProperty.objects.create(key="do_not_call", label="Do Not Call", kind=LeadProperty.Kind.YES_NO)
    mapping = saved_mapping({"Email": "email", "Visits": "property:visits", "Do Not Call": "property:do_not_call"})
    rows = [
        ["many@x.example", "many", "No"],
        ["three@x.example", "3", "Yes"],
        ["half@x.example", "2.5", ""],
        ["none@x.example", "", "No"],
    ]
    report = run(cast, csv_bytes(["Email", "Visits", "Do Not Call"], rows), mapping=mapping)
    assert (report.created, report.rejected) == (4, 0)
    assert report.warnings == [
        {
            "row": 1,
            "field": "property:visits",
            "message": "'many' is not a number. The property is left empty.",
            "value": "many",
        }
    ]
    assert dict(Lead.objects.values_list("email", "properties")) == {
        "many@x.example": {"do_not_call": False},
        "three@x.example": {"visits": 3, "do_not_call": True},
        "half@x.example": {"visits": 2.5},
        "none@x.example": {"do_not_call": False},
    }


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "import"])
def test_a_choice_value_not_declared_yet_is_added_to_the_property(cast, dry_run):
    origin = LeadProperty.objects.create(
        key="origin", label="Lead Origin", kind=LeadProperty.Kind.CHOICE, choices=["API"]
    )
    mapping = saved_mapping({"Email": "email", "Origin": "property:origin"})
    rows = [
        ["a@x.example", "API"],
        ["b@x.example", "Trade fair"],
        ["c@x.example", "trade fair"],
        ["d@x.example", "api"],
        ["e@x.example", "Partner"],
    ]
    report = run(cast, csv_bytes(["Email", "Origin"], rows), mapping=mapping, dry_run=dry_run)
    assert (report.created, report.rejected) == (5, 0)
    assert report.new_choices == {"origin": ["Trade fair", "Partner"]}
    origin.refresh_from_db()
    if dry_run:
        assert origin.choices == ["API"]
        assert not Lead.objects.exists()
    else:
        assert origin.choices == ["API", "Trade fair", "Partner"]
        assert Lead.objects.get(email="b@x.example").properties == {"origin": "Trade fair"}


# --- Query counts ---------------------------------------------------------------------------


def _queries_for(cast, count: int, offset: int) -> tuple[int, int]:
    """(statements other than INSERT, INSERT statements) of importing ``count`` new leads."""
    rows = [
        ada_row(Id="", Email=f"person{offset + i}@company{i % 5}.example", LastName=f"Person{offset + i}")
        for i in range(count)
    ]
    with CaptureQueriesContext(connection) as queries:
        report = run(cast, csv_bytes(SALESFORCE_API, rows), batch_size=1000)
    assert report.created == count
    inserts = sum(1 for query in queries if query["sql"].lstrip().upper().startswith("INSERT"))
    return len(queries) - inserts, inserts


def test_a_batch_costs_a_fixed_number_of_queries_whatever_its_rows(cast):
    few, many = _queries_for(cast, 20, 0), _queries_for(cast, 400, 1000)
    assert few[0] == many[0]
    # Leads and events go in bulk: one INSERT per table, or per 999 values on SQLite.
    values_per_lead = len(Lead._meta.concrete_fields) + len(LeadEvent._meta.concrete_fields)
    assert many[1] <= 2 + 400 * values_per_lead // 999 + 2


def test_rows_that_update_one_lead_across_batches_preview_as_they_import(cast, make_lead):
    lead = make_lead(email="ada@analytical.example", salesforce_id="00Q5e00000AbCdEAAV", title="", is_customer=False)
    rows = [
        ada_row(Email="ada@new.example", Title="CTO"),
        ada_row(Id="", Email="nobody@x.example", LastName="Other"),
        ada_row(Email="ada@new.example", Title="CTO"),
        ada_row(Id="", Email="ADA@new.example", Title="CEO"),
    ]
    data = csv_bytes(SALESFORCE_API, rows)
    preview = run(cast, data, dry_run=True, batch_size=1)
    real = run(cast, data, batch_size=1)
    assert preview.counts() == real.counts()
    assert (real.created, real.updated, real.unchanged, real.rejected) == (1, 2, 1, 0)
    lead.refresh_from_db()
    # The last row spells the same address in capitals: the stored spelling stays.
    assert (lead.email, lead.title) == ("ada@new.example", "CEO")


def test_the_customer_flag_of_an_accord_export_updates_the_lead(cast, make_lead):
    lead = make_lead(email="ada@x.example", is_customer=False)
    data = csv_bytes(
        ["Accord ID", "Last name", "Email", "Existing customer"], [["1", "Lovelace", "ada@x.example", "yes"]]
    )
    report = run(cast, data)
    assert report.updated == 1
    lead.refresh_from_db()
    assert lead.is_customer is True


def test_an_accord_export_row_matches_its_lead_by_accord_id(cast, make_lead):
    lead = make_lead(email="old@x.example", last_name="Lovelace")
    header = ["Accord ID", "Last name", "Email"]
    report = run(cast, csv_bytes(header, [[str(lead.pk), "Lovelace", "new@x.example"]]))
    assert (report.created, report.updated) == (0, 1)
    lead.refresh_from_db()
    assert lead.email_normalized == "new@x.example"
    # A broken Accord ID is no match key: the row still matches its lead by email, with a warning.
    bad = run(cast, csv_bytes(header, [["12x", "Lovelace", "new@x.example"]]))
    assert (bad.created, bad.unchanged, bad.rejected) == (0, 1, 0)
    assert [(warning["field"], warning["value"]) for warning in bad.warnings] == [("accord_id", "12x")]


def test_a_phone_only_row_does_not_match_a_colleague_who_shares_the_number(cast, make_lead):
    make_lead(email="reception@acme.example", phone="+14155550132")
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(Id="", Email="", Phone="(415) 555-0132")]))
    assert (report.created, report.updated) == (1, 0)


def test_an_exported_lead_since_merged_changes_nothing_when_imported_back(cast, make_lead):
    from leads.models import Stage

    merged = make_lead(email="gone@x.example", last_name="Gone", stage=Stage.MERGED)
    header = ["Accord ID", "Last name", "Email"]
    report = run(cast, csv_bytes(header, [[str(merged.pk), "Gone", "gone@x.example"]]))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Lead.objects.count() == 1


def test_a_source_name_longer_than_a_source_can_be_is_cut_with_a_warning(cast):
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(LeadSource="x" * 121)]))
    assert (report.created, report.rejected) == (1, 0)
    assert (report.warnings[0]["field"], report.new_sources) == ("source", ["x" * 120])
    assert Lead.objects.get().source.name == "x" * 120


def test_a_phone_entered_by_hand_is_kept_in_the_form_an_import_matches(cast):
    from leads import services

    typed = services.lead_create(by=cast.marketer, source=cast.source, last_name="Hopper", phone=" (415) 555-0132 ")
    odd = services.lead_create(by=cast.marketer, source=cast.source, last_name="Odd", phone="ext. 12")
    assert (typed.phone, odd.phone) == ("+14155550132", "ext. 12")
    report = run(cast, csv_bytes(SALESFORCE_API, [ada_row(Id="", Email="", LastName="Hopper", Phone="415-555-0132")]))
    assert (report.created, report.updated) == (0, 1)


def test_leads_an_import_updates_are_graded_anew(cast, make_lead, active_definition):
    from leads.evaluation import lead_evaluate

    lead = make_lead(email="ada@analytical.example", title="", employees=None)
    lead_evaluate(lead=Lead.objects.select_related("source").get(pk=lead.pk))
    run(cast, csv_bytes(SALESFORCE_API, [ada_row(Title="CTO", NumberOfEmployees="1,200")]))
    lead.refresh_from_db()
    imported = (lead.grade, lead.fit_points, lead.score, lead.bucket, lead.sales_ready)
    lead_evaluate(lead=Lead.objects.select_related("source").get(pk=lead.pk))
    lead.refresh_from_db()
    assert imported == (lead.grade, lead.fit_points, lead.score, lead.bucket, lead.sales_ready)
    assert lead.fit_points > 0 and lead.evaluated_with == active_definition


def test_the_heap_set_aside_during_an_import_returns_to_the_collector_afterwards(cast):
    import gc

    from leads.imports.bulk import heap_set_aside

    assert gc.get_freeze_count() == 0
    with heap_set_aside():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with heap_set_aside():  # a strict import's dry run inside the import
            pass
        assert gc.get_freeze_count() >= frozen, "the inner job gave the heap back too early"
    assert gc.get_freeze_count() == 0
    run(cast, csv_bytes(SALESFORCE_API, [ada_row()]), strict=True)
    assert gc.get_freeze_count() == 0
