"""The calendar invite carries only the time-zone rules its dates need, and still gives the
meeting's local time on both sides of a daylight-saving change."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr
from django.test import Client
from icalendar import Calendar

from reviews import services
from reviews.ics import TIME_ZONE_HORIZON

pytestmark = pytest.mark.django_db

# The Monday before Europe's clocks go forward (Sunday 29 March 2026).
WEEK_BEFORE_DST = date(2026, 3, 23)


def invite_for(cast, week_start: date) -> bytes:
    meeting = services.review_meeting_open(team=cast.team, week_start=week_start, by=cast.manager)
    client = Client()
    client.force_login(cast.manager)
    response = client.get(f"/reviews/{meeting.pk}/invite.ics")
    assert response.status_code == 200
    return response.content


def observance_starts(vtimezone) -> list[datetime]:
    """When each of the zone's observances starts: its DTSTART and any RDATEs."""
    starts = []
    for observance in vtimezone.subcomponents:
        starts.append(observance.decoded("dtstart"))
        rdates = observance.get("rdate", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            starts += [value.dt for value in rdate.dts]
    return starts


def test_the_invite_carries_only_the_time_zone_changes_around_the_meeting(cast):
    body = invite_for(cast, WEEK_BEFORE_DST)
    calendar = Calendar.from_ical(body)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["tzid"]) == "Europe/Berlin"
    starts = observance_starts(vtimezone)
    # The zone as it is when the series starts, and the changes of the year after: no 1970s.
    assert len(starts) <= 5
    assert min(starts).date() >= WEEK_BEFORE_DST - timedelta(days=1)
    assert max(starts).date() <= WEEK_BEFORE_DST + TIME_ZONE_HORIZON
    assert len(body) < 2500, f"{len(body)} bytes"


def test_the_invites_own_time_zone_gives_ten_oclock_berlin_time_across_the_change(cast):
    calendar = Calendar.from_ical(invite_for(cast, WEEK_BEFORE_DST))
    event = calendar.walk("VEVENT")[0]
    # Read the zone from the invite itself, not from the system's database.
    own_zone = calendar.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    first = event.decoded("dtstart")
    series = rrulestr(event["rrule"].to_ical().decode(), dtstart=first.replace(tzinfo=None))
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    checked = {}
    start = first.replace(tzinfo=None)
    for local in series.between(start, start + timedelta(days=300), inc=True):
        meets_at = local.replace(tzinfo=own_zone).astimezone(UTC)
        assert meets_at == local.replace(tzinfo=berlin).astimezone(UTC), local
        checked[local.date()] = meets_at.hour
    assert checked[date(2026, 3, 23)] == 9  # 10:00 CET
    assert checked[date(2026, 3, 30)] == 8  # 10:00 CEST, the day after the change
    assert checked[date(2026, 10, 26)] == 9  # back to CET
