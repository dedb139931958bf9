"""Business hours: SLA clocks that run only while the receiving team is at work.

A :class:`BusinessCalendar` says when a team works: its time zone, its working weekdays, the
hours of its working day and the country whose public holidays are days off. Two functions
answer the questions SLAs ask:

- :func:`add_business_hours` — when is "N business hours after this moment" (a due time)?
- :func:`business_hours_between` — how many business hours passed between two moments (for
  SLA compliance reports)?

The module is pure: no database, no settings, no ``now()``. Callers pass aware datetimes and
get aware datetimes back in UTC.

How a working day becomes a window of real time
-----------------------------------------------
Working hours are wall-clock times in the team's time zone. On each working day (a working
weekday that is not a public holiday) the team's window is the real-time interval

    [first instant the local clock reads ``starts``, first instant it reads ``ends``)

and the clock counts real elapsed time inside it. Consequences around daylight-saving
changes:

- A change outside the window (the usual case: clocks change at night, offices open at
  09:00) does not touch it: 09:00-17:00 is 8 hours on the day of the change as on any other.
  Friday 16:00 + 2 h across Europe's spring-forward weekend is Monday 10:00 local, which is
  one hour earlier in UTC than it would have been a week before.
- A change inside the window lengthens or shortens it by the real amount: a 00:00-08:00
  window is 7 hours on a spring-forward night and 9 hours on a fall-back night. An SLA hour is
  an hour the team actually spends at work, not an hour of the clock on the wall.
- An edge that falls in a skipped hour (clocks spring forward over it) is the moment of the
  change: with ``starts=02:30`` in Berlin on the last Sunday of March the team starts at
  03:00 CEST, when the clock first reads 02:30 or later.
- An edge that falls in a repeated hour (clocks fall back over it) is its first occurrence;
  the window does not reopen when the clock reads the same times again.

A window is half-open: a moment is working time when ``opens <= moment < closes``. Adding a
positive number of hours may therefore end exactly at a window's close (Friday 16:00 + 1 h
is Friday 17:00, not Monday 09:00), while adding zero hours to a moment outside working time
moves it to the next working moment.

Working hours must lie within one calendar day (``starts < ends``); overnight shifts and
round-the-clock teams are not modelled.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays


class TeamHours(Protocol):
    """What a calendar reads of a team (alignment.models.Team), named here so this module, which
    the models import, imports nothing back."""

    time_zone: str
    working_days: object
    work_starts: time
    work_ends: time
    holiday_country: str


ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)
# add_business_hours gives up after this many consecutive days without working time. A real
# calendar never gets near it; a misconfigured one (every working day a holiday) fails loudly
# instead of looping for ever.
MAX_DAYS_WITHOUT_WORK = 3 * 366


@lru_cache(maxsize=1)
def holiday_countries() -> frozenset[str]:
    """ISO 3166 alpha-2 codes of the countries whose public holidays the ``holidays`` package knows."""
    return frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)


@lru_cache(maxsize=512)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    # Observed days are included (US Independence Day on a Saturday is observed on Friday
    # July 3rd), which is what offices close on. National holidays only: regional ones (a
    # German state's, a US state's) are not counted. A frozenset, not the package's
    # HolidayBase, so that the cached value cannot be changed by whoever reads it.
    # For some countries the package's data covers a fixed range of years (India's lunar
    # holidays: 2001-2035); outside it, it returns the holidays it can compute and warns.
    return frozenset(holidays.country_holidays(country, years=year))


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team works. Weekdays are numbered as :meth:`date.weekday`: 0 = Monday … 6 = Sunday."""

    time_zone: str = "UTC"
    working_days: frozenset[int] = frozenset(range(5))
    starts: time = time(9)
    ends: time = time(17)
    holiday_country: str = ""

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone {self.time_zone!r}.") from error
        if not self.working_days:
            raise ValueError("A business calendar needs at least one working day.")
        if not self.working_days <= frozenset(range(7)):
            raise ValueError(f"Working days are 0 (Monday) to 6 (Sunday), not {sorted(self.working_days)}.")
        if self.starts.tzinfo is not None or self.ends.tzinfo is not None:
            raise ValueError("Working hours are local wall-clock times; give them without a time zone.")
        if not self.starts < self.ends:
            raise ValueError(f"The working day must end after it starts ({self.starts}–{self.ends}).")
        if self.holiday_country and self.holiday_country not in holiday_countries():
            raise ValueError(f"The holidays package has no public holidays for {self.holiday_country!r}.")

    @classmethod
    def for_team(cls, team: TeamHours | None) -> BusinessCalendar:
        """The team's calendar; :data:`DEFAULT` when there is no team."""
        if team is None:
            return DEFAULT
        return cls(
            time_zone=team.time_zone,
            working_days=frozenset(int(day) for day in team.working_days),
            starts=team.work_starts,
            ends=team.work_ends,
            holiday_country=team.holiday_country,
        )

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo keeps its own cache of instances

    def is_holiday(self, day: date) -> bool:
        return bool(self.holiday_country) and day in _holiday_dates(self.holiday_country, day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and not self.is_holiday(day)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of a local date as (opens, closes) in UTC, or None on a day off.

        None too in the freak case where both edges fall in the same skipped hour.
        """
        if not self.is_working_day(day):
            return None
        tz = self.tzinfo
        opens = _first_instant_reading(datetime.combine(day, self.starts), tz)
        closes = _first_instant_reading(datetime.combine(day, self.ends), tz)
        return (opens, closes) if opens < closes else None

    def is_working_time(self, moment: datetime) -> bool:
        """Whether an aware moment falls inside a working window."""
        moment = _as_utc(moment, "moment")
        day = moment.astimezone(self.tzinfo).date()
        # The next day's window is checked too: when clocks fall back across midnight, the
        # first hour of a day can read as the previous date.
        return any(opens <= moment < closes for opens, closes in self.windows(day, day + ONE_DAY))

    def windows(self, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
        """The working windows of the local dates ``first`` to ``last`` inclusive, in order."""
        day = first
        while day <= last:
            window = self.window(day)
            if window is not None:
                yield window
            day += ONE_DAY


DEFAULT = BusinessCalendar()
"""UTC, Monday to Friday, 09:00–17:00, no public holidays: for work that has no team."""


def add_business_hours(start: datetime, hours: float | Decimal, calendar: BusinessCalendar = DEFAULT) -> datetime:
    """The moment ``hours`` of working time after ``start``, as an aware datetime in UTC.

    ``start`` is an aware datetime in any time zone. If it falls outside working time, the clock
    starts at the next working moment; with ``hours == 0`` that moment is the answer (or
    ``start`` itself when it is working time). The result can be the close of a window when the
    hours run out exactly there. Precision is one microsecond.

    Raises ValueError for a naive ``start``, a negative or non-finite ``hours``, and when no
    working time turns up for :data:`MAX_DAYS_WITHOUT_WORK` consecutive days.
    """
    cursor = _as_utc(start, "start")
    remaining = _as_timedelta(hours)
    day = cursor.astimezone(calendar.tzinfo).date()
    days_without_work = 0
    try:
        while True:
            window = calendar.window(day)
            if window is not None and cursor < window[1]:
                days_without_work = 0
                opens, closes = window
                begin = max(cursor, opens)
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
                cursor = closes
            else:
                days_without_work += 1
                if days_without_work > MAX_DAYS_WITHOUT_WORK:
                    raise ValueError(
                        f"No working time in the {MAX_DAYS_WITHOUT_WORK} days up to {day} in {calendar}:"
                        " check its working days and holiday country."
                    )
            day += ONE_DAY
    except OverflowError as error:
        raise ValueError(f"{hours} business hours after {start} is beyond the year 9999.") from error


def business_hours_between(start: datetime, end: datetime, calendar: BusinessCalendar = DEFAULT) -> float:
    """Working hours between two aware moments, counted in ``calendar``.

    Signed: negative when ``end`` is before ``start`` (so ``business_hours_between(now, due)``
    is the working time left, negative once overdue). Consistent with
    :func:`add_business_hours`: ``business_hours_between(s, add_business_hours(s, h, c), c)``
    is ``h`` to the microsecond for any ``s``.
    """
    start, end = _as_utc(start, "start"), _as_utc(end, "end")
    if end < start:
        return -business_hours_between(end, start, calendar)
    tz = calendar.tzinfo
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date() + ONE_DAY
    worked = timedelta()
    for opens, closes in calendar.windows(first, last):
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta():
            worked += overlap
    return worked / ONE_HOUR


def _first_instant_reading(local: datetime, tz: ZoneInfo) -> datetime:
    """The first instant (in UTC) at which a clock in ``tz`` reads the naive ``local`` or later."""
    candidate = local.replace(tzinfo=tz)  # fold=0: the first occurrence of a repeated time
    instant = candidate.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local:
        return instant
    # ``local`` was skipped: clocks sprang forward over it, and the answer is the moment of the
    # change. fold=1 reads ``local`` with the offset after the change, which lands before it;
    # fold=0 (``instant``) lands after it. Bisect whole seconds between the two (transitions
    # are at whole seconds in the tz database); a gap is an hour or so, about a dozen steps.
    before = candidate.replace(fold=1).astimezone(UTC)
    low, high = math.floor(before.timestamp()), math.ceil(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= local:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _as_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}.")
    return moment.astimezone(UTC)


def _as_timedelta(hours: float | Decimal) -> timedelta:
    finite = hours.is_finite() if isinstance(hours, Decimal) else math.isfinite(hours)
    if not finite:
        raise ValueError(f"Business hours must be a finite number, got {hours}.")
    if hours < 0:
        raise ValueError(f"Business hours cannot be negative, got {hours}.")
    try:
        if isinstance(hours, Decimal):  # exact: no detour through float
            return timedelta(microseconds=int((hours * 3_600_000_000).to_integral_value()))
        return timedelta(hours=hours)
    except OverflowError as error:
        raise ValueError(f"{hours} business hours is too many to count.") from error
