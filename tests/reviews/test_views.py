"""The review pages: who may see and do what, the forms, the exports, and constant query counts."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from leads.models import Handoff, Lead, Stage
from reviews import services
from reviews.models import Outcome, ReviewItem, ReviewMeeting
from reviews.services import ItemOutcome
from tests.factories import bulk_handed_off_leads
from tests.reviews import steps

pytestmark = pytest.mark.django_db

ROLES = ["rep", "teammate", "manager", "other_manager", "other_rep", "marketer", "cmo", "vp"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(cast, accepted_lead):
    lead = accepted_lead(last_name="Lovelace")
    accepted_lead(rep=cast.teammate, last_name="Hopper")
    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)
    return {"cast": cast, "meeting": meeting, "lead": lead, "item": meeting.items.get(lead=lead)}


# url -> expected status per role (rep, teammate, manager, other_manager, other_rep, marketer, cmo, vp)
MATRIX = {
    "/reviews/": (200, 200, 200, 200, 200, 403, 200, 200),
    "/reviews/coverage/": (403, 403, 200, 200, 403, 403, 200, 200),
    "/reviews/{meeting}/": (302, 302, 200, 404, 404, 404, 200, 200),
    "/reviews/{meeting}/my-items/": (200, 200, 200, 404, 404, 404, 200, 200),
    "/reviews/{meeting}/minutes/": (200, 200, 200, 404, 404, 404, 200, 200),
    "/reviews/{meeting}/minutes.csv": (200, 200, 200, 404, 404, 404, 200, 200),
    "/reviews/{meeting}/invite.ics": (200, 200, 200, 404, 404, 404, 200, 200),
    "/admin/reviews/reviewmeeting/": (403, 403, 200, 200, 403, 403, 200, 200),
    "/admin/reviews/reviewmeeting/{meeting}/change/": (403, 403, 200, 404, 403, 403, 200, 200),
    "/admin/reviews/reviewitem/": (403, 403, 200, 200, 403, 403, 200, 200),
    "/admin/reviews/reviewitem/{item}/change/": (403, 403, 200, 404, 403, 403, 200, 200),
}


@pytest.mark.parametrize("url", list(MATRIX))
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_role_access(world, url, role_index):
    person = getattr(world["cast"], ROLES[role_index])
    path = url.format(meeting=world["meeting"].pk, item=world["item"].pk)
    response = client_for(person).get(path)
    assert response.status_code == MATRIX[url][role_index], f"{ROLES[role_index]} GET {path}"


@pytest.mark.parametrize("url", ["/reviews/", "/reviews/1/", "/reviews/1/my-items/", "/reviews/1/invite.ics"])
def test_anonymous_people_are_sent_to_the_login_page(db, url):
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def outcome_post(item, **fields) -> dict:
    data = {
        "discussed": "",
        "outcome": "",
        "reason": "",
        "reassign_to": "",
        "next_step": "",
        "next_step_due": "",
        "note": "",
    }
    data.update(fields)
    return {f"item-{item.pk}-{key}": value for key, value in data.items() if value is not False}


@pytest.mark.parametrize(("who", "expected"), [("rep", 403), ("teammate", 403), ("other_manager", 404), ("cmo", 403)])
def test_only_the_manager_or_a_sales_leader_records_and_closes(world, who, expected):
    client = client_for(getattr(world["cast"], who))
    meeting, item = world["meeting"], world["item"]
    post = client.post(f"/reviews/{meeting.pk}/?rep={item.rep_id}", outcome_post(item, outcome="won"))
    assert post.status_code == expected
    assert client.post(f"/reviews/{meeting.pk}/close/").status_code == expected
    item.refresh_from_db()
    meeting.refresh_from_db()
    assert item.outcome == "" and meeting.is_open


def test_the_manager_records_an_outcome_for_a_rep(world):
    cast, meeting, item = world["cast"], world["meeting"], world["item"]
    client = client_for(cast.manager)
    page = client.get(f"/reviews/{meeting.pk}/?rep={cast.rep.pk}")
    assert b"Lovelace" in page.content and b"Hopper" not in page.content  # one rep at a time
    due = (meeting.week_start + timedelta(days=3)).isoformat()
    response = client.post(
        f"/reviews/{meeting.pk}/?rep={cast.rep.pk}",
        outcome_post(item, discussed="on", outcome="progressing", next_step="Send proposal", next_step_due=due),
    )
    assert response.status_code == 302 and response["Location"] == f"/reviews/{meeting.pk}/?rep={cast.rep.pk}"
    item.refresh_from_db()
    assert (item.outcome, item.next_step, item.next_step_due.isoformat()) == ("progressing", "Send proposal", due)
    assert item.discussed_at is not None and item.recorded_by == cast.manager


def test_a_recycle_without_a_reason_shows_a_clear_message_and_saves_nothing(world):
    cast, meeting, item = world["cast"], world["meeting"], world["item"]
    response = client_for(cast.manager).post(
        f"/reviews/{meeting.pk}/?rep={cast.rep.pk}", outcome_post(item, outcome="recycle", next_step="x")
    )
    assert response.status_code == 200
    assert "choose a reason from the catalogue to recycle to marketing it" in response.content.decode()
    item.refresh_from_db()
    assert (item.outcome, item.next_step) == ("", "")


def test_the_manager_closes_the_meeting_and_the_outcomes_apply(world, reasons):
    cast, meeting, item = world["cast"], world["meeting"], world["item"]
    steps.item_record(item=item, by=cast.manager, outcome=ItemOutcome(outcome=Outcome.WON))
    response = client_for(cast.manager).post(f"/reviews/{meeting.pk}/close/")
    assert response.status_code == 302 and response["Location"] == f"/reviews/{meeting.pk}/minutes/"
    assert Lead.objects.get(pk=item.lead_id).stage == Stage.WON
    meeting.refresh_from_db()
    assert not meeting.is_open


def test_a_refused_close_names_the_failing_leads(world, reasons):
    cast, meeting, item = world["cast"], world["meeting"], world["item"]
    steps.item_record(item=item, by=cast.manager, outcome=ItemOutcome(outcome=Outcome.WON))
    Lead.objects.filter(pk=item.lead_id).update(stage=Stage.LOST)  # changed after the meeting
    client = client_for(cast.manager)
    response = client.post(f"/reviews/{meeting.pk}/close/", follow=True)
    text = response.content.decode()
    assert "was not closed" in text and "Lovelace" in text
    meeting.refresh_from_db()
    assert meeting.is_open


def test_a_rep_posts_updates_from_one_page(world):
    cast, meeting, item = world["cast"], world["meeting"], world["item"]
    client = client_for(cast.rep)
    page = client.get(f"/reviews/{meeting.pk}/my-items/")
    assert b"Lovelace" in page.content and b"Hopper" not in page.content
    due = (meeting.week_start + timedelta(days=4)).isoformat()
    data = {
        f"item-{item.pk}-update": "Demo on Thursday",
        f"item-{item.pk}-proposed_outcome": "progressing",
        f"item-{item.pk}-next_step": "Demo",
        f"item-{item.pk}-next_step_due": due,
    }
    response = client.post(f"/reviews/{meeting.pk}/my-items/", data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.update, item.proposed_outcome, item.next_step) == ("Demo on Thursday", "progressing", "Demo")


def test_a_rep_cannot_post_onto_a_teammates_item_or_a_closed_meeting(world):
    cast, meeting = world["cast"], world["meeting"]
    theirs = meeting.items.get(rep=cast.teammate)
    client = client_for(cast.rep)
    client.post(f"/reviews/{meeting.pk}/my-items/", {f"item-{theirs.pk}-update": "mine now"})
    theirs.refresh_from_db()
    assert theirs.update == ""  # not on the rep's page, so never read from the post

    services.review_meeting_close(meeting=meeting, by=cast.manager)
    item = world["item"]
    response = client.post(f"/reviews/{meeting.pk}/my-items/", {f"item-{item.pk}-update": "late"}, follow=True)
    assert "read-only" in response.content.decode()
    item.refresh_from_db()
    assert item.update == ""


def test_a_manager_opens_this_weeks_meeting_once(cast, accepted_lead):
    accepted_lead()
    client = client_for(cast.manager)
    response = client.post("/reviews/open/", {"team": cast.team.pk})
    meeting = ReviewMeeting.objects.get()
    assert response["Location"] == f"/reviews/{meeting.pk}/"
    again = client.post("/reviews/open/", {"team": cast.team.pk}, follow=True)
    assert "already has a lead review" in again.content.decode()
    assert client.post("/reviews/open/", {"team": cast.other_team.pk}).status_code == 403
    assert client_for(cast.rep).post("/reviews/open/", {"team": cast.team.pk}).status_code == 403
    assert ReviewMeeting.objects.count() == 1


def test_the_csv_export_escapes_formulas_and_scopes_to_the_viewer(world):
    cast, meeting, item = world["cast"], world["meeting"], world["item"]
    ReviewItem.objects.filter(pk=item.pk).update(update="=HYPERLINK(1)")
    full = client_for(cast.manager).get(f"/reviews/{meeting.pk}/minutes.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(full.streaming_content).decode("utf-8-sig"))))
    assert sorted(r["lead"].split()[-1] for r in rows) == ["Hopper", "Lovelace"]
    assert next(r for r in rows if r["lead"].endswith("Lovelace"))["rep update"] == "'=HYPERLINK(1)"
    own = client_for(cast.rep).get(f"/reviews/{meeting.pk}/minutes.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(own.streaming_content).decode("utf-8-sig"))))
    assert [r["lead"].split()[-1] for r in rows] == ["Lovelace"]


def test_the_calendar_invite_is_a_weekly_series_in_the_team_time_zone(world):
    cast, meeting = world["cast"], world["meeting"]
    response = client_for(cast.rep).get(f"/reviews/{meeting.pk}/invite.ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    event = calendar.walk("VEVENT")[0]
    assert str(event["uid"]) == f"lead-review-team-{cast.team.pk}@accord"
    assert event["rrule"]["FREQ"] == ["WEEKLY"] and event["rrule"]["BYDAY"] == ["MO"]
    start = event.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (10, 0, "Europe/Berlin")
    assert calendar.walk("VTIMEZONE")
    attendees = {str(a) for a in event.get("attendee")}
    assert attendees == {"mailto:manager@accord.test", "mailto:rep@accord.test", "mailto:teammate@accord.test"}


def test_the_minutes_page_shows_coverage_and_a_rep_sees_only_their_leads(world):
    cast, meeting = world["cast"], world["meeting"]
    manager_page = client_for(cast.manager).get(f"/reviews/{meeting.pk}/minutes/").content.decode()
    assert "Lovelace" in manager_page and "Hopper" in manager_page and "discussed" in manager_page
    rep_page = client_for(cast.rep).get(f"/reviews/{meeting.pk}/minutes/").content.decode()
    assert "Lovelace" in rep_page and "Hopper" not in rep_page


def test_the_command_opens_the_week_once_and_prints_json_last(cast, accepted_lead, capsys):
    accepted_lead()
    call_command("open_reviews", "--week", "2026-W48", "--json")
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    call_command("open_reviews", "--week", "2026-W48")
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first == {"opened": 2, "items": 1, "carried_over": 0}
    assert second == {"opened": 0, "items": 0, "carried_over": 0}


def test_the_command_refuses_a_malformed_week(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="2026-W48"):
        call_command("open_reviews", "--week", "48")


# --- Constant query counts ---------------------------------------------------------------------


def count_queries(user, url) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def meeting_with(cast, n) -> ReviewMeeting:
    ReviewMeeting.objects.all().delete()
    for rep in (cast.rep, cast.teammate):
        bulk_handed_off_leads(
            n=n // 2,
            rep=rep,
            marketer=cast.marketer,
            team=cast.team,
            source=cast.source,
            status=Handoff.Status.ACCEPTED,
        )
    meeting = services.review_meeting_open(team=cast.team, by=cast.manager)
    ReviewItem.objects.filter(meeting=meeting, id__in=meeting.items.values("id")[: n // 3]).update(
        update="ok", next_step="call", outcome="progressing", carried_step="old", carried_weeks=2
    )
    return meeting


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("manager", "/reviews/{pk}/?rep={rep}"),
        ("manager", "/reviews/{pk}/?rep={rep}&page=2"),
        ("rep", "/reviews/{pk}/my-items/"),
        ("manager", "/reviews/{pk}/minutes/"),
        ("manager", "/reviews/"),
        ("manager", "/reviews/coverage/"),
        ("cmo", "/admin/reviews/reviewmeeting/"),
        ("cmo", "/admin/reviews/reviewitem/"),
    ],
)
def test_query_count_does_not_grow_with_items(cast, who, url):
    user = getattr(cast, who)
    small = meeting_with(cast, 10)
    with_10 = count_queries(user, url.format(pk=small.pk, rep=cast.rep.pk))
    big = meeting_with(cast, 200)
    with_200 = count_queries(user, url.format(pk=big.pk, rep=cast.rep.pk))
    assert with_10 == with_200, f"{url}: {with_10} queries for 10 items, {with_200} for 200"
    assert with_200 <= 12


def test_the_meeting_page_runs_at_most_ten_queries(cast):
    meeting = meeting_with(cast, 200)
    assert count_queries(cast.manager, f"/reviews/{meeting.pk}/") <= 10
