"""Sources and campaigns imported and exported from the admin (django-import-export): the
preview is a dry run, confirmed rows are written by leads.services, a bad row is that row's
error, a second import of the same file updates instead of duplicating, and only marketing
imports."""

from decimal import Decimal
from unittest import mock

import pytest

from leads import services
from leads.models import Campaign, Source
from tests.reference_data import (
    confirm,
    csv_bytes,
    export_csv,
    imported,
    logged_in,
    preview,
    row_errors,
    text,
)

pytestmark = pytest.mark.django_db

SOURCES = "/admin/leads/source/"
CAMPAIGNS = "/admin/leads/campaign/"

SOURCE_FILE = csv_bytes(
    [
        ["name", "channel", "interest"],
        ["Webinar sign-up", "Events", "passive"],
        ["Pricing page", "Website", "Active interest"],
    ]
)


def test_the_preview_of_a_source_file_changes_nothing(cast):
    before = Source.objects.count()
    response = preview(logged_in(cast.marketer), SOURCES, SOURCE_FILE)
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 2
    assert "Webinar sign-up" in text(response)
    assert Source.objects.count() == before
    assert not Source.objects.filter(name="Webinar sign-up").exists()


def test_confirming_writes_each_source_through_the_service(cast):
    client = logged_in(cast.cmo)
    previewed = preview(client, SOURCES, SOURCE_FILE)
    with mock.patch.object(services, "source_save", wraps=services.source_save) as source_save:
        assert confirm(client, SOURCES, previewed).status_code == 302
    assert [call.kwargs["source"].name for call in source_save.call_args_list] == ["Webinar sign-up", "Pricing page"]
    assert Source.objects.get(name="Webinar sign-up").interest == Source.Interest.PASSIVE
    pricing = Source.objects.get(name="Pricing page")
    assert (pricing.channel, pricing.interest) == ("Website", Source.Interest.ACTIVE)


def test_a_second_import_updates_the_sources_it_names_instead_of_adding_them(cast):
    client = logged_in(cast.marketer)
    imported(client, SOURCES, SOURCE_FILE)
    count = Source.objects.count()
    changed = csv_bytes([["name", "channel", "interest"], ["WEBINAR SIGN-UP", "Online events", "passive"]])
    previewed = preview(client, SOURCES, changed)
    assert previewed.context["result"].totals["update"] == 1
    confirm(client, SOURCES, previewed)
    assert Source.objects.count() == count
    webinar = Source.objects.get(name__iexact="webinar sign-up")
    assert (webinar.name, webinar.channel) == ("Webinar sign-up", "Online events")  # the match keeps its spelling


def test_an_unchanged_row_is_left_alone(cast):
    client = logged_in(cast.marketer)
    imported(client, SOURCES, SOURCE_FILE)
    with mock.patch.object(services, "source_save", wraps=services.source_save) as source_save:
        imported(client, SOURCES, SOURCE_FILE)
    assert source_save.call_count == 0


def test_a_bad_interest_is_its_rows_error_and_nothing_is_written(cast):
    data = csv_bytes([["name", "channel", "interest"], ["Trade fair", "Events", "lukewarm"], ["Fine", "Web", "active"]])
    response = preview(logged_in(cast.marketer), SOURCES, data)
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    assert row_errors(response) == ["'lukewarm' is not one of: active, passive."]
    assert "'lukewarm' is not one of: active, passive." in text(response)
    assert not Source.objects.filter(name__in=["Trade fair", "Fine"]).exists()


def test_a_semicolon_file_in_windows_1252_reads_as_excel_wrote_it(cast):
    data = csv_bytes([["Name", "Channel", "Interest"], ["Messe München", "Events", "passive"]], delimiter=";")
    imported(logged_in(cast.marketer), SOURCES, data.decode("utf-8").encode("cp1252"))
    assert Source.objects.get(name="Messe München").channel == "Events"


@pytest.mark.parametrize("who", ["vp", "manager"])
def test_sales_cannot_import_sources(cast, who):
    client = logged_in(getattr(cast, who))
    assert client.get(f"{SOURCES}import/").status_code == 403
    assert preview(client, SOURCES, SOURCE_FILE).status_code == 403
    assert client.post(f"{SOURCES}process_import/", {"import_file_name": "x", "format": "0"}).status_code == 403
    assert not Source.objects.filter(name="Webinar sign-up").exists()


# --- Campaigns ---------------------------------------------------------------------------------

CAMPAIGN_HEADER = ["name", "source", "cost", "starts_on", "ends_on"]


