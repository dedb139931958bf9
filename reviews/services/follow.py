"""Items of open meetings follow their lead when it changes owner."""

from reviews.models import ReviewItem, ReviewMeeting


def review_items_follow_leads(*, moves: list[tuple[int, int | None, int]]) -> int:
    """Items of open meetings follow their lead to its new owner, so the commitment does not stay
    with someone who left. `moves` is [(lead id, from user id, to user id)]; one UPDATE per new
    owner. Returns how many items moved."""
    by_new_owner: dict[int, list[int]] = {}
    for lead_id, _previous, new_owner in moves:
        by_new_owner.setdefault(new_owner, []).append(lead_id)
    moved = 0
    for new_owner, lead_ids in by_new_owner.items():
        moved += (
            ReviewItem.objects.filter(meeting__status=ReviewMeeting.Status.OPEN, lead_id__in=lead_ids)
            .exclude(rep_id=new_owner)
            .update(rep_id=new_owner)
        )
    return moved
