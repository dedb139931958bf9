"""manage.py import_leads and export_leads: the figures they report, what they write, and the
files they refuse."""

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line
from django.utils import timezone
from openpyxl import load_workbook

from leads.duplicates import duplicate_merge
from leads.exports import HEADER
from leads.models import DuplicateCandidate, ImportMapping, Lead, LeadEvent, Source, Stage

pytestmark = pytest.mark.django_db

SALESFORCE_HEADER = ["Id", "FirstName", "LastName", "Email", "Phone", "Company", "NumberOfEmployees", "LeadSource"]
GOOD = [
    ["00Q000000000001AAA", "Ada", "Lovelace", "ada@engines.example", "(415) 555-0132", "Analytical Engines", "120", ""],
    ["00Q000000000002AAA", "Grace", "Hopper", "grace@navy.example", "", "US Navy", "", "Webinar"],
    ["", "Alan", "Turing", "alan@bletchley.example", "", "Bletchley Park", "1,200", ""],
]
NO_IDENTITY = "A lead needs an email, a phone or an id from the system it came from; this row has none."
BAD = [
    ["", "Charles", "Babbage", "not-an-email", "", "Difference Engines", "", ""],
    ["", "Mary", "Somerville", "mary@somerville.example", "", "", "a dozen", ""],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args) -> tuple[list[str], dict | None]:
    """The command's output lines, and the JSON object of its last line when --json is given."""
    out = io.StringIO()
    call_command(*args, stdout=out)
    lines = out.getvalue().splitlines()
    return lines, json.loads(lines[-1]) if "--json" in args else None


@pytest.fixture
def mixed(tmp_path) -> Path:
    """Three good rows, then two bad ones (rows 4 and 5)."""
    return write_csv(tmp_path / "mixed.csv", SALESFORCE_HEADER, GOOD + BAD)


@pytest.fixture
def good(tmp_path) -> Path:
    return write_csv(tmp_path / "good.csv", SALESFORCE_HEADER, GOOD)


