"""Reactions to what the leads app does: open review commitments follow reassigned leads, and
the demo gets its review meetings."""


def leads_reassigned(sender, moves, **kwargs) -> None:
    from reviews.services import review_items_follow_leads

    review_items_follow_leads(moves=moves)


def demo_data_loaded(sender, **kwargs) -> str:
    from reviews.demo import ensure_review_meetings

    opened = ensure_review_meetings()
    return f"Opened {opened} demo lead-review meetings." if opened else ""
