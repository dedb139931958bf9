"""Service-level due times, counted in the receiving team's business hours (its time zone,
working days and hours, and public holidays). The hour counts come from settings until the
qualified-lead definitions carry their own agreed terms."""

from datetime import datetime

from django.conf import settings

from alignment.business_hours import BusinessCalendar, add_business_hours
from alignment.models import Team


def accept_due(*, start: datetime, team: Team | None) -> datetime:
    return add_business_hours(start, settings.ACCORD_ACCEPT_WITHIN_HOURS, BusinessCalendar.for_team(team))


def first_touch_due(*, start: datetime, team: Team | None) -> datetime:
    return add_business_hours(start, settings.ACCORD_FIRST_TOUCH_WITHIN_HOURS, BusinessCalendar.for_team(team))
