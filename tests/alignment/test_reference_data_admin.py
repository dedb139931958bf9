"""Teams with their business calendars, memberships and rejection reasons imported and exported
from the admin (django-import-export): the preview is a dry run, confirmed rows are written by
alignment.services, a bad row is that row's error, a second import updates instead of
duplicating, and only the roles that may change the data import it."""

import io
from datetime import UTC, datetime, time
from unittest import mock

import pytest
from openpyxl import load_workbook

from alignment import services
from alignment.models import Membership, RejectionReason, Team
from alignment.roles import Role
from tests.factories import TeamFactory, UserFactory
from tests.reference_data import (
    XLSX_FORMAT,
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

TEAMS = "/admin/alignment/team/"
MEMBERSHIPS = "/admin/alignment/membership/"
REASONS = "/admin/alignment/rejectionreason/"

TEAM_HEADER = ["name", "kind", "manager", "time_zone", "working_days", "work_starts", "work_ends", "holiday_country"]
TEAM_FILE = csv_bytes(
    [
        TEAM_HEADER,
        ["DACH", "sales", "manager", "Europe/Berlin", "Mon-Fri", "08:30", "17:00", "DE"],
        ["India inside sales", "Sales", "", "Asia/Kolkata", "Mon,Tue,Wed,Thu,Sat", "10:00", "19:00", "IN"],
    ]
)


# --- Teams -------------------------------------------------------------------------------------


def test_the_preview_of_a_team_file_changes_nothing(cast):
    before = Team.objects.count()
    response = preview(logged_in(cast.vp), TEAMS, TEAM_FILE)
    assert response.status_code == 200
    assert response.context["result"].totals["new"] == 2
    assert response.context["confirm_form"] is not None
    assert Team.objects.count() == before
    assert not Team.objects.filter(name="DACH").exists()


def test_confirming_writes_teams_and_their_calendars_through_the_service(cast):
    client = logged_in(cast.vp)
    previewed = preview(client, TEAMS, TEAM_FILE)
    with mock.patch.object(services, "team_save", wraps=services.team_save) as team_save:
        assert confirm(client, TEAMS, previewed).status_code == 302
    assert team_save.call_count == 2
    dach = Team.objects.get(name="DACH")
    assert (dach.manager, dach.time_zone, dach.holiday_country) == (cast.manager, "Europe/Berlin", "DE")
    assert (dach.working_days, dach.work_starts, dach.work_ends) == ("01234", time(8, 30), time(17))
    india = Team.objects.get(name="India inside sales")
    assert (india.kind, india.manager, india.working_days) == (Team.Kind.SALES, None, "01235")


def test_a_second_team_import_updates_the_team_it_names(cast):
    client = logged_in(cast.vp)
    imported(client, TEAMS, TEAM_FILE)
    count = Team.objects.count()
    imported(client, TEAMS, csv_bytes([["name", "holiday_country", "work_ends"], ["dach", "AT", "16:00"]]))
    assert Team.objects.count() == count
    dach = Team.objects.get(name="DACH")
    assert (dach.holiday_country, dach.work_ends, dach.time_zone) == ("AT", time(16), "Europe/Berlin")


def test_bad_calendars_are_their_rows_errors_and_nothing_is_written(cast):
    data = csv_bytes(
        [
            TEAM_HEADER,
            ["Atlantis", "sales", "", "Europe/Berlin", "Mon-Fri", "09:00", "17:00", "XX"],
            ["Night shift", "sales", "", "Mars/Olympus", "Mon-Fri", "22:00", "06:00", ""],
            ["Lowercase", "sales", "", "UTC", "Mon-Fri", "09:00", "17:00", "de"],
            ["Ghost manager", "sales", "nobody", "UTC", "Funday", "09:00", "17:00", ""],
        ]
    )
    response = preview(logged_in(cast.vp), TEAMS, data)
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    errors = row_errors(response)
    page = text(response)
    for message in (
        "'XX' is not a country whose public holidays are known.",
        "'Mars/Olympus' is not a known time zone (e.g. Europe/Berlin).",
        "The working day must end after it starts (22:00); hours past midnight are not supported.",
        "Write the country code in capitals: DE.",
        "There is no user with the username 'nobody'.",
        "'funday' is not a weekday (write Mon, Tue … Sun, or a range such as Mon-Fri).",
    ):
        assert any(error.startswith(message) for error in errors), (message, errors)
        assert message in page
    assert not Team.objects.filter(name__in=["Atlantis", "Night shift", "Lowercase", "Ghost manager"]).exists()


@pytest.mark.parametrize("who", ["marketer", "cmo", "manager"])
def test_only_sales_leadership_imports_teams(cast, who):
    client = logged_in(getattr(cast, who))
    assert client.get(f"{TEAMS}import/").status_code == 403
    assert preview(client, TEAMS, TEAM_FILE).status_code == 403
    assert not Team.objects.filter(name="DACH").exists()


def test_exported_teams_import_again_unchanged(cast):
    rows = export_csv(logged_in(cast.cmo), TEAMS, "TeamResource", TEAM_HEADER)
    assert rows[0] == TEAM_HEADER
    assert ["Enterprise", "sales", "manager", "Europe/Berlin", "Mon,Tue,Wed,Thu,Fri", "09:00", "17:00", ""] in rows
    again = preview(logged_in(cast.vp), TEAMS, csv_bytes(rows))
    assert again.context["result"].totals == {"new": 0, "update": 0, "delete": 0, "skip": 2, "error": 0, "invalid": 0}


def test_teams_exported_as_xlsx_import_again_unchanged(cast):
    data = {"format": XLSX_FORMAT, "resource": "0", **{f"teamresource_{field}": "on" for field in TEAM_HEADER}}
    exported = logged_in(cast.vp).post(f"{TEAMS}export/", data)
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == TEAM_HEADER
    assert rows[2][:5] == ["SMB", "sales", "other-manager", "Asia/Kolkata", "Mon,Tue,Wed,Thu,Fri"]
    again = preview(logged_in(cast.vp), TEAMS, exported.content, name="teams.xlsx", fmt=XLSX_FORMAT)
    assert again.context["result"].totals["skip"] == 2, row_errors(again)


# --- Memberships -------------------------------------------------------------------------------


def onboarding_file(*usernames: str, team: str = "Enterprise") -> bytes:
    return csv_bytes([["username", "team", "ended_at"], *[[name, team, ""] for name in usernames]])


def test_sales_leadership_onboards_reps_by_username_and_team_name(cast):
    new_reps = [UserFactory(username=f"new-rep-{i}", role=Role.SALES_REP) for i in range(20)]
    data = onboarding_file(*(rep.username for rep in new_reps))
    client = logged_in(cast.vp)
    before = Membership.objects.count()
    previewed = preview(client, MEMBERSHIPS, data)
    assert previewed.context["result"].totals["new"] == 20
    assert Membership.objects.count() == before
    with mock.patch.object(services, "membership_save", wraps=services.membership_save) as membership_save:
        assert confirm(client, MEMBERSHIPS, previewed).status_code == 302
    assert membership_save.call_count == 20
    assert set(cast.team.memberships.filter(ended_at__isnull=True).values_list("user__username", flat=True)) >= {
        rep.username for rep in new_reps
    }
    # The same file again: everyone is already a member, nobody is added twice.
    imported(client, MEMBERSHIPS, data)
    assert Membership.objects.count() == before + 20


def test_an_end_date_ends_the_current_membership_and_a_repeat_changes_nothing(cast):
    Membership.objects.filter(user=cast.teammate).update(joined_at=datetime(2025, 1, 6, 9, tzinfo=UTC))
    client = logged_in(cast.vp)
    leaving = csv_bytes([["username", "team", "ended_at"], ["teammate", "enterprise", "2026-01-31T17:00:00Z"]])
    imported(client, MEMBERSHIPS, leaving)
    imported(client, MEMBERSHIPS, leaving)
    memberships = Membership.objects.filter(user=cast.teammate, team=cast.team)
    assert memberships.count() == 1
    assert memberships.get().ended_at.isoformat() == "2026-01-31T17:00:00+00:00"


def test_a_membership_cannot_end_before_it_began(cast):
    Membership.objects.filter(user=cast.teammate).update(joined_at=datetime(2026, 2, 2, 9, tzinfo=UTC))
    data = csv_bytes([["username", "team", "ended_at"], ["teammate", "Enterprise", "2026-01-31"]])
    response = preview(logged_in(cast.vp), MEMBERSHIPS, data)
    assert row_errors(response) == ["A membership cannot end before it began (2026-02-02 09:00)."]
    assert Membership.objects.get(user=cast.teammate).ended_at is None


def test_unknown_people_and_teams_and_deactivated_people_are_their_rows_errors(cast):
    gone = UserFactory(username="gone", role=Role.SALES_REP, is_active=False)
    data = csv_bytes(
        [
            ["username", "team", "ended_at"],
            ["rep", "Enterprise", ""],
            ["nobody", "Enterprise", ""],
            ["rep", "Nowhere", ""],
            [gone.username, "Enterprise", ""],
        ]
    )
    before = Membership.objects.count()
    response = preview(logged_in(cast.vp), MEMBERSHIPS, data)
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    page = text(response)
    for message in (
        "There is no user with the username 'nobody'.",
        "There is no team 'Nowhere'.",
        "gone is deactivated and cannot be a current member of a team.",
    ):
        assert message in row_errors(response)
        assert message in page
    assert Membership.objects.count() == before


@pytest.mark.parametrize("who", ["manager", "marketer", "cmo"])
def test_only_sales_leadership_imports_memberships(cast, who):
    newcomer = UserFactory(username="newcomer", role=Role.SALES_REP)
    client = logged_in(getattr(cast, who))
    assert client.get(f"{MEMBERSHIPS}import/").status_code == 403
    assert preview(client, MEMBERSHIPS, onboarding_file(newcomer.username)).status_code == 403
    assert not Membership.objects.filter(user=newcomer).exists()


def test_the_membership_admin_refuses_a_deactivated_person_like_the_import(cast):
    gone = UserFactory(username="gone", role=Role.SALES_REP, is_active=False)
    response = logged_in(cast.vp).post(f"{MEMBERSHIPS}add/", {"team": cast.team.pk, "user": gone.pk})
    assert response.status_code == 200
    assert "gone is deactivated" in text(response)
    assert not Membership.objects.filter(user=gone).exists()


# --- Rejection reasons ---------------------------------------------------------------------------

REASON_HEADER = ["code", "label", "phase", "disposition", "is_active", "position"]


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_rejection_reasons_import_by_code_and_update_on_a_second_import(reasons, admin_user):
    client = logged_in(admin_user)
    count = RejectionReason.objects.count()
    data = csv_bytes(
        [
            REASON_HEADER,
            ["budget-frozen", "Budget frozen until next year", "after_working", "recycle", "yes", "40"],
            ["duplicate", "Already in the CRM", "before_working", "duplicate", "", "5"],
        ]
    )
    previewed = preview(client, REASONS, data)
    assert previewed.context["result"].totals["new"] == 1
    assert previewed.context["result"].totals["update"] == 1
    assert RejectionReason.objects.count() == count
    with mock.patch.object(services, "rejection_reason_save", wraps=services.rejection_reason_save) as save:
        assert confirm(client, REASONS, previewed).status_code == 302
    assert save.call_count == 2
    assert RejectionReason.objects.count() == count + 1
    frozen = RejectionReason.objects.get(code="budget-frozen")
    assert (frozen.phase, frozen.disposition, frozen.is_active) == ("after_working", "recycle", True)
    assert RejectionReason.objects.get(code="duplicate").label == "Already in the CRM"


def test_a_bad_phase_or_code_is_its_rows_error(reasons, admin_user):
    data = csv_bytes(
        [
            REASON_HEADER,
            ["bad-phase", "Bad", "sometimes", "recycle", "yes", "1"],
            ["fine-code", "Fine", "before_working", "recycle", "maybe", "x"],
            ["not a slug", "Spaces", "before_working", "recycle", "yes", "1"],
        ]
    )
    response = preview(logged_in(admin_user), REASONS, data)
    assert response.context.get("confirm_form") is None
    errors = row_errors(response)
    for message in (
        "'sometimes' is not one of: before_working, after_working.",
        "'maybe' is neither yes nor no.",
        "'x' is not a whole number.",
    ):
        assert message in errors
        assert message in text(response)
    assert any("valid “slug”" in error for error in errors), errors
    assert not RejectionReason.objects.filter(label__in=["Bad", "Fine", "Spaces"]).exists()


@pytest.mark.parametrize("who", ["cmo", "vp", "marketer", "manager"])
def test_only_an_administrator_imports_rejection_reasons(cast, reasons, who):
    client = logged_in(getattr(cast, who))
    assert client.get(f"{REASONS}import/").status_code == 403
    data = csv_bytes([REASON_HEADER, ["new-reason", "New", "before_working", "recycle", "yes", "1"]])
    assert preview(client, REASONS, data).status_code == 403
    assert not RejectionReason.objects.filter(code="new-reason").exists()


def test_the_team_changelist_still_counts_current_members(cast):
    TeamFactory(name="Empty")
    response = logged_in(cast.vp).get(TEAMS)
    assert response.status_code == 200
    counts = {team.name: team.member_count for team in response.context["cl"].result_list}
    assert counts == {"Empty": 0, "Enterprise": 3, "SMB": 2}
    assert f"{TEAMS}import/" in response.content.decode()
