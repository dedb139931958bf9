"""The calendar invite for a team's recurring weekly lead review (RFC 5545, via icalendar)."""

from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from reviews.models import ReviewMeeting
from reviews.weeks import local_now

_BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# How far ahead the invite's time-zone rules reach: a year of the weekly series, so both of the
# year's daylight-saving changes are in it. Calendars that know the zone by name (most do) use
# their own rules; the others read these. Without a window icalendar writes every change from
# 1970 to 2037: 117 of them for Europe/Berlin, against three.
TIME_ZONE_HORIZON = timedelta(days=400)


def meeting_invite(*, meeting: ReviewMeeting, attendees: list, url: str) -> bytes:
    """A weekly recurring event at the meeting's time in the team's time zone. The UID is the
    team's, so importing next week's invite updates the same series instead of adding one."""
    team = meeting.team
    start = local_now(team.time_zone, meeting.scheduled_at)
    calendar = Calendar()
    calendar.add("prodid", "-//Accord//Weekly lead review//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"lead-review-team-{team.pk}@accord")
    event.add("summary", f"{team} weekly lead review")
    event.add("description", f"Every open lead of every rep, one by one. Post your updates first: {url}")
    event.add("url", url)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
    event.add("rrule", {"freq": "weekly", "byday": _BYDAY[start.weekday()]})
    manager = team.manager
    if manager is not None and manager.email:
        organizer = vCalAddress(f"mailto:{manager.email}")
        organizer.params["cn"] = vText(manager.get_full_name() or manager.username)
        event.add("organizer", organizer)
    for person in attendees:
        if not person.email:
            continue
        attendee = vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = vText(person.get_full_name() or person.username)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=start.date() - timedelta(days=1), last_date=start.date() + TIME_ZONE_HORIZON
    )
    return calendar.to_ical()
