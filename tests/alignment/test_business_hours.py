"""Business-hours SLA clocks: alignment.business_hours and the Team's business calendar."""

import functools
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from alignment import business_hours
from alignment.business_hours import DEFAULT, BusinessCalendar, add_business_hours, business_hours_between
from alignment.models import Team
from tests.factories import TeamFactory

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")

GERMANY = BusinessCalendar(time_zone="Europe/Berlin", holiday_country="DE")
USA = BusinessCalendar(time_zone="America/New_York", holiday_country="US")
INDIA = BusinessCalendar(time_zone="Asia/Kolkata", holiday_country="IN")
BERLIN_NO_HOLIDAYS = BusinessCalendar(time_zone="Europe/Berlin")
EVERY_DAY = frozenset(range(7))


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Within a week ----------------------------------------------------------------------------


def test_it_counts_hours_within_one_working_day():
    assert add_business_hours(utc(2026, 6, 15, 10), 3) == utc(2026, 6, 15, 13)  # a Monday


def test_it_carries_the_rest_over_to_the_next_working_day():
    assert add_business_hours(utc(2026, 6, 15, 15), 4) == utc(2026, 6, 16, 11)


def test_it_skips_the_weekend():
    assert add_business_hours(utc(2026, 6, 19, 16), 2) == utc(2026, 6, 22, 10)  # Friday → Monday


def test_it_skips_the_weekend_in_the_teams_time_zone():
    assert add_business_hours(berlin(2026, 6, 19, 16), 2, GERMANY) == berlin(2026, 6, 22, 10)


def test_it_ends_at_closing_time_when_the_hours_run_out_exactly_there():
    assert add_business_hours(utc(2026, 6, 19, 16), 1) == utc(2026, 6, 19, 17)


def test_it_returns_utc_whatever_the_zone_of_the_start():
    due = add_business_hours(datetime(2026, 6, 15, 17, tzinfo=ZoneInfo("Asia/Tokyo")), 1, GERMANY)
    assert due.tzinfo is UTC
    assert due == berlin(2026, 6, 15, 11)  # 17:00 in Tokyo is 10:00 in Berlin


def test_it_takes_decimal_hours():
    assert add_business_hours(utc(2026, 6, 15, 10), Decimal("1.25")) == utc(2026, 6, 15, 11, 15)


def test_it_takes_fractions_of_an_hour_across_days():
    assert add_business_hours(utc(2026, 6, 15, 16, 30), 0.75) == utc(2026, 6, 16, 9, 15)


# --- Starting outside working time ------------------------------------------------------------


def test_it_starts_the_clock_at_opening_time_when_started_before_it():
    assert add_business_hours(utc(2026, 6, 15, 7), 1) == utc(2026, 6, 15, 10)


def test_it_starts_the_clock_next_morning_when_started_after_closing():
    assert add_business_hours(utc(2026, 6, 15, 18), 1) == utc(2026, 6, 16, 10)


def test_it_starts_the_clock_on_monday_when_started_on_a_weekend():
    assert add_business_hours(utc(2026, 6, 20, 12), 1) == utc(2026, 6, 22, 10)


def test_zero_hours_inside_working_time_is_the_start_itself():
    assert add_business_hours(berlin(2026, 6, 15, 11, 7), 0, GERMANY) == berlin(2026, 6, 15, 11, 7)


def test_zero_hours_before_opening_is_opening_time():
    assert add_business_hours(utc(2026, 6, 15, 3), 0) == utc(2026, 6, 15, 9)


def test_zero_hours_at_closing_time_is_the_next_opening():
    # Windows are half-open: 17:00 is no longer working time.
    assert add_business_hours(utc(2026, 6, 19, 17), 0) == utc(2026, 6, 22, 9)


def test_zero_hours_on_a_weekend_is_monday_morning():
    assert add_business_hours(berlin(2026, 6, 21, 12), 0, GERMANY) == berlin(2026, 6, 22, 9)


# --- Public holidays --------------------------------------------------------------------------


