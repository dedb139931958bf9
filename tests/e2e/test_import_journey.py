"""In a real browser: a marketer uploads a CSV in the admin, reads the preview, imports it and
sees the result, then downloads the rejected rows."""

import csv
import io

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadImport, Stage
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["Id", "FirstName", "LastName", "Email", "Company", "LeadSource"]
ROWS = [
    ["00Q000000000001AAA", "Ada", "Lovelace", "ada@engines.example", "Analytical Engines", ""],
    ["00Q000000000002AAA", "Grace", "Hopper", "grace@navy.example", "US Navy", ""],
    ["", "Alan", "Turing", "alan@bletchley.example", "Bletchley Park", ""],
    ["", "Charles", "Babbage", "not-an-email", "Difference Engines", ""],
]


def salesforce_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    return buffer.getvalue().encode()


def test_a_marketer_previews_and_imports_a_file(cast, make_lead, page_for):
    make_lead(
        first_name="Alan",
        last_name="Turing",
        email="alan@bletchley.example",
        email_normalized="alan@bletchley.example",
        company="Bletchley",
        stage=Stage.NEW,
    )
    before = Lead.objects.count()

    page = page_for("marketer", PASSWORD)
    page.goto("/admin/leads/leadimport/add/")
    page.get_by_label("File").set_input_files(
        {"name": "salesforce.csv", "mimeType": "text/csv", "buffer": salesforce_csv()}
    )
    page.get_by_label("Default source").select_option(label=str(cast.source))
    page.get_by_role("button", name="Preview the import").click()

    expect(page.get_by_role("heading", name="Preview — nothing has changed yet")).to_be_visible()
    figures = page.locator("#figures")
    expect(figures.locator("tr", has_text="Rows")).to_contain_text("4")
    expect(figures.locator("tr", has_text="Would create")).to_contain_text("2")
    expect(figures.locator("tr", has_text="Would update")).to_contain_text("1")
    expect(figures.locator("tr", has_text="Rejected")).to_contain_text("1")
    expect(page.locator("#errors")).to_contain_text("'not-an-email' is not a valid email address.")
    assert Lead.objects.count() == before, "the preview wrote leads"

    page.get_by_role("button", name="Import 4 rows").click()
    expect(page.get_by_text("salesforce.csv is imported.")).to_be_visible()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(page.locator("#figures tr", has_text="Created")).to_contain_text("2")
    expect(page.get_by_role("button", name="Import 4 rows")).to_have_count(0)

    job = LeadImport.objects.get()
    assert job.status == LeadImport.Status.DONE
    assert Lead.objects.count() == before + 2
    assert Lead.objects.get(email="alan@bletchley.example").company == "Bletchley Park"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows").click()
    assert download.value.suggested_filename == "salesforce-rejected.csv"
    with open(download.value.path(), encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    assert table[0] == [*HEADER, "Rejected because"]
    assert table[1][:-1] == ROWS[3]
    assert "not a valid email address" in table[1][-1]