def test_campaigns_name_their_source_and_carry_their_cost(cast):
    data = csv_bytes(
        [
            CAMPAIGN_HEADER,
            ["Spring webinar", "demo request", "€1,234.50", "2026-03-01", "31.03.2026"],
            ["Search ads", "Demo request", "980", "", ""],
        ]
    )
    client = logged_in(cast.marketer)
    previewed = preview(client, CAMPAIGNS, data)
    with mock.patch.object(services, "campaign_save", wraps=services.campaign_save) as campaign_save:
        assert confirm(client, CAMPAIGNS, previewed).status_code == 302
    assert campaign_save.call_count == 2
    spring = Campaign.objects.get(name="Spring webinar")
    assert spring.source == cast.source
    assert spring.cost == Decimal("1234.50")
    assert (spring.starts_on.isoformat(), spring.ends_on.isoformat()) == ("2026-03-01", "2026-03-31")
    assert Campaign.objects.get(name="Search ads").cost == Decimal("980")


def test_the_monthly_cost_import_replaces_the_cost_of_the_campaigns_it_names(cast):
    client = logged_in(cast.marketer)
    imported(client, CAMPAIGNS, csv_bytes([CAMPAIGN_HEADER, ["Search ads", "Demo request", "980", "", ""]]))
    imported(client, CAMPAIGNS, csv_bytes([["name", "source", "cost"], ["Search ads", "Demo request", "1 410.00"]]))
    assert list(Campaign.objects.values_list("name", "cost")) == [("Search ads", Decimal("1410.00"))]


def test_an_unknown_source_or_a_negative_cost_is_its_rows_error_and_the_preview_writes_nothing(cast):
    data = csv_bytes(
        [
            CAMPAIGN_HEADER,
            ["Good one", "Demo request", "100", "", ""],
            ["Lost source", "Carrier pigeons", "100", "", ""],
            ["Refund", "Demo request", "-50", "", ""],
            ["Typo", "Demo request", "a lot", "", ""],
            ["Backwards", "Demo request", "10", "2026-05-01", "2026-04-01"],
        ]
    )
    response = preview(logged_in(cast.cmo), CAMPAIGNS, data)
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    errors = row_errors(response)
    page = text(response)
    for message in (
        "There is no source 'Carrier pigeons'.",
        "A campaign's cost cannot be negative (-50).",
        "'a lot' is not an amount.",
        "The campaign cannot end before it starts (2026-05-01).",
    ):
        assert message in errors
        assert message in page
    assert not Campaign.objects.exists()


def test_sales_cannot_import_campaigns(cast):
    client = logged_in(cast.vp)
    assert client.get(f"{CAMPAIGNS}import/").status_code == 403
    assert (
        preview(client, CAMPAIGNS, csv_bytes([CAMPAIGN_HEADER, ["X", "Demo request", "1", "", ""]])).status_code == 403
    )
    assert not Campaign.objects.exists()


def test_the_admin_form_refuses_a_negative_cost_like_the_import(cast):
    response = logged_in(cast.marketer).post(
        f"{CAMPAIGNS}add/", {"name": "Refund", "source": cast.source.pk, "cost": "-5", "starts_on": "", "ends_on": ""}
    )
    assert response.status_code == 200
    assert "A campaign's cost cannot be negative" in text(response)
    assert not Campaign.objects.exists()


def test_exported_campaigns_import_again_unchanged_and_formulas_are_escaped(cast):
    Campaign.objects.create(name='=HYPERLINK("http://x")', source=cast.source, cost=Decimal("12.50"))
    Campaign.objects.create(name="Search ads", source=cast.source, cost=Decimal("980"))
    client = logged_in(cast.vp)  # sales leadership may read campaigns, not change them
    rows = export_csv(client, CAMPAIGNS, "CampaignResource", CAMPAIGN_HEADER)
    assert rows[0] == CAMPAIGN_HEADER
    assert sorted(rows[1:]) == [
        ['\'=HYPERLINK("http://x")', "Demo request", "12.50", "", ""],
        ["Search ads", "Demo request", "980.00", "", ""],
    ]
    again = preview(logged_in(cast.marketer), CAMPAIGNS, csv_bytes(rows))
    assert again.context["result"].totals["skip"] == 2
    assert Campaign.objects.count() == 2


def test_export_needs_the_view_permission(cast):
    assert logged_in(cast.manager).get(f"{CAMPAIGNS}export/").status_code == 403
    assert logged_in(cast.vp).get(f"{CAMPAIGNS}export/").status_code == 200