class TestImportLeads:
    def test_json_is_the_last_line_with_the_figures(self, cast, mixed, make_lead):
        make_lead(
            first_name="Alan",
            last_name="Turing",
            email="alan@bletchley.example",
            email_normalized="alan@bletchley.example",
            company="Bletchley Park",
            employees=None,
            stage=Stage.NEW,
        )
        lines, report = run("import_leads", str(mixed), "--json")
        assert report == {
            "rows": 5,
            "created": 3,
            "updated": 1,
            "unchanged": 0,
            "flagged": 0,
            "rejected": 1,
            "errors": [
                {"row": 4, "field": "email", "message": f"'not-an-email' is not a valid email address. {NO_IDENTITY}"}
            ],
            "layout": "Salesforce",
            "unused_columns": [],
            "warnings": [
                {
                    "row": 5,
                    "field": "employees",
                    "message": "'a dozen' is not a whole number of employees; the company size is left empty.",
                    "value": "a dozen",
                }
            ],
        }
        assert lines[0].startswith("Imported mixed.csv (Salesforce): 5 rows, 3 created")
        ada = Lead.objects.get(salesforce_id="00Q000000000001AAA")
        assert (ada.phone, ada.employees, ada.source.name) == ("+14155550132", 120, "Imported file")
        assert Lead.objects.get(email="grace@navy.example").source.name == "Webinar"
        assert Lead.objects.get(email="alan@bletchley.example").employees == 1200
        assert not Lead.objects.filter(last_name="Babbage").exists()
        assert Lead.objects.get(last_name="Somerville").employees is None

    def test_without_json_the_errors_are_listed_for_people(self, cast, mixed):
        lines, _ = run("import_leads", str(mixed))
        assert f"  row 4, email: 'not-an-email' is not a valid email address. {NO_IDENTITY}" in lines
        assert "1 rows were imported without a cell they held (warnings):" in lines
        assert (
            "  row 5, employees: 'a dozen' is not a whole number of employees; the company size is left empty."
            " (was: 'a dozen')" in lines
        )
        with pytest.raises(json.JSONDecodeError):
            json.loads(lines[-1])

    def test_exit_status_is_zero_with_rejected_rows_and_not_when_nothing_is_read(self, cast, mixed, tmp_path, capsys):
        # As a scheduler runs it: through manage.py's command line, which turns CommandError into exit 1.
        execute_from_command_line(["manage.py", "import_leads", str(mixed), "--json"])  # no SystemExit: status 0
        report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert (report["rows"], report["rejected"]) == (5, 1)

        with pytest.raises(SystemExit) as exited:
            execute_from_command_line(["manage.py", "import_leads", str(tmp_path / "missing.csv"), "--json"])
        assert exited.value.code != 0
        assert "Cannot read" in capsys.readouterr().err

    def test_dry_run_writes_nothing(self, cast, mixed):
        leads, events, sources = Lead.objects.count(), LeadEvent.objects.count(), Source.objects.count()
        lines, report = run("import_leads", str(mixed), "--dry-run", "--json")
        assert lines[0].startswith("Would import mixed.csv (Salesforce): 5 rows, 4 created")
        assert (report["created"], report["rejected"]) == (4, 1)
        assert (Lead.objects.count(), LeadEvent.objects.count(), Source.objects.count()) == (leads, events, sources)
        assert not Source.objects.filter(name__in=["Imported file", "Webinar"]).exists()

    def test_strict_imports_nothing_when_a_row_fails(self, cast, mixed):
        leads, events = Lead.objects.count(), LeadEvent.objects.count()
        lines, report = run("import_leads", str(mixed), "--strict", "--json")
        assert "Nothing was imported: --strict and some rows failed." in lines
        assert (report["created"], report["updated"], report["unchanged"], report["rejected"]) == (0, 0, 0, 2)
        # Strict: the row with a warning (a head count that is no number) fails too.
        assert [error["row"] for error in report["errors"]] == [4, 5]
        assert (Lead.objects.count(), LeadEvent.objects.count()) == (leads, events)
        assert not Source.objects.filter(name="Webinar").exists()

    def test_a_file_whose_rows_all_name_their_source_adds_no_default_source(self, cast, tmp_path):
        path = write_csv(tmp_path / "named.csv", SALESFORCE_HEADER, [GOOD[1]])
        _, report = run("import_leads", str(path), "--json")
        assert (report["created"], report["rejected"]) == (1, 0)
        assert Lead.objects.get().source.name == "Webinar"
        assert not Source.objects.filter(name="Imported file").exists()

    def test_strict_imports_everything_when_no_row_fails(self, cast, good):
        leads = Lead.objects.count()
        _, report = run("import_leads", str(good), "--strict", "--json")
        assert (report["created"], report["rejected"], report["errors"]) == (3, 0, [])
        assert Lead.objects.count() == leads + 3

    def test_a_saved_mapping_reads_another_layout(self, cast, tmp_path):
        ImportMapping.objects.create(
            name="Trade show",
            columns={"Surname": "last_name", "Given name": "first_name", "E-mail": "email", "Visited": "created_at"},
            empty_values=["Select"],
            day_first=True,
            created_at=timezone.now(),
        )
        path = write_csv(
            tmp_path / "show.csv",
            ["Surname", "Given name", "E-mail", "Visited", "Badge"],
            [
                ["Hamilton", "Margaret", "margaret@apollo.example", "03/04/2025", "A-1"],
                ["Select", "Nobody", "nobody@apollo.example", "", "A-2"],
            ],
        )
        _, report = run("import_leads", str(path), "--mapping", "Trade show", "--json")
        assert (report["rows"], report["created"], report["rejected"], report["errors"]) == (2, 2, 0, [])
        margaret = Lead.objects.get(email="margaret@apollo.example")
        assert timezone.localtime(margaret.created_at).date().isoformat() == "2025-04-03"
        # "Select" means empty in this layout: the lead has no last name, which is allowed.
        nobody = Lead.objects.get(email="nobody@apollo.example")
        assert (nobody.first_name, nobody.last_name) == ("Nobody", "")

    @pytest.mark.parametrize(
        "setup, args, message",
        [
            ("good", ["--mapping", "Nope"], "No column mapping is called 'Nope' (known: none saved yet)."),
            ("missing", [], "Cannot read"),
            ("unknown", [], "Accord does not recognise these columns"),
            ("empty", [], "The file is empty."),
            ("good", ["--by", "nobody"], "No active user is called 'nobody'."),
            ("good", ["--source", "Nowhere"], "No source is called 'Nowhere'."),
        ],
        ids=["unknown-mapping", "missing-file", "unknown-layout", "empty-file", "by", "source"],
    )
    def test_what_cannot_be_read_is_a_command_error_and_writes_nothing(
        self, cast, tmp_path, good, setup, args, message
    ):
        paths = {
            "good": good,
            "missing": tmp_path / "missing.csv",
            "unknown": write_csv(tmp_path / "other.csv", ["Surname", "Mail"], [["Hamilton", "m@apollo.example"]]),
            "empty": write_csv(tmp_path / "empty.csv", [], []),
        }
        leads, events, sources = Lead.objects.count(), LeadEvent.objects.count(), Source.objects.count()
        with pytest.raises(CommandError) as raised:
            run("import_leads", str(paths[setup]), "--json", *args)
        assert message in str(raised.value)
        assert (Lead.objects.count(), LeadEvent.objects.count(), Source.objects.count()) == (leads, events, sources)

    def test_the_second_import_changes_nothing(self, cast, mixed, make_lead):
        make_lead(
            first_name="Ada",
            last_name="Lovelace",
            email="a.lovelace@engines.example",
            company_domain="engines.example",
            stage=Stage.NEW,
        )
        _, first = run("import_leads", str(mixed), "--json")
        assert (first["created"], first["flagged"]) == (4, 1)
        leads, events, candidates = Lead.objects.count(), LeadEvent.objects.count(), DuplicateCandidate.objects.count()
        updated_at = dict(Lead.objects.values_list("pk", "updated_at"))

        _, second = run("import_leads", str(mixed), "--json")
        assert (second["created"], second["updated"], second["flagged"]) == (0, 0, 0)
        assert (second["unchanged"], second["rejected"]) == (4, 1)
        assert (Lead.objects.count(), LeadEvent.objects.count(), DuplicateCandidate.objects.count()) == (
            leads,
            events,
            candidates,
        )
        assert dict(Lead.objects.values_list("pk", "updated_at")) == updated_at

    def test_a_windows_excel_file_with_semicolons_keeps_its_accents(self, cast, tmp_path):
        path = tmp_path / "messe.csv"
        path.write_bytes(
            "Id;FirstName;LastName;Email;LeadSource\r\n;Jürgen;Müller;jm@messe.example;Messe München\r\n".encode(
                "cp1252"
            )
        )
        _, report = run("import_leads", str(path), "--json")
        assert (report["created"], report["rejected"]) == (1, 0)
        lead = Lead.objects.get(email="jm@messe.example")
        assert (lead.first_name, lead.last_name, lead.source.name) == ("Jürgen", "Müller", "Messe München")

    def test_rows_are_numbered_by_data_row_even_after_a_blank_line(self, cast, tmp_path):
        path = tmp_path / "gap.csv"
        path.write_text(
            "Id,FirstName,LastName,Email,LeadSource\r\n,Ada,Lovelace,ada@x.example,\r\n\r\n,Bob,Byron,bob@x,\r\n"
        )
        _, report = run("import_leads", str(path), "--json", "--dry-run")
        assert report["rows"] == 2
        assert [error["row"] for error in report["errors"]] == [2]

    def test_a_lead_with_only_a_phone_is_not_imported_twice(self, cast, tmp_path):
        path = write_csv(
            tmp_path / "phones.csv",
            ["Id", "FirstName", "LastName", "Email", "Phone", "LeadSource"],
            [["", "Ada", "Lovelace", "", "(415) 555-0132", ""]],
        )
        run("import_leads", str(path))
        _, second = run("import_leads", str(path), "--json")
        assert (second["created"], second["unchanged"]) == (0, 1)
        assert Lead.objects.filter(phone="+14155550132").count() == 1


