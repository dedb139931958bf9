"""How the work queue says a due time: "due in 3 h 20 min", "overdue by 2 d 4 h". The server
writes it; static/accord/work_queue.js rewrites it every 30 s with the same wording, which
tests/queue/test_countdown_words.py holds to this one."""

from datetime import datetime

from django import template

register = template.Library()


def _span(seconds: int) -> str:
    minutes = max(seconds // 60, 1)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@register.filter
def time_left(due: datetime | None, now: datetime) -> str:
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    return f"due in {_span(seconds)}" if seconds > 0 else f"overdue by {_span(-seconds)}"


@register.filter
def is_overdue(due: datetime | None, now: datetime) -> bool:
    return due is not None and due <= now
