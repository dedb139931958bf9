"""What an item of a closed meeting carries into next week's: its new next step, or its carried
step still not done. Opening a meeting and closing one while next week's is open both read it."""

from datetime import date

from reviews.models import CLOSING_OUTCOMES, ReviewMeeting


def _carry(row: dict) -> tuple[str, date | None, int] | None:
    """The commitment an item of a closed meeting carries into next week, if any: its new next
    step, or its carried step still not done. A step carried again unmet counts one more week."""
    if row["outcome"] in CLOSING_OUTCOMES:
        return None
    carried_unmet = bool(row["carried_step"]) and not row["step_done"]
    if row["next_step"]:
        same = carried_unmet and row["next_step"] == row["carried_step"]
        return row["next_step"], row["next_step_due"], row["carried_weeks"] + 1 if same else 1
    if carried_unmet:
        return row["carried_step"], row["carried_step_due"], row["carried_weeks"] + 1
    return None


_CARRY_FIELDS = (
    "id",
    "lead_id",
    "outcome",
    "next_step",
    "next_step_due",
    "carried_step",
    "carried_step_due",
    "carried_weeks",
    "step_done",
)


def commitments_of(meeting: ReviewMeeting | None) -> dict[int, tuple[int, tuple[str, date | None, int]]]:
    """lead id -> (item id, commitment) for every unmet commitment of a closed meeting."""
    if meeting is None or meeting.is_open:
        return {}
    carries = {}
    for row in meeting.items.order_by().values(*_CARRY_FIELDS):
        carry = _carry(row)
        if carry is not None:
            carries[row["lead_id"]] = (row["id"], carry)
    return carries
