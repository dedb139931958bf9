"""The import pages of the admin (upload → column mapping → preview → confirm → result, the
rejected rows as a file, background runs), the duplicate review page, and lead exports from the
admin and the workspace: who may do what, and what each step changes."""

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from config.celery import app as celery_app
from leads.exceptions import LeadError
from leads.imports import jobs
from leads.models import (
    DuplicateCandidate,
    ExternalId,
    ImportMapping,
    Lead,
    LeadEvent,
    LeadImport,
    Notification,
    Source,
    Stage,
)
from tests.brokers import use_broker

pytestmark = pytest.mark.django_db

Status = LeadImport.Status
UPLOAD_URL = "/admin/leads/leadimport/add/"
LIST_URL = "/admin/leads/leadimport/"

SALESFORCE_HEADER = ["Id", "FirstName", "LastName", "Email", "Company", "Title", "LeadSource", "CreatedDate"]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(client: Client, data: bytes, source: Source, *, name="leads.csv", **fields):
    payload = {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "default_source": source.pk}
    payload.update(fields)
    return client.post(UPLOAD_URL, payload)


def page_of(job: LeadImport) -> str:
    return f"/admin/leads/leadimport/{job.pk}/change/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def figures(response) -> dict[str, int]:
    """The preview/result table: label → number."""
    table = re.search(r'<table id="figures">(.*?)</table>', response.content.decode(), re.S)
    assert table, "the page shows no figures"
    return {
        html.unescape(label): int(number)
        for label, number in re.findall(r"<tr><th>(.*?)</th><td>(\d+)</td></tr>", table.group(1))
    }


def error_rows(response) -> list[tuple[int, str, str]]:
    table = re.search(r'<table id="errors">(.*?)</table>', response.content.decode(), re.S)
    if not table:
        return []
    return [
        (int(row), html.unescape(field), html.unescape(message))
        for row, field, message in re.findall(
            r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td></tr>", table.group(1), re.S
        )
    ]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def streamed(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# --- the file used by most tests ------------------------------------------------------------

ROWS = [
    # 1: new, and like an existing lead at the same company domain → created and flagged
    ["00Q000000000001AAA", "Ada", "Lovelace", "ada@engines.example", "Analytical Engines", "CTO", "Webinar", ""],
    # 2: new
    ["00Q000000000002AAA", "Grace", "Hopper", "grace@navy.example", "US Navy", "Admiral", "", "2024-03-15T14:30:00Z"],
    # 3: an existing lead by email, with a new title → updated
    ["", "Alan", "Turing", "Alan@Bletchley.example", "Bletchley Park", "Head of Hut 8", "", ""],
    # 4: a malformed email → rejected
    ["", "Charles", "Babbage", "not-an-email", "Difference Engines", "", "", ""],
    # 5: no email, phone or Salesforce Id, nothing to tell the lead apart → rejected
    ["", "Mary", "Somerville", "", "Somerville", "", "", ""],
]
NO_IDENTITY = "A lead needs an email, a phone or an id from the system it came from; this row has none."


@pytest.fixture
def known(make_lead):
    """The leads already in Accord that rows of the file meet."""
    return {
        "turing": make_lead(
            first_name="Alan",
            last_name="Turing",
            email="alan@bletchley.example",
            email_normalized="alan@bletchley.example",
            company_domain="bletchley.example",
            company="Bletchley Park",
            title="Cryptanalyst",
            stage=Stage.NEW,
        ),
        "lovelace": make_lead(
            first_name="Ada",
            last_name="Lovelace",
            email="a.lovelace@engines.example",
            email_normalized="a.lovelace@engines.example",
            company_domain="engines.example",
            stage=Stage.NEW,
        ),
    }


@pytest.fixture
def previewed(cast, known):
    """The marketer's upload of ROWS, previewed and waiting for confirmation."""
    client = logged_in(cast.marketer)
    response = upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="salesforce.csv")
    assert response.status_code == 302, text(response)
    job = LeadImport.objects.get()
    assert response["Location"] == page_of(job)
    return client, job


