"""In a real browser: a marketer uploads a CSV in the admin, reads the preview, chooses the source
of the rows that name none and where a new source value belongs, imports it and sees the result,
then downloads the rejected rows."""

import csv
import io

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadImport, Source, Stage
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["Id", "FirstName", "LastName", "Email", "Company", "LeadSource"]
ROWS = [
    ["00Q000000000001AAA", "Ada", "Lovelace", "ada@engines.example", "Analytical Engines", "Webinar"],
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
    signup = Source.objects.create(name="Webinar sign-up", interest=Source.Interest.ACTIVE)
    Source.objects.create(name="Partner referral", interest=Source.Interest.ACTIVE)
    before, sources = Lead.objects.count(), Source.objects.count()

    page = page_for("marketer", PASSWORD)
    page.goto("/admin/leads/leadimport/add/")
    page.get_by_label("File").set_input_files(
        {"name": "salesforce.csv", "mimeType": "text/csv", "buffer": salesforce_csv()}
    )
    page.get_by_role("button", name="Preview the import").click()

    expect(page.get_by_role("heading", name="Preview — nothing has changed yet")).to_be_visible()
    figures = page.locator("#figures")
    expect(figures.locator("tr", has_text="Rows")).to_contain_text("4")
    expect(figures.locator("tr", has_text="Would create")).to_contain_text("2")
    expect(figures.locator("tr", has_text="Would update")).to_contain_text("1")
    expect(figures.locator("tr", has_text="Rejected")).to_contain_text("1")
    expect(page.locator("#errors")).to_contain_text("'not-an-email' is not a valid email address.")
    assert Lead.objects.count() == before, "the preview wrote leads"

    # The file's "Webinar" is proposed as the existing "Webinar sign-up"; the marketer keeps it.
    expect(page.locator("#source-choices")).to_contain_text("Webinar sign-up (90 % alike)")
    expect(page.get_by_label("Webinar", exact=True)).to_have_value(str(signup.pk))
    # A new lead names no source: the import asks which one it came from.
    default = page.get_by_label("Source of the rows that name none")
    expect(default).to_have_attribute("required", "")
    default.select_option(label=str(cast.source))
    page.get_by_role("button", name="Create 2, update 1, reject 1").click()
    expect(page.get_by_text("salesforce.csv is imported.")).to_be_visible()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(page.locator("#figures tr", has_text="Created")).to_contain_text("2")
    expect(page.get_by_role("button", name="Create 2, update 1, reject 1")).to_have_count(0)

    job = LeadImport.objects.get()
    assert job.status == LeadImport.Status.DONE
    assert Lead.objects.count() == before + 2
    assert Lead.objects.get(email="alan@bletchley.example").company == "Bletchley Park"
    assert Lead.objects.get(email="ada@engines.example").source == signup
    assert Lead.objects.get(email="grace@navy.example").source == cast.source
    assert Source.objects.count() == sources, "a source was created without being chosen"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows").click()
    assert download.value.suggested_filename == "salesforce-rejected.csv"
    with open(download.value.path(), encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    assert table[0] == [*HEADER, "Rejected because"]
    assert table[1][:-1] == ROWS[3]
    assert "not a valid email address" in table[1][-1]
