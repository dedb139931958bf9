"""Files modelled on real CRM exports (tests/data/crm): each tool's layout is recognised on
evidence, or asked about; every row that has a valid email, phone or id lands; every cell a lead
lands without is a warning naming the row, the field and the raw value."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from leads.imports import layouts
from leads.imports.services import LayoutUnknown, leads_import
from leads.models import ExternalId, ImportMapping, Lead, LeadEvent, LeadImport, Source, Stage
from tests.leads.test_import_admin import UPLOAD_URL, figures, logged_in, page_of, text

FILES = Path(__file__).resolve().parent.parent / "data" / "crm"


def run(cast, name: str, **options):
    data = (FILES / name).read_bytes() if isinstance(name, str) and (FILES / name).exists() else name
    return leads_import(data=data, file_name=str(name), by=cast.marketer, default_source=cast.source, **options)


def header_of(name: str) -> list[str]:
    return (FILES / name).read_text(encoding="utf-8").splitlines()[0].split(",")


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("salesforce-latam-leads.csv", "Salesforce"),
        ("hubspot-all-contacts.csv", "HubSpot"),
        ("zoho-crm-leads.csv", "Zoho CRM"),
        ("suitecrm-leads.csv", "SuiteCRM"),
        ("pipedrive-people.csv", "Pipedrive"),
        ("marketo-leads.csv", "Marketo"),
        ("mailchimp-audience.csv", "Mailchimp"),
    ],
)
def test_each_tools_export_is_recognised_as_that_tool(name, layout):
    detection = layouts.detect(header_of(name))
    assert detection.layout is not None and detection.layout.name == layout


def test_national_phones_are_read_in_the_rows_own_country(cast):
    report = run(cast, "salesforce-latam-leads.csv")
    assert (report.layout, report.rows, report.created, report.rejected) == ("Salesforce", 8, 8, 0)
    phones = dict(Lead.objects.values_list("last_name", "phone"))
    assert phones["López"] == "+525565768790"  # Mexico City, written 55 6576 8790
    assert phones["Vera"] == "+593995586089"  # an Ecuadorian mobile, 099 558 6089
    assert phones["Herrera"] == "+524421234567"  # "México" with its accent
    assert phones["Mora"] == "+59342591234"  # the country as a code: EC
    assert phones["Paz"] == "+528181234567"  # the mobile column when Phone is empty


def test_a_junk_phone_beside_a_good_email_is_a_warning_not_a_rejection(cast):
    report = run(cast, "salesforce-latam-leads.csv")
    assert [(w["row"], w["field"], w["value"]) for w in report.warnings] == [
        (6, "phone", "1234"),
        (7, "phone", "elena.ruiz@pueblaautos.example"),
        (8, "phone", "0987000099?"),  # digits that would dial, but the question mark says it is no number
    ]
    assert report.warned_rows == 3
    ibarra = Lead.objects.get(last_name="Ibarra")
    assert (ibarra.email, ibarra.phone) == ("tomas@cuencatex.example", "")
    # The lead's history keeps what the file said.
    event = ibarra.events.get(kind=LeadEvent.Kind.IMPORTED)
    assert event.details["warnings"] == [
        {"field": "phone", "message": "'1234' is not a valid phone number. The lead has no phone.", "value": "1234"}
    ]


def test_strict_rejects_the_rows_with_warnings_and_imports_nothing(cast):
    report = run(cast, "salesforce-latam-leads.csv", strict=True)
    assert (report.created, report.rejected, report.strict_failed) == (0, 3, True)
    assert [error["row"] for error in report.errors] == [6, 7, 8]
    assert not Lead.objects.exists()


def test_salesforce_statuses_are_the_outcome_of_new_leads(cast):
    run(cast, "salesforce-latam-leads.csv")
    stages = dict(Lead.objects.values_list("last_name", "stage"))
    assert (stages["Herrera"], stages["Mora"], stages["López"]) == (Stage.WON, Stage.LOST, Stage.NEW)


def test_hubspot_contacts_with_only_an_email_all_land(cast):
    report = run(cast, "hubspot-all-contacts.csv")
    assert (report.layout, report.rows, report.created, report.rejected, report.warnings) == ("HubSpot", 12, 12, 0, [])
    nameless = Lead.objects.filter(first_name="", last_name="")
    assert nameless.count() == 6
    assert set(Lead.objects.exclude(phone="").values_list("phone", flat=True)) == {
        "+61412345678",
        "+61293744000",
        "+61399990000",
    }
    olivia = Lead.objects.get(email="olivia.nguyen@harbour.example")
    assert olivia.created_at == datetime(2026, 1, 20, 14, 55, tzinfo=UTC)  # HubSpot's 2026-01-20 14:55
    assert olivia.hubspot_id == "5101"
    assert Lead.objects.get(email="noah.smith@wattle.example").stage == Stage.WON  # lifecycle stage: customer


def test_a_zoho_export_is_read_as_zoho_with_its_created_dates_and_ids(cast):
    report = run(cast, "zoho-crm-leads.csv")
    assert (report.layout, report.created, report.rejected) == ("Zoho CRM", 4, 0)
    arun = Lead.objects.get(email="arun.kumar@chennaiworks.example")
    assert arun.created_at == datetime(2021, 4, 15, 0, 3, tzinfo=UTC)  # 15 Apr, 2021 00:03:00
    assert (arun.title, arun.phone, arun.salesforce_id) == ("Plant Head", "+914423456789", "")
    assert ExternalId.objects.get(lead=arun).system == "Zoho CRM"
    assert ExternalId.objects.get(lead=arun).value == "zcrm_4876876000000424001"
    assert not report.dated_at_import
    assert [(w["row"], w["field"], w["value"]) for w in report.warnings] == [(3, "employees", "a few")]
    assert Lead.objects.get(last_name="Weber").stage == Stage.DISQUALIFIED  # Junk Lead


def test_a_suitecrm_export_keeps_its_own_ids(cast):
    report = run(cast, "suitecrm-leads.csv")
    assert (report.layout, report.created, report.rejected) == ("SuiteCRM", 3, 0)
    ids = dict(ExternalId.objects.filter(system="SuiteCRM").values_list("value", "lead__email"))
    assert ids["1f0e6c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"] == "h.schmidt@hhship.example"
    # A row with only an office phone (and its id) is a lead too.
    oslo = Lead.objects.get(company="Oslo Energi")
    assert (oslo.email, oslo.phone) == ("", "+4722123456")
    again = run(cast, "suitecrm-leads.csv")
    assert (again.created, again.unchanged) == (0, 3)


@pytest.mark.parametrize(
    ("name", "system", "created"),
    [
        ("pipedrive-people.csv", "Pipedrive", datetime(2023, 5, 1, 10, 0, tzinfo=UTC)),
        ("marketo-leads.csv", "Marketo", datetime(2024, 6, 1, 9, 0, tzinfo=UTC)),
        ("mailchimp-audience.csv", "Mailchimp", datetime(2023, 9, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_other_tools_files_land_with_their_ids_and_dates(cast, name, system, created):
    report = run(cast, name)
    assert (report.rejected, report.warnings) == (0, [])
    first = ExternalId.objects.filter(system=system).order_by("value").first().lead
    assert first.created_at == created
    assert report.created == ExternalId.objects.filter(system=system).count()


def test_a_file_that_resembles_two_layouts_asks_for_a_mapping(cast):
    header = ["First Name", "Last Name", "Email", "Created Time", "Create Date"]  # Zoho's and HubSpot's dates
    detection = layouts.detect(header)
    assert detection.layout is None
    assert set(detection.candidates) == {"Zoho CRM", "HubSpot"}
    data = ("\r\n".join([",".join(header), "Ada,Lovelace,ada@x.example,,2026-01-20 14:55"]) + "\r\n").encode()
    with pytest.raises(LayoutUnknown, match=r"could come from (Zoho CRM or HubSpot|HubSpot or Zoho CRM)"):
        leads_import(data=data, file_name="mixed.csv", by=cast.marketer, default_source=cast.source)
    assert not Lead.objects.exists()


def test_a_header_of_common_words_alone_is_no_layout():
    # Many tools write these; none of them is told apart by them.
    detection = layouts.detect(["First Name", "Last Name", "Email", "Phone"])
    assert detection.layout is None


def test_the_preview_warns_when_no_column_gives_the_created_date(cast):
    data = b"FirstName,LastName,Email,LeadSource\r\nAda,Lovelace,ada@x.example,Web\r\n"
    report = leads_import(data=data, file_name="a.csv", by=cast.marketer, default_source=cast.source, dry_run=True)
    assert report.layout == "Salesforce" and report.dated_at_import


def test_a_mapping_states_how_its_dates_are_written(cast):
    mapping = ImportMapping.objects.create(
        name="Events tool",
        columns={"Mail": "email", "Signed up": "created_at"},
        date_pattern="%Y/%d/%m %Hh%M",
        created_at=datetime.now(UTC),
    )
    data = b"Mail,Signed up\r\nada@x.example,2024/15/03 14h30\r\n"
    report = leads_import(data=data, file_name="e.csv", by=cast.marketer, default_source=cast.source, mapping=mapping)
    assert (report.created, report.warnings) == (1, [])
    assert report.date_samples == [{"row": 1, "text": "2024/15/03 14h30", "read_as": "2024-03-15T14:30:00+00:00"}]
    assert Lead.objects.get().created_at == datetime(2024, 3, 15, 14, 30, tzinfo=UTC)


def test_a_mappings_phone_region_reads_phones_of_rows_without_a_country(cast):
    mapping = ImportMapping.objects.create(
        name="Sydney expo",
        columns={"Mail": "email", "Mobile": "phone"},
        phone_region="AU",
        created_at=datetime.now(UTC),
    )
    data = b"Mail,Mobile\r\nolivia@x.example,0412 345 678\r\n"
    leads_import(data=data, file_name="e.csv", by=cast.marketer, default_source=cast.source, mapping=mapping)
    assert Lead.objects.get().phone == "+61412345678"


def test_a_new_source_value_is_proposed_as_the_closest_existing_source(cast):
    signup = Source.objects.create(name="Webinar sign-up", interest=Source.Interest.ACTIVE)
    data = b"FirstName,LastName,Email,LeadSource\r\nAda,Lovelace,ada@x.example,Webinar\r\nAl,Gore,al@y.example,Fax\r\n"
    preview = leads_import(data=data, file_name="a.csv", by=cast.marketer, default_source=cast.source, dry_run=True)
    assert preview.new_sources == ["Webinar", "Fax"]
    assert preview.source_proposals["Webinar"] == {"source": signup.pk, "name": "Webinar sign-up", "similarity": 90}
    assert preview.source_proposals["Fax"] is None
    assert not Source.objects.filter(name__in=["Webinar", "Fax"]).exists()

    report = leads_import(
        data=data,
        file_name="a.csv",
        by=cast.marketer,
        default_source=cast.source,
        source_values={"Webinar": signup.pk, "Fax": Source.Interest.PASSIVE},
    )
    assert report.new_sources == ["Fax"]
    assert Lead.objects.get(email="ada@x.example").source == signup
    assert not Source.objects.filter(name="Webinar").exists()
    assert Source.objects.get(name="Fax").interest == Source.Interest.PASSIVE


# --- through the admin's import pages ----------------------------------------------------------


def upload(client, data: bytes, name: str, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields})


def test_an_ambiguous_file_gets_the_mapping_page_prefilled_with_the_best_guess(cast):
    client = logged_in(cast.marketer)
    header = "First Name,Last Name,Email,Created Time,Create Date,Lead Source"
    upload(client, f'{header}\r\nAda,Lovelace,ada@x.example,"15 Apr, 2021 00:03:00",,Web\r\n'.encode(), "odd.csv")
    job = LeadImport.objects.get()
    assert (job.status, job.layout) == (LeadImport.Status.PREVIEWING, "")
    page = client.get(page_of(job))
    assert "could come from Zoho CRM or HubSpot" in text(page)
    assert "start from the Zoho CRM layout" in text(page)  # it knows one more of the columns
    form = page.context["form"]
    assert [form[f"column_{index}"].value() for index in range(6)] == [
        "first_name",
        "last_name",
        "email",
        "created_at",
        "created_at",
        "source",
    ]
    assert (form["dates"].value(), form["date_pattern"].value()) == ("pattern", "%d %b, %Y %H:%M:%S")
    assert not Lead.objects.exists()


def test_the_mapping_page_refuses_a_date_pattern_it_cannot_read(cast):
    client = logged_in(cast.marketer)
    upload(client, b"Mail,Signed up\r\nada@x.example,2024/15/03\r\n", "e.csv")
    job = LeadImport.objects.get()
    post = {"action": "map", "name": "Events", "column_0": "email", "column_1": "created_at", "dates": "pattern"}
    missing = client.post(page_of(job), {**post, "date_pattern": ""})
    assert "Write the pattern, or choose day first or month first." in text(missing)
    no_year = client.post(page_of(job), {**post, "date_pattern": "%d/%m"})
    assert "A date pattern names the year" in text(no_year)
    assert not ImportMapping.objects.exists()

    client.post(page_of(job), {**post, "date_pattern": "%Y/%d/%m", "phone_region": "au"})
    mapping = ImportMapping.objects.get()
    assert (mapping.date_pattern, mapping.day_first, mapping.phone_region) == ("%Y/%d/%m", False, "AU")
    page = client.get(page_of(job))
    # The preview shows how the first dates were read, beside the text, before anything is imported.
    assert "2024/15/03" in text(page) and "2024-03-15T00:00:00+00:00" in text(page)


def test_confirming_maps_a_file_source_to_an_existing_one_and_keeps_the_choice_on_the_mapping(cast):
    signup = Source.objects.create(name="Webinar sign-up", interest=Source.Interest.ACTIVE)
    client = logged_in(cast.marketer)
    upload(client, b"Mail,Came from\r\nada@x.example,Webinar\r\n", "w.csv")
    job = LeadImport.objects.get()
    client.post(page_of(job), {"action": "map", "name": "Webinars", "column_0": "email", "column_1": "source"})
    job.refresh_from_db()
    page = client.get(page_of(job))
    field = page.context["confirm_form"]["source_0"]
    assert (field.label, field.value()) == ("Webinar", str(signup.pk))  # proposed: the closest existing source
    assert "Webinar sign-up (90 % alike)" in text(page)
    assert figures(page)["Would create"] == 1

    client.post(page_of(job), {"action": "confirm", "source_0": str(signup.pk)})
    assert Lead.objects.get().source == signup
    assert not Source.objects.filter(name="Webinar").exists()
    assert ImportMapping.objects.get().source_values == {"webinar": signup.pk}

    # The next file through the mapping needs no question.
    upload(client, b"Mail,Came from\r\ngrace@x.example,webinar\r\n", "w2.csv", mapping=ImportMapping.objects.get().pk)
    second = LeadImport.objects.get(file_name="w2.csv")
    assert second.preview["new_sources"] == []
    client.post(page_of(second), {"action": "confirm"})
    assert Lead.objects.get(email="grace@x.example").source == signup


def test_an_unknown_source_choice_is_refused_and_nothing_is_imported(cast):
    client = logged_in(cast.marketer)
    upload(client, b"FirstName,LastName,Email,LeadSource\r\nAda,Lovelace,ada@x.example,Webinar\r\n", "s.csv")
    job = LeadImport.objects.get()
    response = client.post(page_of(job), {"action": "confirm", "source_0": "999999"})
    assert response.status_code == 200
    assert "source_0" in response.context["confirm_form"].errors
    job.refresh_from_db()
    assert job.status == LeadImport.Status.PREVIEWED and not Lead.objects.exists()