class TestUploadPreviewConfirm:
    def test_the_preview_shows_what_would_happen_and_changes_nothing(self, cast, known):
        leads_before, events_before = Lead.objects.count(), LeadEvent.objects.count()
        client = logged_in(cast.marketer)
        assert client.get(UPLOAD_URL).status_code == 200

        response = upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="salesforce.csv")
        job = LeadImport.objects.get()
        assert (job.status, job.layout, job.total, job.uploaded_by) == (
            Status.PREVIEWED,
            "Salesforce",
            5,
            cast.marketer,
        )

        page = client.get(response["Location"])
        assert page.status_code == 200
        assert "Preview — nothing has changed yet" in text(page)
        assert figures(page) == {
            "Rows": 5,
            "Would create": 2,
            "of which flagged as likely duplicates": 1,
            "Would update": 1,
            "Unchanged (already in Accord as they are)": 0,
            "Imported with warnings": 0,
            "Rejected": 2,
        }
        assert error_rows(page) == [
            (4, "email", f"'not-an-email' is not a valid email address. {NO_IDENTITY}"),
            (5, "email", NO_IDENTITY),
        ]
        content = text(page)
        # The button says what confirming does.
        assert "Create 2, update 1, reject 2" in content
        # The flagged row names the lead it looks like.
        assert f"(lead #{known['lovelace'].pk})" in content

        assert Lead.objects.count() == leads_before
        assert LeadEvent.objects.count() == events_before
        assert not Source.objects.filter(name="Webinar").exists()
        assert not DuplicateCandidate.objects.exists()
        known["turing"].refresh_from_db()
        assert known["turing"].title == "Cryptanalyst"

    def test_confirming_imports_and_shows_the_result(self, cast, known, previewed):
        client, job = previewed
        leads_before = Lead.objects.count()

        response = client.post(page_of(job), {"action": "confirm"}, follow=True)
        assert response.status_code == 200
        assert "salesforce.csv is imported." in messages_of(response)
        job.refresh_from_db()
        assert job.status == Status.DONE and job.finished_at is not None

        assert "Imported" in text(response) and "Preview — nothing has changed yet" not in text(response)
        assert figures(response) == {
            "Rows": 5,
            "Created": 2,
            "of which flagged as likely duplicates": 1,
            "Updated": 1,
            "Unchanged (already in Accord as they are)": 0,
            "Imported with warnings": 0,
            "Rejected": 2,
        }
        assert 'value="confirm"' not in text(response)

        assert Lead.objects.count() == leads_before + 2
        ada = Lead.objects.get(email="ada@engines.example")
        assert (ada.salesforce_id, ada.source.name, ada.stage) == ("00Q000000000001AAA", "Webinar", Stage.NEW)
        grace = Lead.objects.get(email="grace@navy.example")
        assert grace.source == cast.source  # no LeadSource: the upload's default source
        assert grace.created_at == datetime(2024, 3, 15, 14, 30, tzinfo=UTC)
        known["turing"].refresh_from_db()
        assert known["turing"].title == "Head of Hut 8"
        assert not Lead.objects.filter(last_name="Babbage").exists()
        assert not Lead.objects.filter(last_name="Somerville").exists()
        candidate = DuplicateCandidate.objects.get()
        assert (candidate.lead, candidate.likely_duplicate_of) == (ada, known["lovelace"])
        assert "Review the likely duplicates" in text(response)
        imported = LeadEvent.objects.filter(kind=LeadEvent.Kind.IMPORTED)
        assert imported.count() == 3
        assert {event.details["import"] for event in imported} == {job.pk}

    def test_a_second_confirm_does_nothing(self, cast, known, previewed):
        client, job = previewed
        client.post(page_of(job), {"action": "confirm"})
        leads, events = Lead.objects.count(), LeadEvent.objects.count()
        job.refresh_from_db()
        result = job.result

        response = client.post(page_of(job), {"action": "confirm"}, follow=True)
        assert "This file is not waiting for confirmation any more." in messages_of(response)
        assert (Lead.objects.count(), LeadEvent.objects.count()) == (leads, events)
        job.refresh_from_db()
        assert job.status == Status.DONE and job.result == result

    def test_discarding_deletes_the_upload_and_imports_nothing(self, cast, known, previewed):
        client, job = previewed
        storage, stored_name = job.file.storage, job.file.name
        assert storage.exists(stored_name)
        leads = Lead.objects.count()

        response = client.post(page_of(job), {"action": "discard"}, follow=True)
        assert response.redirect_chain[-1][0] == LIST_URL
        assert "salesforce.csv was discarded; nothing was imported." in messages_of(response)
        assert not LeadImport.objects.exists()
        assert not storage.exists(stored_name)
        assert Lead.objects.count() == leads

    def test_an_import_that_ran_cannot_be_discarded(self, cast, known, previewed):
        client, job = previewed
        client.post(page_of(job), {"action": "confirm"})
        response = client.post(page_of(job), {"action": "discard"}, follow=True)
        assert "An import that ran or is running is kept as a record." in messages_of(response)
        assert LeadImport.objects.filter(pk=job.pk, status=Status.DONE).exists()

    def test_the_list_shows_the_outcome(self, cast, known, previewed):
        client, _job = previewed
        response = client.get(LIST_URL)
        assert response.status_code == 200
        assert "would be: 2 created (1 flagged), 1 updated, 0 unchanged, 2 rejected" in text(response)

    def test_the_preview_lists_the_sources_it_would_create(self, cast, known, previewed):
        client, job = previewed
        assert job.preview["new_sources"] == ["Webinar"]
        page = client.get(page_of(job))
        assert "Sources Accord does not know yet" in text(page)
        # Nothing is created without being shown: the file's value, and what it would become.
        field = page.context["confirm_form"]["source_0"]
        assert (field.label, field.value()) == ("Webinar", "new:passive")
        assert not Source.objects.filter(name="Webinar").exists()

    def test_the_result_lists_the_sources_it_created(self, cast, known, previewed):
        client, job = previewed
        response = client.post(page_of(job), {"action": "confirm"}, follow=True)
        assert "New sources created: Webinar" in text(response)
        assert Source.objects.get(name="Webinar").interest == Source.Interest.PASSIVE

    def test_a_strict_import_with_a_failing_row_imports_nothing(self, cast, known):
        client = logged_in(cast.marketer)
        leads, events = Lead.objects.count(), LeadEvent.objects.count()
        upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="strict.csv", strict="on")
        job = LeadImport.objects.get()
        assert job.strict
        response = client.post(page_of(job), {"action": "confirm"}, follow=True)
        job.refresh_from_db()
        assert job.status == Status.DONE and job.result["strict_failed"]
        assert "Nothing was imported: the import is strict and 2 row(s) failed." in text(response)
        assert figures(response)["Created"] == 0 and figures(response)["Updated"] == 0
        assert (Lead.objects.count(), LeadEvent.objects.count()) == (leads, events)
        known["turing"].refresh_from_db()
        assert known["turing"].title == "Cryptanalyst"

    def test_an_accord_xlsx_export_uploads_back_unchanged(self, cast, known):
        client = logged_in(cast.marketer)
        export = client.get("/leads/export.xlsx")
        leads, events = Lead.objects.count(), LeadEvent.objects.count()
        upload(client, export.content, cast.source, name="accord.xlsx")
        job = LeadImport.objects.get()
        assert job.layout == "Accord export"
        client.post(page_of(job), {"action": "confirm"})
        job.refresh_from_db()
        assert (job.result["rows"], job.result["unchanged"]) == (leads, leads)
        assert (Lead.objects.count(), LeadEvent.objects.count()) == (leads, events)


