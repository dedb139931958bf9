"""Two decisions on the same hand-off at the same moment: exactly one wins."""

import threading

import pytest
from django.db import connection, connections

from leads import services
from leads.exceptions import HandoffConflict
from leads.models import Handoff, LeadEvent


def decide(*, action: str, handoff_id: int, rep, reason, barrier: threading.Barrier, outcomes: list) -> None:
    stale = Handoff.objects.get(pk=handoff_id)
    barrier.wait()
    try:
        if action == "accept":
            services.handoff_accept(handoff=stale, by=rep)
        else:
            services.handoff_reject(handoff=stale, by=rep, reason=reason)
        outcomes.append(action)
    except HandoffConflict:
        outcomes.append("conflict")
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_simultaneous_accept_and_reject_exactly_one_wins(cast, handoff_to_rep, reasons):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself; row-level races need PostgreSQL")
    for _attempt in range(5):
        handoff = handoff_to_rep()
        barrier, outcomes = threading.Barrier(2), []
        threads = [
            threading.Thread(
                target=decide,
                kwargs={
                    "action": action,
                    "handoff_id": handoff.pk,
                    "rep": cast.rep,
                    "reason": reasons["duplicate"],
                    "barrier": barrier,
                    "outcomes": outcomes,
                },
            )
            for action in ("accept", "reject")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert outcomes.count("conflict") == 1, outcomes
        winner = next(outcome for outcome in outcomes if outcome != "conflict")
        handoff.refresh_from_db()
        assert handoff.status == {"accept": "accepted", "reject": "rejected"}[winner]
        decisions = LeadEvent.objects.filter(lead_id=handoff.lead_id, kind__in=["accepted", "rejected"])
        assert decisions.count() == 1