def test_it_skips_us_independence_day():
    # Thursday 4 July 2024.
    assert add_business_hours(new_york(2024, 7, 3, 16), 2, USA) == new_york(2024, 7, 5, 10)


def test_it_skips_the_observed_day_of_a_holiday_on_a_saturday():
    # 4 July 2026 is a Saturday; offices close on Friday 3 July.
    assert add_business_hours(new_york(2026, 7, 2, 16), 2, USA) == new_york(2026, 7, 6, 10)


def test_it_skips_german_unity_day_before_a_weekend():
    # Friday 3 October 2025.
    assert add_business_hours(berlin(2025, 10, 2, 16), 2, GERMANY) == berlin(2025, 10, 6, 10)


def test_it_skips_a_holiday_on_a_monday():
    # US Labor Day, Monday 1 September 2025.
    assert add_business_hours(new_york(2025, 8, 29, 16), 2, USA) == new_york(2025, 9, 2, 10)


def test_it_skips_easter_from_good_friday_to_easter_monday():
    # Good Friday 3 April and Easter Monday 6 April 2026 are German public holidays.
    assert add_business_hours(berlin(2026, 4, 2, 16), 2, GERMANY) == berlin(2026, 4, 7, 10)


def test_it_skips_indian_republic_day():
    # Monday 26 January 2026.
    start = datetime(2026, 1, 23, 16, tzinfo=KOLKATA)
    assert add_business_hours(start, 2, INDIA) == datetime(2026, 1, 27, 10, tzinfo=KOLKATA)


def test_a_holiday_is_a_working_day_without_a_holiday_country():
    assert add_business_hours(berlin(2025, 10, 2, 16), 2, BERLIN_NO_HOLIDAYS) == berlin(2025, 10, 3, 10)


def test_a_holiday_is_skipped_even_when_the_clock_starts_on_it():
    assert add_business_hours(berlin(2025, 10, 3, 10), 1, GERMANY) == berlin(2025, 10, 6, 10)


def test_holiday_lookups_are_cached_per_country_and_year(monkeypatch):
    calls = []
    real = holidays.country_holidays

    def counting(country, **kwargs):
        calls.append((country, kwargs["years"]))
        return real(country, **kwargs)

    business_hours._holiday_dates.cache_clear()
    monkeypatch.setattr(holidays, "country_holidays", counting)
    add_business_hours(berlin(2025, 12, 1, 9), 200, GERMANY)  # runs into 2026
    add_business_hours(berlin(2025, 12, 1, 9), 200, GERMANY)
    business_hours._holiday_dates.cache_clear()  # forget what the counting stand-in returned
    assert calls == [("DE", 2025), ("DE", 2026)]


# --- Daylight-saving changes ------------------------------------------------------------------


def test_it_lands_at_ten_local_after_berlins_spring_forward_weekend():
    # Clocks go forward on Sunday 29 March 2026; Monday 10:00 is CEST (UTC+2).
    due = add_business_hours(berlin(2026, 3, 27, 16), 2, GERMANY)
    assert due == berlin(2026, 3, 30, 10)
    assert due == utc(2026, 3, 30, 8)
    assert add_business_hours(berlin(2026, 3, 20, 16), 2, GERMANY) == utc(2026, 3, 23, 9)  # a week before


def test_it_lands_at_ten_local_after_berlins_fall_back_weekend():
    # Clocks go back on Sunday 25 October 2026; Monday 10:00 is CET (UTC+1).
    due = add_business_hours(berlin(2026, 10, 23, 16), 2, GERMANY)
    assert due == berlin(2026, 10, 26, 10)
    assert due == utc(2026, 10, 26, 9)


def test_it_lands_at_ten_local_after_new_yorks_spring_forward_weekend():
    # Clocks go forward on Sunday 8 March 2026; Monday 10:00 is EDT (UTC-4).
    due = add_business_hours(new_york(2026, 3, 6, 16), 2, USA)
    assert due == new_york(2026, 3, 9, 10)
    assert due == utc(2026, 3, 9, 14)


