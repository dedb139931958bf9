"""Service-level terms and due times. The terms are the active qualified-lead definition's (what
marketing and sales agreed), or the settings' defaults while none is active. Due times are
counted in the receiving team's business hours (its time zone, working days and hours, and
public holidays)."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from alignment.business_hours import BusinessCalendar, add_business_hours
from alignment.models import QualificationDefinition, Team


@dataclass(frozen=True)
class Terms:
    accept_within_hours: int
    first_touch_within_hours: int
    expiry_action: str  # "return" or "reassign"
    touches_before_unresponsive: int = 3


def terms() -> Terms:
    agreed = (
        QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE)
        .values_list("accept_within_hours", "first_touch_within_hours", "expiry_action", "touches_before_unresponsive")
        .first()
    )
    if agreed:
        return Terms(*agreed)
    return Terms(
        settings.ACCORD_ACCEPT_WITHIN_HOURS,
        settings.ACCORD_FIRST_TOUCH_WITHIN_HOURS,
        settings.ACCORD_EXPIRY_ACTION,
        settings.ACCORD_TOUCHES_BEFORE_UNRESPONSIVE,
    )


def accept_due(*, start: datetime, team: Team | None, within: int | None = None) -> datetime:
    hours = terms().accept_within_hours if within is None else within
    return add_business_hours(start, hours, BusinessCalendar.for_team(team))


def first_touch_due(*, start: datetime, team: Team | None, within: int | None = None) -> datetime:
    hours = terms().first_touch_within_hours if within is None else within
    return add_business_hours(start, hours, BusinessCalendar.for_team(team))
