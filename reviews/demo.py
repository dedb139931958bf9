"""Demo lead reviews: for every sales team, last week's meeting held and closed (updates,
outcomes that keep the leads with sales, next steps) and this week's meeting open with the
unmet steps carried over. Idempotent: a team that already has a meeting is left alone.

Called from `seed_demo` after the leads exist: `reviews.demo.ensure_review_meetings()`."""

import random
from datetime import timedelta

from django.utils import timezone

from reviews import selectors, services
from reviews.models import Outcome, ReviewMeeting
from reviews.weeks import local_now, monday_of

UPDATES = [
    "Left a voicemail, email follow-up sent",
    "Discovery call done; budget in Q1",
    "Champion engaged, needs IT sign-off",
    "Demo went well, pricing questions",
    "No answer yet after two calls",
]
STEPS = ["Send proposal", "Book the demo", "Call the CFO", "Share the case study", "Second follow-up call"]


def ensure_review_meetings(*, seed: int = 7) -> int:
    """Returns the number of meetings opened."""
    rng = random.Random(seed)
    now = timezone.now()
    opened = 0
    for team in selectors.sales_teams().select_related("manager"):
        if team.manager is None or ReviewMeeting.objects.filter(team=team).exists():
            continue
        this_week = monday_of(local_now(team.time_zone, now).date())
        last = services.review_meeting_open(team=team, week_start=this_week - timedelta(days=7), now=now)
        items = list(last.items.select_related("lead").order_by("id"))
        by_rep: dict[int, dict] = {}
        for item in items:
            if rng.random() < 0.8:
                by_rep.setdefault(item.rep_id, {})[item.pk] = services.RepUpdate(
                    update=rng.choice(UPDATES),
                    proposed_outcome=Outcome.PROGRESSING,
                    next_step=rng.choice(STEPS),
                    next_step_due=this_week + timedelta(days=rng.randrange(0, 5)),
                )
        for rep_id, updates in by_rep.items():
            rep = next(item.rep for item in items if item.rep_id == rep_id)
            services.review_items_update(meeting=last, by=rep, updates=updates, now=now)
        outcomes = {
            item.pk: services.ItemOutcome(
                outcome=rng.choice([Outcome.PROGRESSING, Outcome.PROGRESSING, Outcome.STALLED]),
                next_step=rng.choice(STEPS),
                next_step_due=this_week + timedelta(days=rng.randrange(0, 5)),
            )
            for item in items
            if rng.random() < 0.7
        }
        if outcomes:
            services.review_items_record(meeting=last, by=team.manager, outcomes=outcomes, now=now)
        services.review_meeting_close(meeting=last, by=team.manager, now=now)
        services.review_meeting_open(team=team, week_start=this_week, now=now)
        opened += 2
    return opened