def test_a_day_shift_on_the_day_of_a_change_is_still_eight_hours():
    seven_days = BusinessCalendar(time_zone="Europe/Berlin", working_days=EVERY_DAY)
    for sunday in (date(2026, 3, 29), date(2026, 10, 25)):
        midnight = datetime.combine(sunday, time(0), BERLIN)
        assert business_hours_between(midnight, midnight + timedelta(days=1), seven_days) == 8
    assert add_business_hours(berlin(2026, 3, 29, 9), 8, seven_days) == berlin(2026, 3, 29, 17)
    assert add_business_hours(berlin(2026, 10, 25, 9), 8, seven_days) == berlin(2026, 10, 25, 17)


def test_a_window_containing_the_change_counts_real_elapsed_time():
    night = BusinessCalendar(time_zone="Europe/Berlin", working_days=EVERY_DAY, starts=time(0), ends=time(8))
    assert business_hours_between(berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 8), night) == 7
    assert business_hours_between(berlin(2026, 10, 25, 0), berlin(2026, 10, 25, 8), night) == 9
    assert add_business_hours(berlin(2026, 3, 29, 0), 7, night) == berlin(2026, 3, 29, 8)
    assert add_business_hours(berlin(2026, 10, 25, 0), 9, night) == berlin(2026, 10, 25, 8)


def test_a_window_edge_in_the_skipped_hour_is_the_moment_of_the_change():
    # 02:30 does not exist in Berlin on 29 March 2026: the clock reads 02:30 or later from 03:00 CEST.
    early = BusinessCalendar(time_zone="Europe/Berlin", working_days=EVERY_DAY, starts=time(2, 30), ends=time(10))
    assert early.window(date(2026, 3, 29)) == (utc(2026, 3, 29, 1), utc(2026, 3, 29, 8))
    closes_early = BusinessCalendar(time_zone="Europe/Berlin", working_days=EVERY_DAY, starts=time(1), ends=time(2, 30))
    assert closes_early.window(date(2026, 3, 29)) == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 1))


def test_a_window_edge_in_the_repeated_hour_is_its_first_occurrence():
    early = BusinessCalendar(time_zone="Europe/Berlin", working_days=EVERY_DAY, starts=time(2, 30), ends=time(10))
    assert early.window(date(2026, 10, 25)) == (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 9))


# --- Measuring elapsed business hours ---------------------------------------------------------


def test_it_measures_business_hours_across_a_weekend():
    assert business_hours_between(utc(2026, 6, 19, 15), utc(2026, 6, 22, 11)) == 4


def test_it_measures_business_hours_across_a_holiday():
    assert business_hours_between(berlin(2025, 10, 2, 9), berlin(2025, 10, 6, 17), GERMANY) == 16


def test_it_measures_nothing_outside_working_time():
    assert business_hours_between(utc(2026, 6, 19, 17), utc(2026, 6, 22, 9)) == 0


def test_it_measures_negative_hours_when_the_end_comes_first():
    # business_hours_between(now, due) is the working time left; negative once overdue.
    assert business_hours_between(utc(2026, 6, 22, 11), utc(2026, 6, 19, 15)) == -4


# --- Bad input --------------------------------------------------------------------------------


def test_it_rejects_negative_hours():
    with pytest.raises(ValueError, match="negative"):
        add_business_hours(utc(2026, 6, 15, 10), -1)


@pytest.mark.parametrize("hours", [float("nan"), float("inf"), Decimal("NaN")])
def test_it_rejects_hours_that_are_not_finite(hours):
    with pytest.raises(ValueError, match="finite"):
        add_business_hours(utc(2026, 6, 15, 10), hours)


def test_it_rejects_a_naive_start():
    with pytest.raises(ValueError, match="aware"):
        add_business_hours(datetime(2026, 6, 15, 10), 1)
    with pytest.raises(ValueError, match="aware"):
        business_hours_between(datetime(2026, 6, 15, 10), utc(2026, 6, 15, 11))


