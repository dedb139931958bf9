"""ISO weeks ("2026-W48") and the Monday each one starts on."""

import re
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.utils import timezone

_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def parse_week(value: str) -> date:
    """The Monday of an ISO week written as 2026-W48; ValueError with a readable message."""
    match = _ISO_WEEK.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an ISO week; write it like 2026-W48.")
    year, week = int(match[1]), int(match[2])
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no week {week}.") from None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_now(time_zone: str, now: datetime | None = None) -> datetime:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(time_zone))


def at_local(day: date, at: time, time_zone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(time_zone))