class TestRejectedRows:
    def test_the_download_holds_the_rejected_rows_with_the_reason(self, cast, known, previewed):
        client, job = previewed
        client.post(page_of(job), {"action": "confirm"})
        page = client.get(page_of(job))
        link = f"/admin/leads/leadimport/{job.pk}/rejected.csv"
        assert f'href="{link}"' in page.content.decode()

        response = client.get(link)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="salesforce-rejected.csv"' in response["Content-Disposition"]
        table = csv_table(streamed(response))
        assert table == [
            [*SALESFORCE_HEADER, "Rejected because"],
            [*ROWS[3], f"email: 'not-an-email' is not a valid email address. {NO_IDENTITY}"],
            [*ROWS[4], f"email: {NO_IDENTITY}"],
        ]

    def test_the_fixed_file_uploads_and_imports(self, cast, known, previewed):
        client, job = previewed
        client.post(page_of(job), {"action": "confirm"})
        table = csv_table(streamed(client.get(f"/admin/leads/leadimport/{job.pk}/rejected.csv")))
        header, rows = table[0], table[1:]
        email = header.index("Email")
        rows[0][email] = "charles@difference.example"
        rows[1][email] = "mary@somerville.example"
        buffer = io.StringIO()
        csv.writer(buffer).writerows([header, *rows])

        response = upload(client, buffer.getvalue().encode("utf-8-sig"), cast.source, name="fixed.csv")
        fixed = LeadImport.objects.exclude(pk=job.pk).get()
        assert response["Location"] == page_of(fixed)
        preview = client.get(page_of(fixed))
        assert figures(preview)["Would create"] == 2
        assert figures(preview)["Rejected"] == 0
        assert "Columns not imported: Rejected because" in text(preview)

        client.post(page_of(fixed), {"action": "confirm"})
        fixed.refresh_from_db()
        assert fixed.status == Status.DONE
        assert Lead.objects.filter(last_name="Babbage", email="charles@difference.example").exists()
        assert Lead.objects.filter(first_name="Mary", last_name="Somerville", email="mary@somerville.example").exists()

    @pytest.mark.parametrize(
        "file_name, disposition",
        [
            (
                'Überblick "東京".csv',
                "attachment; filename*=utf-8''%C3%9Cberblick%20%22%E6%9D%B1%E4%BA%AC%22-rejected.csv",
            ),
            ('say "hi".csv', 'attachment; filename="say \\"hi\\"-rejected.csv"'),
        ],
        ids=["non-latin", "quotes"],
    )
    def test_the_download_is_an_attachment_whatever_the_file_was_called(self, cast, file_name, disposition):
        client = logged_in(cast.marketer)
        upload(client, csv_bytes(SALESFORCE_HEADER, ROWS[3:]), cast.source, name=file_name)
        job = LeadImport.objects.get()
        response = client.get(f"/admin/leads/leadimport/{job.pk}/rejected.csv")
        assert response["Content-Disposition"] == disposition
        assert len(csv_table(streamed(response))) == 3

    def test_a_preview_offers_its_rejected_rows_too(self, cast, known, previewed):
        client, job = previewed
        table = csv_table(streamed(client.get(f"/admin/leads/leadimport/{job.pk}/rejected.csv")))
        assert [row[2] for row in table[1:]] == ["Babbage", "Somerville"]


class TestUnreadableFiles:
    @pytest.mark.parametrize(
        "name, data, message",
        [
            (
                "garbage.csv",
                b"\x81\x8d\x8f\x90\x9d" * 40,
                "The file is neither UTF-8 nor Windows-1252 text",
            ),
            ("empty.csv", b"", "The submitted file is empty."),
            ("blank.csv", b"\r\n\r\n  \r\n", "The file is empty."),
            ("header.csv", b"Id,FirstName,LastName,Email,LeadSource\r\n", "The file has a header but no rows."),
            ("book.xlsx", b"Id,FirstName\r\n1,Ada\r\n", "is not an XLSX file"),
        ],
        ids=["not-text", "empty", "blank", "header-only", "fake-xlsx"],
    )
    def test_it_is_a_form_error_and_nothing_is_saved(self, cast, name, data, message):
        leads = Lead.objects.count()
        response = upload(logged_in(cast.marketer), data, cast.source, name=name)
        assert response.status_code == 200
        errors = response.context["form"].errors["file"]
        assert any(message in error for error in errors), errors
        assert message in text(response)
        assert not LeadImport.objects.exists()
        assert Lead.objects.count() == leads

    def test_the_default_source_is_asked_for_only_when_a_row_names_none(self, cast):
        client = logged_in(cast.marketer)
        # Every row names its source: no default is needed, and none is asked for.
        client.post(UPLOAD_URL, {"file": SimpleUploadedFile("a.csv", csv_bytes(SALESFORCE_HEADER, ROWS[:1]))})
        named = LeadImport.objects.get(file_name="a.csv")
        assert named.preview["rows_without_source"] == 0
        page = client.get(page_of(named))
        assert page.context["confirm_form"]["default_source"].is_hidden
        client.post(page_of(named), {"action": "confirm"})
        assert Lead.objects.get(email="ada@engines.example").source.name == "Webinar"

        # A row without one: the preview asks, and the import waits for the answer.
        client.post(UPLOAD_URL, {"file": SimpleUploadedFile("b.csv", csv_bytes(SALESFORCE_HEADER, ROWS[1:2]))})
        unnamed = LeadImport.objects.get(file_name="b.csv")
        assert unnamed.preview["rows_without_source"] == 1
        page = client.get(page_of(unnamed))
        assert "1 new lead names no source in the file." in text(page)
        refused = client.post(page_of(unnamed), {"action": "confirm"})
        assert refused.status_code == 200
        assert "default_source" in refused.context["confirm_form"].errors
        unnamed.refresh_from_db()
        assert unnamed.status == Status.PREVIEWED and not Lead.objects.filter(email="grace@navy.example").exists()
        client.post(page_of(unnamed), {"action": "confirm", "default_source": cast.source.pk})
        assert Lead.objects.get(email="grace@navy.example").source == cast.source


# --- other layouts: a column mapping ---------------------------------------------------------

TRADE_SHOW_HEADER = ["Surname", "Given name", "E-mail address", "Organisation", "Visited on", "Badge"]
TRADE_SHOW_ROWS = [
    ["Hamilton", "Margaret", "margaret@apollo.example", "Select", "03/04/2025", "A-1"],
    ["Johnson", "Katherine", "katherine@nasa.example", "NASA", "22/11/2025", "A-2"],
]