def test_a_calendar_needs_a_working_day():
    with pytest.raises(ValueError, match="at least one working day"):
        BusinessCalendar(working_days=frozenset())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"working_days": frozenset({7})}, "0 \\(Monday\\) to 6 \\(Sunday\\)"),
        ({"starts": time(17), "ends": time(9)}, "end after it starts"),
        ({"starts": time(9), "ends": time(9)}, "end after it starts"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"holiday_country": "XX"}, "no public holidays for 'XX'"),
    ],
)
def test_a_calendar_rejects_nonsense(fields, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**fields)


def test_it_gives_up_with_a_clear_error_when_every_working_day_is_a_holiday(monkeypatch):
    monkeypatch.setattr(business_hours, "_holiday_dates", lambda country, year: _every_date_of(year))
    with pytest.raises(ValueError, match="No working time in the 1098 days"):
        add_business_hours(utc(2026, 6, 15, 10), 1, BusinessCalendar(holiday_country="DE"))


@functools.cache
def _every_date_of(year: int) -> frozenset[date]:
    first = date(year, 1, 1)
    return frozenset(first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days))


# --- Against a slow reference: step minute by minute ------------------------------------------


def reference_add(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """Walk the clock one minute at a time, asking of each minute whether the team is at work.

    Independent of the module under test: wall-clock membership in the team's zone and the
    holidays package read directly. Agrees with it unless a window edge falls in a repeated
    (fall-back) hour, where wall-clock membership would reopen the window.
    """
    tz = ZoneInfo(calendar.time_zone)
    found: dict[tuple[str, int], object] = {}

    def working(moment: datetime) -> bool:
        local = moment.astimezone(tz)
        if local.weekday() not in calendar.working_days or not calendar.starts <= local.time() < calendar.ends:
            return False
        if calendar.holiday_country:
            key = (calendar.holiday_country, local.year)
            if key not in found:
                found[key] = holidays.country_holidays(calendar.holiday_country, years=local.year)
            return local.date() not in found[key]
        return True

    moment = start.astimezone(UTC)
    while not working(moment):
        moment += timedelta(minutes=1)
    while minutes:
        if working(moment):
            minutes -= 1
        moment += timedelta(minutes=1)
    return moment


REFERENCE_CALENDARS = [
    GERMANY,
    USA,
    INDIA,
    BusinessCalendar(time_zone="Australia/Sydney", holiday_country="AU", starts=time(8, 30), ends=time(17, 30)),
    BusinessCalendar(time_zone="Asia/Dubai", working_days=frozenset({0, 1, 2, 3, 6}), holiday_country="AE"),
    BusinessCalendar(time_zone="Pacific/Chatham", working_days=frozenset({1, 3}), starts=time(10), ends=time(12)),
    BusinessCalendar(time_zone="Europe/Berlin", working_days=EVERY_DAY, starts=time(0), ends=time(8)),
]


def random_start(rng: random.Random) -> datetime:
    return utc(2024, 1, 1) + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))


def test_it_agrees_with_the_reference_on_400_hours():
    rng = random.Random(400)
    for calendar in (GERMANY, USA, REFERENCE_CALENDARS[3]):
        start = random_start(rng)
        assert add_business_hours(start, 400, calendar) == reference_add(start, 400 * 60, calendar), (start, calendar)


def test_it_agrees_with_the_reference_on_short_spans():
    rng = random.Random(2026)
    for _ in range(40):
        calendar, start, minutes = rng.choice(REFERENCE_CALENDARS), random_start(rng), rng.randrange(0, 30 * 60)
        expected = reference_add(start, minutes, calendar)
        assert add_business_hours(start, minutes / 60, calendar) == expected, (start, minutes, calendar)