class TestExportLeads:
    @pytest.fixture
    def leads(self, cast, make_lead):
        return [
            make_lead(first_name="Zoë", last_name="Ångström", company="Société Générale", stage=Stage.NEW),
            make_lead(first_name="=cmd", last_name="-Minus", title="@SUM(A1)", phone="+14155550132", employees=50),
            make_lead(last_name="Customer", is_customer=True, salesforce_id="00Q000000000009AAA", stage=Stage.NEW),
        ]

    def test_csv(self, leads, tmp_path):
        path = tmp_path / "leads.csv"
        lines, _ = run("export_leads", "--output", str(path))
        assert lines == [f"Exported 3 leads to {path} (csv)."]
        table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert table[0] == HEADER
        rows = {row[0]: dict(zip(HEADER, row, strict=True)) for row in table[1:]}
        assert set(rows) == {str(lead.pk) for lead in leads}
        assert rows[str(leads[0].pk)]["Last name"] == "Ångström"
        assert rows[str(leads[1].pk)]["First name"] == "'=cmd"
        assert rows[str(leads[1].pk)]["Last name"] == "'-Minus"
        assert rows[str(leads[1].pk)]["Title"] == "'@SUM(A1)"
        assert rows[str(leads[2].pk)]["Existing customer"] == "yes"

    def test_xlsx(self, leads, tmp_path):
        path = tmp_path / "leads.data"
        lines, _ = run("export_leads", "--output", str(path), "--format", "xlsx")
        assert lines == [f"Exported 3 leads to {path} (xlsx)."]
        sheet = load_workbook(io.BytesIO(path.read_bytes())).active
        table = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert table[0] == HEADER
        rows = {row[0]: dict(zip(HEADER, row, strict=True)) for row in table[1:]}
        assert set(rows) == {lead.pk for lead in leads}
        assert rows[leads[0].pk]["First name"] == "Zoë"
        assert rows[leads[1].pk]["First name"] == "=cmd"  # a typed string cell: no formula, no apostrophe
        assert rows[leads[1].pk]["Employees"] == 50

    def test_the_format_follows_the_file_name(self, leads, tmp_path):
        run("export_leads", "--output", str(tmp_path / "leads.xlsx"))
        assert (tmp_path / "leads.xlsx").read_bytes().startswith(b"PK\x03\x04")

    def test_an_unknown_format_or_folder_is_refused(self, leads, tmp_path):
        with pytest.raises(CommandError):
            run("export_leads", "--output", str(tmp_path / "leads.pdf"), "--format", "pdf")
        with pytest.raises(CommandError, match="does not exist"):
            run("export_leads", "--output", str(tmp_path / "no" / "such" / "leads.csv"))

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_importing_the_export_changes_nothing(self, cast, leads, good, tmp_path, file_format):
        run("import_leads", str(good))  # leads made by an import too (E.164 phones, sources, ids)
        path = tmp_path / f"export.{file_format}"
        run("export_leads", "--output", str(path), "--format", file_format)
        count, events = Lead.objects.count(), LeadEvent.objects.count()
        updated_at = dict(Lead.objects.values_list("pk", "updated_at"))

        lines, report = run("import_leads", str(path), "--json")
        assert "(Accord export)" in lines[0]
        assert report["rows"] == count
        assert report["unchanged"] == count
        assert (report["created"], report["updated"], report["rejected"], report["errors"]) == (0, 0, 0, [])
        assert (Lead.objects.count(), LeadEvent.objects.count()) == (count, events)
        assert dict(Lead.objects.values_list("pk", "updated_at")) == updated_at

    def test_merged_leads_do_not_come_back_when_the_export_is_imported(self, cast, make_lead, tmp_path):
        older = make_lead(
            first_name="Jon",
            last_name="Smith",
            email="jon@initech.example",
            company_domain="initech.example",
            stage=Stage.NEW,
            created_at=timezone.now() - timedelta(days=3),
        )
        newer = make_lead(
            first_name="John",
            last_name="Smith",
            email="john.smith@initech.example",
            company_domain="initech.example",
            stage=Stage.NEW,
        )
        candidate = DuplicateCandidate.objects.create(
            lead=newer, likely_duplicate_of=older, similarity=95, reason="Same domain", found_at=timezone.now()
        )
        duplicate_merge(candidate=candidate, by=cast.marketer)
        path = tmp_path / "export.csv"
        run("export_leads", "--output", str(path))
        count = Lead.objects.count()

        _, report = run("import_leads", str(path), "--json")
        assert (report["created"], report["updated"]) == (0, 0)
        assert Lead.objects.count() == count
        assert not Lead.objects.filter(email="john.smith@initech.example").exclude(stage=Stage.MERGED).exists()

    def test_merged_leads_are_exported_only_when_asked(self, cast, make_lead, tmp_path):
        kept = make_lead(last_name="Kept", stage=Stage.NEW)
        merged = make_lead(last_name="Gone", stage=Stage.MERGED)
        run("export_leads", "--output", str(tmp_path / "a.csv"))
        ids = [row[0] for row in csv.reader(io.StringIO((tmp_path / "a.csv").read_text(encoding="utf-8-sig")))]
        assert ids[1:] == [str(kept.pk)]
        run("export_leads", "--output", str(tmp_path / "b.csv"), "--include-merged")
        ids = [row[0] for row in csv.reader(io.StringIO((tmp_path / "b.csv").read_text(encoding="utf-8-sig")))]
        assert ids[1:] == [str(kept.pk), str(merged.pk)]

    def test_a_lead_with_only_a_phone_round_trips(self, cast, make_lead, tmp_path):
        make_lead(last_name="Lovelace", email="", email_normalized="", phone="+14155550132", stage=Stage.NEW)
        path = tmp_path / "export.csv"
        run("export_leads", "--output", str(path))
        _, report = run("import_leads", str(path), "--json")
        assert (report["created"], report["unchanged"]) == (0, 1)
        assert Lead.objects.count() == 1