def mapping_post(**overrides) -> dict:
    data = {
        "action": "map",
        "name": "Trade show",
        "empty_values": "Select\nN/A",
        "dates": "day_first",
        "column_0": "last_name",
        "column_1": "first_name",
        "column_2": "email",
        "column_3": "company",
        "column_4": "created_at",
        "column_5": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def unmapped(cast):
    client = logged_in(cast.marketer)
    upload(client, csv_bytes(TRADE_SHOW_HEADER, TRADE_SHOW_ROWS), cast.source, name="trade-show.csv")
    job = LeadImport.objects.get()
    return client, job


class TestColumnMapping:
    def test_an_unknown_layout_asks_for_a_mapping(self, cast, unmapped):
        client, job = unmapped
        assert (job.status, job.layout) == (Status.PREVIEWING, "")
        page = client.get(page_of(job))
        assert page.status_code == 200
        assert next(t.name for t in page.templates) == "admin/leads/leadimport/mapping.html"
        content = text(page)
        assert "Accord does not recognise the columns of <strong>trade-show.csv</strong> as an export" in content
        for index, column in enumerate(TRADE_SHOW_HEADER):
            assert f'name="column_{index}"' in content
            assert column in content
        assert not ImportMapping.objects.exists()

    def test_saving_a_mapping_previews_with_it(self, cast, unmapped):
        client, job = unmapped
        response = client.post(page_of(job), mapping_post())
        assert response.status_code == 302
        mapping = ImportMapping.objects.get()
        assert mapping.name == "Trade show" and mapping.created_by == cast.marketer
        assert mapping.columns == {
            "Surname": "last_name",
            "Given name": "first_name",
            "E-mail address": "email",
            "Organisation": "company",
            "Visited on": "created_at",
        }
        assert mapping.empty_values == ["Select", "N/A"]
        assert mapping.day_first is True
        job.refresh_from_db()
        assert (job.status, job.layout, job.mapping, job.day_first) == (Status.PREVIEWED, "Trade show", mapping, True)

        page = client.get(page_of(job))
        assert figures(page)["Would create"] == 2 and figures(page)["Rejected"] == 0
        assert "read as <strong>Trade show</strong>" in page.content.decode()
        assert "Columns not imported: Badge" in text(page)

        client.post(page_of(job), {"action": "confirm"})
        margaret = Lead.objects.get(email="margaret@apollo.example")
        assert (margaret.first_name, margaret.last_name) == ("Margaret", "Hamilton")
        assert margaret.company == ""  # "Select" means empty in this file
        # Day first: 3 April, not 4 March.
        assert timezone.localtime(margaret.created_at).date().isoformat() == "2025-04-03"
        assert Lead.objects.get(email="katherine@nasa.example").company == "NASA"

    def test_a_saved_mapping_is_chosen_on_the_upload_page(self, cast, unmapped):
        client, job = unmapped
        client.post(page_of(job), mapping_post())
        mapping = ImportMapping.objects.get()
        assert f'<option value="{mapping.pk}">Trade show</option>' in client.get(UPLOAD_URL).content.decode()

        rows = [["Ride", "Sally", "sally@nasa.example", "N/A", "04/05/2025", "B-7"]]
        response = upload(
            client, csv_bytes(TRADE_SHOW_HEADER, rows), cast.source, name="next-show.csv", mapping=mapping.pk
        )
        second = LeadImport.objects.get(file_name="next-show.csv")
        assert response["Location"] == page_of(second)
        assert (second.status, second.mapping, second.layout, second.day_first) == (
            Status.PREVIEWED,
            mapping,
            "Trade show",
            True,
        )
        assert ImportMapping.objects.count() == 1
        page = client.get(page_of(second))
        assert next(t.name for t in page.templates) == "admin/leads/leadimport/status.html"
        assert figures(page)["Would create"] == 1

        client.post(page_of(second), {"action": "confirm"})
        sally = Lead.objects.get(email="sally@nasa.example")
        assert sally.company == ""  # "N/A" is empty too
        assert timezone.localtime(sally.created_at).date().isoformat() == "2025-05-04"

    @pytest.mark.parametrize(
        "overrides, message",
        [
            (
                {"column_2": ""},
                "Map a column to the email, the phone or an external id: a lead needs one of them to be told apart.",
            ),
            ({"name": "   "}, "This field is required."),
            ({"column_5": "no_such_field"}, "Select a valid choice."),
        ],
        ids=["no-email-phone-or-id", "blank-name", "tampered-field"],
    )
    def test_an_invalid_mapping_says_why_and_saves_nothing(self, cast, unmapped, overrides, message):
        client, job = unmapped
        response = client.post(page_of(job), mapping_post(**overrides))
        assert response.status_code == 200
        assert message in text(response)
        assert next(t.name for t in response.templates) == "admin/leads/leadimport/mapping.html"
        assert not ImportMapping.objects.exists()
        job.refresh_from_db()
        assert (job.status, job.layout, job.mapping) == (Status.PREVIEWING, "", None)
        # What was chosen is kept on the page.
        assert "Select\nN/A</textarea>" in response.content.decode()

    def test_a_mapping_without_a_name_column_imports_leads_by_their_email(self, cast, unmapped):
        client, job = unmapped
        response = client.post(page_of(job), mapping_post(column_0="", column_1=""))
        assert response.status_code == 302
        assert ImportMapping.objects.get().columns == {
            "E-mail address": "email",
            "Organisation": "company",
            "Visited on": "created_at",
        }
        page = client.get(page_of(job))
        assert figures(page)["Would create"] == 2 and figures(page)["Rejected"] == 0

        client.post(page_of(job), {"action": "confirm"})
        margaret = Lead.objects.get(email="margaret@apollo.example")
        assert (margaret.first_name, margaret.last_name, margaret.full_name) == ("", "", "margaret@apollo.example")

    def test_a_mapping_with_only_an_external_id_to_tell_leads_apart_is_saved(self, cast, unmapped):
        client, job = unmapped
        response = client.post(page_of(job), mapping_post(column_2="", column_5="external_id"))
        assert response.status_code == 302
        assert ImportMapping.objects.get().columns["Badge"] == "external_id"
        client.post(page_of(job), {"action": "confirm"})
        job.refresh_from_db()
        assert (job.status, job.result["created"], job.result["rejected"]) == (Status.DONE, 2, 0)
        badges = ExternalId.objects.filter(system="Trade show").select_related("lead")
        assert {(badge.value, badge.lead.last_name, badge.lead.email) for badge in badges} == {
            ("A-1", "Hamilton", ""),
            ("A-2", "Johnson", ""),
        }

    def test_the_day_first_choice_of_the_upload_is_kept_on_the_mapping_page(self, cast):
        client = logged_in(cast.marketer)
        upload(client, csv_bytes(TRADE_SHOW_HEADER, TRADE_SHOW_ROWS), cast.source, name="eu.csv", day_first="on")
        job = LeadImport.objects.get()
        assert job.day_first
        page = client.get(page_of(job))
        assert page.context["form"]["dates"].value() == "day_first"
        assert re.search(r'<input type="radio" name="dates" value="day_first"[^>]*checked', page.content.decode())

    def test_a_file_waiting_for_a_mapping_can_be_discarded(self, cast, unmapped):
        client, job = unmapped
        page = client.get(page_of(job)).content.decode()
        assert re.search(r'<button[^>]*name="action"[^>]*value="discard"', page)
        response = client.post(page_of(job), {"action": "discard"}, follow=True)
        assert "trade-show.csv was discarded; nothing was imported." in messages_of(response)
        assert not LeadImport.objects.exists() and not ImportMapping.objects.exists()

    def test_a_mapping_name_in_use_is_refused(self, cast, unmapped):
        client, job = unmapped
        ImportMapping.objects.create(name="Trade Show", columns={"x": "email"}, created_at=timezone.now())
        response = client.post(page_of(job), mapping_post(name="trade show"))
        assert response.status_code == 200
        assert "A mapping called 'trade show' exists already" in text(response)
        assert ImportMapping.objects.count() == 1
        job.refresh_from_db()
        assert (job.status, job.mapping) == (Status.PREVIEWING, None)


# --- large files: a worker previews and imports them ------------------------------------------


@pytest.fixture
def small_inline_limit(settings):
    settings.ACCORD_IMPORT_INLINE_ROWS = 2


class TestBackground:
    def test_a_large_file_is_previewed_and_imported_in_the_background(self, cast, known, small_inline_limit):
        client = logged_in(cast.marketer)
        leads = Lead.objects.count()
        upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="big.csv")
        job = LeadImport.objects.get()
        # The request counts no further than it needs to know the file is large.
        assert (job.status, job.total, job.done) == (Status.PREVIEWING, 3, 0)

        page = client.get(page_of(job))
        content = page.content.decode()
        assert '<meta http-equiv="refresh"' in content
        assert '<progress value="0" max="3"' in content
        assert 'value="confirm"' not in content

        preview = jobs.import_execute(import_id=job.pk, dry_run=True)  # what the worker runs
        job.refresh_from_db()
        assert (job.status, job.total, job.done) == (Status.PREVIEWED, 5, 5)
        assert (preview["created"], preview["updated"], preview["flagged"], preview["rejected"]) == (2, 1, 1, 2)
        assert job.preview == preview
        assert Lead.objects.count() == leads
        page = client.get(page_of(job))
        assert '<meta http-equiv="refresh"' not in page.content.decode()
        assert figures(page)["Would create"] == 2

        client.post(page_of(job), {"action": "confirm"})
        job.refresh_from_db()
        assert (job.status, job.done) == (Status.QUEUED, 0)
        assert Lead.objects.count() == leads  # the worker has not run yet
        page = client.get(page_of(job)).content.decode()
        assert "Importing: 0 of 5 rows" in page and "<progress" in page

        result = jobs.import_execute(import_id=job.pk, dry_run=False)
        job.refresh_from_db()
        assert (job.status, job.done) == (Status.DONE, 5)
        assert (result["created"], result["updated"], result["flagged"], result["rejected"]) == (2, 1, 1, 2)
        assert job.result == result
        assert Lead.objects.count() == leads + 2
        notification = Notification.objects.get(recipient=cast.marketer, kind=Notification.Kind.IMPORT)
        assert notification.message == "big.csv: 2 leads created, 1 updated, 2 rows rejected."
        assert notification.link == page_of(job)

        # A redelivered task changes nothing.
        again = jobs.import_execute(import_id=job.pk, dry_run=False)
        assert again == result and Lead.objects.count() == leads + 2

    def test_a_late_preview_task_does_not_undo_a_confirmation(self, cast, known, small_inline_limit):
        client = logged_in(cast.marketer)
        upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="big.csv")
        job = LeadImport.objects.get()
        preview = jobs.import_execute(import_id=job.pk, dry_run=True)
        client.post(page_of(job), {"action": "confirm"})

        # The preview task delivered a second time (acks_late, a worker restart) after the confirm.
        assert jobs.import_execute(import_id=job.pk, dry_run=True) == preview
        job.refresh_from_db()
        assert job.status == Status.QUEUED
        assert 'value="confirm"' not in client.get(page_of(job)).content.decode()
        jobs.import_execute(import_id=job.pk, dry_run=False)
        job.refresh_from_db()
        assert job.status == Status.DONE

    def test_an_import_task_for_an_unconfirmed_file_imports_nothing(self, cast, known, small_inline_limit):
        client = logged_in(cast.marketer)
        upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="big.csv")
        job = LeadImport.objects.get()
        leads = Lead.objects.count()
        jobs.import_execute(import_id=job.pk, dry_run=False)  # before any preview
        jobs.import_execute(import_id=job.pk, dry_run=True)
        jobs.import_execute(import_id=job.pk, dry_run=False)  # previewed, not confirmed
        job.refresh_from_db()
        assert job.status == Status.PREVIEWED and job.result == {}
        assert Lead.objects.count() == leads

    def test_discarding_a_stale_page_after_the_import_ran_is_refused(self, cast, known, previewed):
        client, job = previewed
        stale = LeadImport.objects.get(pk=job.pk)  # as the discard of a second tab saw it
        client.post(page_of(job), {"action": "confirm"})
        with pytest.raises(LeadError, match="kept as a record"):
            jobs.lead_import_discard(job=stale, by=cast.marketer)
        job.refresh_from_db()
        assert job.status == Status.DONE and job.file.storage.exists(job.file.name)

    def test_a_broker_outage_keeps_the_upload_waiting_for_the_worker(
        self, cast, small_inline_limit, django_capture_on_commit_callbacks
    ):
        from outbox import services as outbox

        client = logged_in(cast.marketer)
        previous = celery_app.conf.broker_url
        use_broker("redis://127.0.0.1:9/0", max_retries=0)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="big.csv")
        finally:
            use_broker(previous)
        job = LeadImport.objects.get()
        assert job.status == Status.PREVIEWING
        waiting = outbox.unsent().get()
        assert (waiting.payload["task"], waiting.payload["args"]) == ("leads.tasks.run_import", [job.pk, True])
        assert outbox.relay_due(now=waiting.next_attempt_at)["sent"] == 1  # the broker is back

    def test_a_broker_outage_at_confirm_keeps_the_import_queued_and_writes_nothing(
        self, cast, known, small_inline_limit, django_capture_on_commit_callbacks
    ):
        client = logged_in(cast.marketer)
        upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="big.csv")
        job = LeadImport.objects.get()
        jobs.import_execute(import_id=job.pk, dry_run=True)
        leads = Lead.objects.count()
        previous = celery_app.conf.broker_url
        use_broker("redis://127.0.0.1:9/0", max_retries=0)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                client.post(page_of(job), {"action": "confirm"})
        finally:
            use_broker(previous)
        job.refresh_from_db()
        assert job.status == Status.QUEUED
        assert Lead.objects.count() == leads
        jobs.import_execute(import_id=job.pk, dry_run=False)  # what the worker does once it is reachable
        job.refresh_from_db()
        assert job.status == Status.DONE

    @pytest.mark.parametrize("step", ["preview", "import"])
    def test_an_unexpected_error_fails_the_import_instead_of_leaving_it_running(self, cast, known, monkeypatch, step):
        client = logged_in(cast.marketer)
        leads = Lead.objects.count()

        def broken(**kwargs):
            raise RuntimeError("disk on fire")

        if step == "preview":
            monkeypatch.setattr(jobs, "leads_import", broken)
        upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="small.csv")
        job = LeadImport.objects.get()
        if step == "import":
            monkeypatch.setattr(jobs, "leads_import", broken)
            response = client.post(page_of(job), {"action": "confirm"})
            assert response.status_code == 302
        job.refresh_from_db()
        assert job.status == Status.FAILED
        assert "An unexpected error stopped the" in job.failure
        page = client.get(page_of(job)).content.decode()
        assert "An unexpected error stopped the" in page and '<meta http-equiv="refresh"' not in page
        assert Lead.objects.count() == leads
        client.post(page_of(job), {"action": "discard"})
        assert not LeadImport.objects.exists()

    def test_a_file_that_became_unreadable_fails_with_the_reason(self, cast, known, small_inline_limit):
        client = logged_in(cast.marketer)
        upload(client, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="big.csv")
        job = LeadImport.objects.get()
        with job.file.open("wb") as file:
            file.write(b"\x81\x8d\x8f\x90\x9d")
        outcome = jobs.import_execute(import_id=job.pk, dry_run=True)
        job.refresh_from_db()
        assert job.status == Status.FAILED
        assert "neither UTF-8 nor Windows-1252" in job.failure
        assert outcome == {"failure": job.failure}