def test_it_agrees_with_the_reference_across_dst_weekends():
    for calendar, friday in [
        (GERMANY, berlin(2026, 3, 27, 16, 20)),
        (GERMANY, berlin(2026, 10, 23, 16, 20)),
        (USA, new_york(2026, 3, 6, 16, 20)),
        (USA, new_york(2026, 10, 30, 16, 20)),
        (REFERENCE_CALENDARS[-1], berlin(2026, 3, 28, 5)),  # the night window across the change
        (REFERENCE_CALENDARS[-1], berlin(2026, 10, 24, 5)),
    ]:
        for minutes in (0, 1, 39, 40, 41, 100, 7 * 60, 9 * 60, 20 * 60):
            assert add_business_hours(friday, minutes / 60, calendar) == reference_add(friday, minutes, calendar)


def test_large_hour_counts_are_fast():
    # Skipping a day costs one step, so years of SLA hours take milliseconds (measured: ~10 ms).
    due = add_business_hours(berlin(2026, 1, 5, 9), 10_000, GERMANY)
    assert business_hours_between(berlin(2026, 1, 5, 9), due, GERMANY) == 10_000


# --- Properties -------------------------------------------------------------------------------

# database=None: no example database written to .hypothesis/ in the working tree.
PROPERTIES = settings(max_examples=150, deadline=None, database=None)
# A calendar with one short window a week takes decades to count 300 hours, past the years for
# which the holidays package has complete data for some countries (India: 2001-2035).
beyond_holiday_data = pytest.mark.filterwarnings("ignore:Requested Holidays are available only:UserWarning")

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Pacific/Chatham"]


@st.composite
def calendars(draw) -> BusinessCalendar:
    # Any minute of the day for the edges, so that some fall in skipped or repeated hours.
    starts, ends = sorted(draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=2, max_size=2, unique=True)))
    return BusinessCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        working_days=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
        starts=time(*divmod(starts, 60)),
        ends=time(*divmod(ends, 60)),
        holiday_country=draw(st.sampled_from(["", "US", "DE", "IN", "AU"])),
    )


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)
hours = st.floats(min_value=0, max_value=300, allow_nan=False)


@beyond_holiday_data
@PROPERTIES
@given(calendar=calendars(), start=moments, a=hours, b=hours)
def test_more_hours_are_never_due_earlier(calendar, start, a, b):
    low, high = sorted((a, b))
    assert start <= add_business_hours(start, low, calendar) <= add_business_hours(start, high, calendar)


@beyond_holiday_data
@PROPERTIES
@given(calendar=calendars(), start=moments, h=hours)
def test_measuring_the_time_to_a_due_time_gives_back_the_hours(calendar, start, h):
    due = add_business_hours(start, h, calendar)
    assert business_hours_between(start, due, calendar) == pytest.approx(h, abs=1e-9)  # to the microsecond


@beyond_holiday_data
@PROPERTIES
@given(calendar=calendars(), start=moments, h=hours)
def test_a_due_time_is_working_time_or_the_end_of_a_window(calendar, start, h):
    due = add_business_hours(start, h, calendar)
    day = due.astimezone(calendar.tzinfo).date()
    closes = {closes for _, closes in calendar.windows(day - timedelta(days=1), day + timedelta(days=1))}
    assert calendar.is_working_time(due) or (h > 0 and due in closes)


@beyond_holiday_data
@PROPERTIES
@given(calendar=calendars(), start=moments)
def test_zero_hours_is_the_next_working_moment(calendar, start):
    due = add_business_hours(start, 0, calendar)
    assert calendar.is_working_time(due)
    assert business_hours_between(start, due, calendar) == 0
    assert due == start or not calendar.is_working_time(start)


@beyond_holiday_data
@PROPERTIES
@given(calendar=calendars(), start=moments, a=st.integers(0, 20_000), b=st.integers(1, 20_000))
def test_adding_in_two_steps_is_adding_the_sum(calendar, start, a, b):
    # Whole minutes, so that no rounding gets in the way; b > 0, as 0 hours after a window's
    # close is the next opening rather than the close itself.
    in_two_steps = add_business_hours(add_business_hours(start, a / 60, calendar), b / 60, calendar)
    assert in_two_steps == add_business_hours(start, (a + b) / 60, calendar)


offsets = st.timedeltas(min_value=timedelta(days=-60), max_value=timedelta(days=60))


