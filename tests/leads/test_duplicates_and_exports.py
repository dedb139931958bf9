"""Merging likely duplicates into the older lead, and exports that spreadsheets cannot run and
that Accord reads back unchanged."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from alignment.exceptions import NotAllowed
from leads import services
from leads.duplicates import duplicate_dismiss, duplicate_merge
from leads.exceptions import MergeRefused
from leads.exports import HEADER, export_rows
from leads.imports.services import leads_import
from leads.models import DuplicateCandidate, Handoff, Lead, LeadEvent, Stage
from leads.spreadsheets import csv_lines, xlsx_bytes


@pytest.fixture
def pair(cast, make_lead):
    """John Smith (older, no phone) and Jon Smith (newer, rejected once by sales, with a phone
    and a Salesforce Id), flagged as a likely duplicate."""
    older = make_lead(
        first_name="John",
        last_name="Smith",
        email="john.smith@acme.example",
        phone="",
        created_at=timezone.now() - timedelta(days=30),
    )
    newer = make_lead(
        first_name="Jon", last_name="Smith", email="jon@acme.example", phone="+14155550132", salesforce_id="00QX1"
    )
    candidate = DuplicateCandidate.objects.create(
        lead=newer, likely_duplicate_of=older, similarity=95, reason="Same company domain.", found_at=timezone.now()
    )
    return older, newer, candidate


def test_merging_keeps_the_older_lead_and_moves_everything_over(cast, pair, reasons):
    older, newer, candidate = pair
    handoff = services.handoff_create(lead=newer, by=cast.marketer, rep=cast.rep)
    services.handoff_reject(handoff=handoff, by=cast.rep, reason=reasons["bad-contact-data"])
    newer.refresh_from_db()
    events_before = LeadEvent.objects.filter(lead=newer).count()
    third = DuplicateCandidate.objects.create(
        lead=newer,
        likely_duplicate_of=Lead.objects.create(**_copy(older, email="j.smith@acme.example")),
        similarity=90,
        reason="",
        found_at=timezone.now(),
    )

    survivor = duplicate_merge(candidate=candidate, by=cast.marketer)

    assert survivor.pk == older.pk
    newer.refresh_from_db()
    survivor.refresh_from_db()
    assert newer.stage == Stage.MERGED
    assert Handoff.objects.get(pk=handoff.pk).lead_id == older.pk
    # Its events moved; each side logs the merge.
    assert LeadEvent.objects.filter(lead=older).exclude(kind=LeadEvent.Kind.MERGED).count() >= events_before
    merged = LeadEvent.objects.get(lead=older, kind=LeadEvent.Kind.MERGED)
    assert merged.actor == cast.marketer
    assert merged.details["merged_lead"] == newer.pk
    assert merged.details["moved"]["handoffs"] == 1
    assert LeadEvent.objects.get(lead=newer, kind=LeadEvent.Kind.MERGED).details["merged_into"] == older.pk
    # The older lead takes what it lacked; its own values stay.
    assert (survivor.phone, survivor.salesforce_id, survivor.first_name) == ("+14155550132", "00QX1", "John")
    assert newer.salesforce_id == ""
    candidate.refresh_from_db()
    assert (candidate.status, candidate.resolved_by) == (DuplicateCandidate.Status.MERGED, cast.marketer)
    third.refresh_from_db()
    assert third.status == DuplicateCandidate.Status.DISMISSED


def _copy(lead, **changes):
    fields = {
        name: getattr(lead, name)
        for name in ("first_name", "last_name", "source_id", "stage", "stage_changed_at", "created_at")
    }
    return {**fields, **changes}


def test_a_lead_sales_is_working_is_not_merged_away(cast, pair):
    _, newer, candidate = pair
    services.handoff_create(lead=newer, by=cast.marketer, rep=cast.rep)
    with pytest.raises(MergeRefused, match="handed off"):
        duplicate_merge(candidate=candidate, by=cast.marketer)
    newer.refresh_from_db()
    candidate.refresh_from_db()
    assert newer.stage == Stage.HANDED_OFF
    assert candidate.status == DuplicateCandidate.Status.OPEN
    assert not LeadEvent.objects.filter(kind=LeadEvent.Kind.MERGED).exists()


def test_a_resolved_pair_cannot_be_merged_again(cast, pair):
    _, _, candidate = pair
    duplicate_dismiss(candidate=candidate, by=cast.marketer)
    with pytest.raises(MergeRefused, match="already resolved"):
        duplicate_merge(candidate=candidate, by=cast.marketer)
    assert not Lead.objects.filter(stage=Stage.MERGED).exists()


@pytest.mark.parametrize("person", ["rep", "manager", "vp"])
def test_only_marketing_resolves_duplicates(cast, pair, person):
    _, _, candidate = pair
    with pytest.raises(NotAllowed):
        duplicate_merge(candidate=candidate, by=getattr(cast, person))
    with pytest.raises(NotAllowed):
        duplicate_dismiss(candidate=candidate, by=getattr(cast, person))
    candidate.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.OPEN


def test_dismissing_records_two_different_people(cast, pair):
    older, newer, candidate = pair
    duplicate_dismiss(candidate=candidate, by=cast.cmo)
    candidate.refresh_from_db()
    assert (candidate.status, candidate.resolved_by) == (DuplicateCandidate.Status.DISMISSED, cast.cmo)
    assert Lead.objects.filter(pk__in=[older.pk, newer.pk], stage=Stage.MQL).count() == 2


# --- Exports -----------------------------------------------------------------------------------

DANGEROUS = {
    "company": '=HYPERLINK("http://evil.example","click")',
    "title": "+1 trick",
    "first_name": "@SUM(A1)",
    "industry": "\tTabbed",
    "country": "\rReturned",
    "last_name": "-Minus",
}


def _csv(leads) -> list[list[str]]:
    text = "".join(csv_lines(export_rows(leads)))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_csv_export_escapes_every_cell_a_spreadsheet_would_run(make_lead):
    make_lead(email="safe@x.example", **DANGEROUS)
    header, row = _csv(Lead.objects.all())
    cells = dict(zip(header, row, strict=True))
    assert cells["Company"] == "'" + DANGEROUS["company"]
    assert cells["Title"] == "'+1 trick"
    assert cells["First name"] == "'@SUM(A1)"
    assert cells["Industry"] == "'\tTabbed"
    assert cells["Country"] == "'\rReturned"
    assert cells["Last name"] == "'-Minus"
    assert cells["Email"] == "safe@x.example"


def test_xlsx_export_writes_formula_like_text_as_text_cells_and_replaces_forbidden_characters(make_lead):
    make_lead(email="safe@x.example", title="Bell\x07Ringer", **{k: v for k, v in DANGEROUS.items() if k != "title"})
    sheet = load_workbook(io.BytesIO(xlsx_bytes(export_rows(Lead.objects.all())))).active
    header, row = [[cell for cell in line] for line in sheet.iter_rows(min_row=1, max_row=2)]
    cells = {h.value: c for h, c in zip(header, row, strict=True)}
    # A string cell is never run, so XLSX needs no apostrophe (that is CSV's alone).
    assert cells["Company"].value == DANGEROUS["company"]
    assert cells["Company"].data_type == "s"  # text, not a formula
    assert cells["Title"].value == "Bell\ufffdRinger"
    assert (cells["First name"].value, cells["First name"].data_type) == ("@SUM(A1)", "s")
    assert (cells["Last name"].value, cells["Last name"].data_type) == ("-Minus", "s")


def test_non_ascii_text_survives_csv_and_xlsx(make_lead):
    make_lead(first_name="Zoë", last_name="Nuñez 東京", company="Ærøskøbing ApS", email="zoe@x.example")
    assert _csv(Lead.objects.all())[1][1:3] == ["Zoë", "Nuñez 東京"]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(export_rows(Lead.objects.all())))).active
    row = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert row[1:3] == ["Zoë", "Nuñez 東京"] and "Ærøskøbing ApS" in row


ROUND_TRIP_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company",
    "country",
    "industry",
    "employees",
    "is_customer",
    "source_id",
    "salesforce_id",
    "hubspot_id",
    "created_at",
)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged_and_recreates_the_same_leads(cast, make_lead, file_format):
    dangerous = dict(DANGEROUS)
    if file_format == "xlsx":
        # XML, and so XLSX, stores a carriage return as a line feed: that one cell cannot come back.
        dangerous["country"] = "=Returned"
        # The importer strips the white space around every cell; in CSV the apostrophe in front
        # of the tab shields it, XLSX text has none.
        dangerous["industry"] = "@Tabbed"
    make_lead(email="a@x.example", phone="+14155550132", employees=250, is_customer=True, **dangerous)
    make_lead(first_name="Zoë", last_name="Nuñez", email="zoe@y.example", hubspot_id="77", salesforce_id="00QA")
    before = sorted(Lead.objects.values_list(*ROUND_TRIP_FIELDS))
    rows = list(export_rows(Lead.objects.all()))
    data = xlsx_bytes(rows) if file_format == "xlsx" else "".join(csv_lines(rows)).encode("utf-8")

    def run():
        return leads_import(data=data, file_name=f"export.{file_format}", by=cast.marketer, default_source=cast.source)

    again = run()
    assert (again.layout, again.rows, again.unchanged, again.rejected) == ("Accord export", 2, 2, 0)

    Lead.objects.all().delete()
    fresh = run()
    assert (fresh.created, fresh.rejected) == (2, 0)
    after = sorted(Lead.objects.values_list(*ROUND_TRIP_FIELDS))
    # Exports write times to the second.
    before = [(*row[:-1], row[-1].replace(microsecond=0)) for row in before]
    assert after == before
    assert HEADER[0] == "Accord ID"