# --- who may do what -------------------------------------------------------------------------

SALES = ["rep", "manager", "vp"]


@pytest.fixture
def pair(make_lead):
    older = make_lead(
        first_name="Jon",
        last_name="Smith",
        email="jon@initech.example",
        company_domain="initech.example",
        stage=Stage.NEW,
        created_at=timezone.now() - timedelta(days=30),
    )
    newer = make_lead(
        first_name="John",
        last_name="Smith",
        email="john.smith@initech.example",
        company_domain="initech.example",
        phone="+14155550132",
        stage=Stage.NEW,
    )
    candidate = DuplicateCandidate.objects.create(
        lead=newer, likely_duplicate_of=older, similarity=95, reason="Same company domain", found_at=timezone.now()
    )
    return older, newer, candidate


class TestPermissions:
    @pytest.mark.parametrize("role", SALES)
    def test_sales_roles_get_nothing_of_imports_or_duplicates(self, cast, known, previewed, pair, role):
        _, job = previewed
        _, _, candidate = pair
        client = logged_in(getattr(cast, role))
        denied = (403, 404)
        for url in (
            LIST_URL,
            UPLOAD_URL,
            page_of(job),
            f"/admin/leads/leadimport/{job.pk}/rejected.csv",
            "/admin/leads/importmapping/",
            "/admin/leads/duplicatecandidate/",
            f"/admin/leads/duplicatecandidate/{candidate.pk}/change/",
            f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/",
        ):
            assert client.get(url).status_code in denied, url
        index = client.get("/admin/")
        if index.status_code == 200:
            assert "/admin/leads/leadimport/" not in index.content.decode()
            assert "/admin/leads/duplicatecandidate/" not in index.content.decode()

        leads = Lead.objects.count()
        for data in ({"action": "confirm"}, {"action": "discard"}):
            assert client.post(page_of(job), data).status_code in denied
        assert client.post(UPLOAD_URL, {"default_source": cast.source.pk}).status_code in denied
        for action in ("merge", "dismiss"):
            assert (
                client.post(f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/", {"action": action}).status_code
                in denied
            )
        job.refresh_from_db()
        candidate.refresh_from_db()
        assert job.status == Status.PREVIEWED
        assert candidate.status == DuplicateCandidate.Status.OPEN
        assert Lead.objects.count() == leads
        assert not Lead.objects.filter(stage=Stage.MERGED).exists()

    @pytest.mark.parametrize("role, status", [("rep", 403), ("manager", 404), ("vp", 404)])
    def test_the_exact_refusals(self, cast, known, previewed, role, status):
        _, job = previewed
        client = logged_in(getattr(cast, role))
        assert client.get(page_of(job)).status_code == status
        assert client.get(f"/admin/leads/leadimport/{job.pk}/rejected.csv").status_code == status
        assert client.get(UPLOAD_URL).status_code == 403
        assert client.get(LIST_URL).status_code == 403

    def test_a_marketer_cannot_confirm_someone_elses_import(self, cast, known):
        cmo = logged_in(cast.cmo)
        upload(cmo, csv_bytes(SALESFORCE_HEADER, ROWS), cast.source, name="cmo.csv")
        job = LeadImport.objects.get()
        leads = Lead.objects.count()

        marketer = logged_in(cast.marketer)
        page = marketer.get(page_of(job))
        assert page.status_code == 200  # marketing sees each other's imports …
        assert 'value="confirm"' not in page.content.decode()  # … but confirms only their own
        assert marketer.post(page_of(job), {"action": "confirm"}).status_code == 403
        assert marketer.post(page_of(job), {"action": "discard"}).status_code == 403
        job.refresh_from_db()
        assert job.status == Status.PREVIEWED
        assert Lead.objects.count() == leads

    def test_a_marketer_cannot_map_someone_elses_file(self, cast):
        cmo = logged_in(cast.cmo)
        upload(cmo, csv_bytes(TRADE_SHOW_HEADER, TRADE_SHOW_ROWS), cast.source, name="trade-show.csv")
        job = LeadImport.objects.get()
        assert logged_in(cast.marketer).post(page_of(job), mapping_post()).status_code == 403
        assert not ImportMapping.objects.exists()

    def test_an_unknown_import_is_404(self, cast):
        client = logged_in(cast.marketer)
        assert client.get("/admin/leads/leadimport/999999/change/").status_code == 404
        assert client.get("/admin/leads/leadimport/999999/rejected.csv").status_code == 404


# --- reviewing likely duplicates -------------------------------------------------------------


class TestDuplicateReview:
    def test_the_page_shows_both_leads(self, cast, pair):
        older, newer, candidate = pair
        response = logged_in(cast.marketer).get(f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/")
        assert response.status_code == 200
        content = text(response)
        assert "jon@initech.example" in content and "john.smith@initech.example" in content
        assert response.context["survivor"] == older and response.context["duplicate"] == newer
        assert 'value="merge"' in content and 'value="dismiss"' in content

    def test_merging_keeps_the_older_lead(self, cast, pair):
        older, newer, candidate = pair
        response = logged_in(cast.marketer).post(
            f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/", {"action": "merge"}, follow=True
        )
        assert f"Merged into {older} (lead #{older.pk})." in messages_of(response)
        older.refresh_from_db()
        newer.refresh_from_db()
        candidate.refresh_from_db()
        assert newer.stage == Stage.MERGED
        assert older.stage == Stage.NEW
        assert older.phone == "+14155550132"  # filled from the newer lead
        assert (candidate.status, candidate.resolved_by) == (DuplicateCandidate.Status.MERGED, cast.marketer)
        assert LeadEvent.objects.filter(lead=older, kind=LeadEvent.Kind.MERGED).exists()

    def test_dismissing_keeps_both(self, cast, pair):
        older, newer, candidate = pair
        response = logged_in(cast.cmo).post(
            f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/", {"action": "dismiss"}, follow=True
        )
        assert "Recorded as two different people." in messages_of(response)
        candidate.refresh_from_db()
        assert (candidate.status, candidate.resolved_by) == (DuplicateCandidate.Status.DISMISSED, cast.cmo)
        assert set(Lead.objects.filter(pk__in=[older.pk, newer.pk]).values_list("stage", flat=True)) == {Stage.NEW}
        page = logged_in(cast.cmo).get(f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/")
        assert "This pair was resolved: not a duplicate." in text(page)
        assert 'value="merge"' not in page.content.decode()

    def test_a_lead_sales_is_working_is_not_merged_away(self, cast, pair):
        older, newer, candidate = pair
        Lead.objects.filter(pk=newer.pk).update(stage=Stage.ACCEPTED, owner=cast.rep)
        response = logged_in(cast.marketer).post(
            f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/", {"action": "merge"}, follow=True
        )
        refusal = [m for m in messages_of(response) if "can be merged into another" in m]
        assert refusal and "accepted (sal)" in refusal[0].lower()
        newer.refresh_from_db()
        older.refresh_from_db()
        candidate.refresh_from_db()
        assert (newer.stage, newer.owner) == (Stage.ACCEPTED, cast.rep)
        assert older.phone == ""
        assert candidate.status == DuplicateCandidate.Status.OPEN
        assert not LeadEvent.objects.filter(kind=LeadEvent.Kind.MERGED).exists()

    def test_a_resolved_pair_is_not_merged_again(self, cast, pair):
        _older, newer, candidate = pair
        client = logged_in(cast.marketer)
        client.post(f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/", {"action": "dismiss"})
        response = client.post(
            f"/admin/leads/duplicatecandidate/{candidate.pk}/merge/", {"action": "merge"}, follow=True
        )
        assert "This pair was already resolved (not a duplicate)." in messages_of(response)
        newer.refresh_from_db()
        assert newer.stage == Stage.NEW

    def test_dismissing_selected_pairs_from_the_list(self, cast, pair):
        _, _, candidate = pair
        response = logged_in(cast.marketer).post(
            "/admin/leads/duplicatecandidate/",
            {"action": "dismiss_selected", "_selected_action": [candidate.pk], "index": 0},
            follow=True,
        )
        assert "Dismissed 1 pair(s)." in messages_of(response)
        candidate.refresh_from_db()
        assert candidate.status == DuplicateCandidate.Status.DISMISSED


# --- exports ---------------------------------------------------------------------------------


@pytest.fixture
def exportable(cast, make_lead):
    return {
        "formula": make_lead(
            first_name='=HYPERLINK("http://evil.example")',
            last_name="+Plus",
            company="-2+3",
            title="@SUM(A1:A2)",
            industry="\tTabbed",
            country="\rReturn",
            stage=Stage.NEW,
        ),
        "unicode": make_lead(
            first_name="Zoë", last_name="Ångström", company="Société Générale — 東京", stage=Stage.NEW
        ),
        "control": make_lead(last_name="Control", company="Acme\x01Corp\x1f", stage=Stage.NEW),
        "mql": make_lead(last_name="Qualified", stage=Stage.MQL),
        "reps": make_lead(last_name="Repsown", stage=Stage.NEW, owner=cast.rep),
        "teammates": make_lead(last_name="Teammates", stage=Stage.NEW, owner=cast.teammate),
    }


def by_id(table: list[list]) -> dict[str, dict[str, str]]:
    header = table[0]
    return {str(row[0]): dict(zip(header, row, strict=True)) for row in table[1:]}


class TestWorkspaceExport:
    def test_csv_has_the_filtered_leads_with_formulas_escaped(self, cast, exportable):
        response = logged_in(cast.marketer).get("/leads/export.csv?stage=new")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        body = streamed(response)
        assert body.startswith("\ufeff".encode())
        rows = by_id(csv_table(body))
        expected = {lead.pk for key, lead in exportable.items() if key != "mql"}
        assert set(rows) == {str(pk) for pk in expected}

        formula = rows[str(exportable["formula"].pk)]
        assert formula["First name"] == '\'=HYPERLINK("http://evil.example")'
        assert formula["Last name"] == "'+Plus"
        assert formula["Company"] == "'-2+3"
        assert formula["Title"] == "'@SUM(A1:A2)"
        assert formula["Industry"] == "'\tTabbed"
        assert formula["Country"] == "'\rReturn"
        unicode = rows[str(exportable["unicode"].pk)]
        assert (unicode["First name"], unicode["Last name"], unicode["Company"]) == (
            "Zoë",
            "Ångström",
            "Société Générale — 東京",
        )

    def test_a_rep_gets_only_their_own_leads(self, cast, exportable):
        rows = by_id(csv_table(streamed(logged_in(cast.rep).get("/leads/export.csv?stage=new"))))
        assert set(rows) == {str(exportable["reps"].pk)}

    def test_a_manager_gets_their_teams_leads(self, cast, exportable):
        Lead.objects.filter(pk__in=[exportable["reps"].pk, exportable["teammates"].pk]).update(team=cast.team)
        rows = by_id(csv_table(streamed(logged_in(cast.manager).get("/leads/export.csv"))))
        assert set(rows) == {str(exportable["reps"].pk), str(exportable["teammates"].pk)}
        assert by_id(csv_table(streamed(logged_in(cast.other_manager).get("/leads/export.csv")))) == {}

    def test_xlsx_opens_and_holds_the_same_leads(self, cast, exportable):
        response = logged_in(cast.marketer).get("/leads/export.xlsx?stage=new")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.title == "Leads"
        rows = by_id([list(row) for row in sheet.iter_rows(values_only=True)])
        assert set(rows) == {str(lead.pk) for key, lead in exportable.items() if key != "mql"}
        formula = rows[str(exportable["formula"].pk)]
        # Typed string cells: never a formula, and no apostrophe to see (that is CSV's).
        assert formula["First name"] == '=HYPERLINK("http://evil.example")'
        assert formula["Company"] == "-2+3"
        assert formula["Title"] == "@SUM(A1:A2)"
        unicode = rows[str(exportable["unicode"].pk)]
        assert (unicode["First name"], unicode["Last name"], unicode["Company"]) == (
            "Zoë",
            "Ångström",
            "Société Générale — 東京",
        )
        assert rows[str(exportable["control"].pk)]["Company"] == "Acme\ufffdCorp\ufffd"
        # Cells are values, never formulas.
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    def test_the_search_filter_applies_too(self, cast, exportable):
        rows = by_id(csv_table(streamed(logged_in(cast.marketer).get("/leads/export.csv?q=Ångström"))))
        assert set(rows) == {str(exportable["unicode"].pk)}

    def test_an_unknown_format_is_404(self, cast, exportable):
        assert logged_in(cast.marketer).get("/leads/export.pdf").status_code == 404
        assert logged_in(cast.marketer).get("/leads/export.").status_code == 404

    def test_invalid_filters_export_nothing_and_say_so(self, cast, exportable):
        response = logged_in(cast.marketer).get("/leads/export.csv?stage=bogus", follow=True)
        assert response.redirect_chain[-1][0] == "/leads/"
        assert "The filters are not valid, so nothing was exported." in messages_of(response)

    def test_anonymous_people_are_sent_to_log_in(self, exportable):
        response = Client().get("/leads/export.csv")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestAdminExport:
    def post_action(self, user, action: str, leads: list[Lead]):
        return logged_in(user).post(
            "/admin/leads/lead/",
            {"action": action, "_selected_action": [lead.pk for lead in leads], "index": 0},
        )

    def test_csv_of_the_selection(self, cast, exportable):
        chosen = [exportable["formula"], exportable["unicode"]]
        response = self.post_action(cast.marketer, "export_csv", chosen)
        assert response.status_code == 200
        assert 'filename="leads.csv"' in response["Content-Disposition"]
        rows = by_id(csv_table(streamed(response)))
        assert set(rows) == {str(lead.pk) for lead in chosen}
        assert rows[str(exportable["formula"].pk)]["Company"] == "'-2+3"
        assert rows[str(exportable["unicode"].pk)]["Last name"] == "Ångström"

    def test_xlsx_of_the_selection(self, cast, exportable):
        chosen = [exportable["control"], exportable["mql"]]
        response = self.post_action(cast.cmo, "export_xlsx", chosen)
        assert response.status_code == 200
        assert 'filename="leads.xlsx"' in response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = by_id([list(row) for row in sheet.iter_rows(values_only=True)])
        assert set(rows) == {str(lead.pk) for lead in chosen}
        assert rows[str(exportable["control"].pk)]["Company"] == "Acme\ufffdCorp\ufffd"

    def test_a_manager_exports_only_leads_they_may_see(self, cast, exportable):
        Lead.objects.filter(pk=exportable["reps"].pk).update(team=cast.team)
        response = self.post_action(cast.manager, "export_csv", [exportable["reps"], exportable["unicode"]])
        assert response.status_code == 200
        assert set(by_id(csv_table(streamed(response)))) == {str(exportable["reps"].pk)}