@PROPERTIES
@given(calendar=calendars(), a=moments, to_b=offsets, to_c=offsets)
def test_measured_hours_add_up_and_change_sign_with_direction(calendar, a, to_b, to_c):
    b, c = a + to_b, a + to_b + to_c
    ab, bc, ac = (business_hours_between(x, y, calendar) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == pytest.approx(ac, abs=1e-6)
    assert business_hours_between(b, a, calendar) == -ab


# --- The team's calendar ----------------------------------------------------------------------


def test_no_team_means_the_default_calendar():
    assert BusinessCalendar.for_team(None) is DEFAULT
    assert BusinessCalendar("UTC", frozenset({0, 1, 2, 3, 4}), time(9), time(17), "") == DEFAULT


@pytest.mark.django_db
def test_a_team_gets_monday_to_friday_nine_to_five_without_holidays_by_default():
    team = TeamFactory(time_zone="Europe/Berlin")
    team.refresh_from_db()
    assert BusinessCalendar.for_team(team) == BERLIN_NO_HOLIDAYS


@pytest.mark.django_db
def test_a_teams_calendar_comes_from_its_fields():
    team = TeamFactory(time_zone="Asia/Kolkata", working_days="0123456", work_starts=time(10), work_ends=time(18, 30))
    team.holiday_country = "IN"
    team.full_clean()
    assert BusinessCalendar.for_team(team) == BusinessCalendar(
        time_zone="Asia/Kolkata", working_days=EVERY_DAY, starts=time(10), ends=time(18, 30), holiday_country="IN"
    )


def errors_of(team: Team) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        team.full_clean()
    return raised.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("working_days", "message"),
    [
        ("", "Choose at least one working day."),
        (
            "0127",
            "Working days are digits from 0 (Monday) to 6 (Sunday), e.g. 01234 for Monday to Friday; '7' is not one.",
        ),
        (
            "Mo-Fr",
            "Working days are digits from 0 (Monday) to 6 (Sunday), e.g. 01234 for Monday to Friday;"
            " '-FMor' is not one.",
        ),
        ("00124", "Each working day may be listed once; 0 is repeated."),
    ],
)
def test_a_team_rejects_bad_working_days(working_days, message):
    assert errors_of(Team(name="Team", working_days=working_days)) == {"working_days": [message]}


@pytest.mark.django_db
def test_a_team_lists_its_working_days_in_order():
    team = Team(name="Team", working_days="4210")
    team.full_clean()
    assert team.working_days == "0124"


@pytest.mark.django_db
@pytest.mark.parametrize("ends", [time(8), time(9)])
def test_a_teams_working_day_must_end_after_it_starts(ends):
    assert errors_of(Team(name="Team", work_starts=time(9), work_ends=ends)) == {
        "work_ends": ["The working day must end after it starts (09:00); hours past midnight are not supported."]
    }


@pytest.mark.django_db
def test_a_team_reports_an_unreadable_time_on_its_field():
    assert list(errors_of(Team(name="Team", work_starts="nine-ish"))) == ["work_starts"]


@pytest.mark.django_db
def test_the_database_refuses_a_working_day_that_ends_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="Night owls", work_starts=time(17), work_ends=time(9))


@pytest.mark.django_db
def test_the_database_refuses_a_team_without_working_days():
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="Never", working_days="")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("country", "message"),
    [
        (
            "XX",
            "'XX' is not a country whose public holidays are known. Use an ISO 3166 two-letter code such as"
            " US, DE or IN, or leave it blank for no public holidays.",
        ),
        ("de", "Write the country code in capitals: DE."),
    ],
)
def test_a_team_rejects_a_holiday_country_it_cannot_look_up(country, message):
    assert errors_of(Team(name="Team", holiday_country=country)) == {"holiday_country": [message]}


@pytest.mark.django_db
@pytest.mark.parametrize("country", ["", "US", "DE", "IN"])
def test_a_team_accepts_a_known_holiday_country_or_none(country):
    Team(name="Team", holiday_country=country).full_clean()
