"""Two decisions on the same hand-off at the same moment: exactly one wins."""

import threading

import pytest
from django.db import connection, connections

from leads import services
from leads.exceptions import HandoffConflict
from leads.models import Handoff, Lead, LeadEvent


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
    except Exception as error:  # anything else is a failure the assertion below should show
        outcomes.append(repr(error))
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


def run_together(target, n=2) -> list:
    """Start n threads on `target` at the same moment; return what each returned."""
    barrier, results = threading.Barrier(n), []

    def run():
        barrier.wait()
        try:
            results.append(target())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_remind_each_handoff_exactly_once(cast):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking to race for real")
    from datetime import timedelta

    from django.utils import timezone

    from leads.models import Reminder
    from leads.sweeps import sweep_overdue
    from tests.factories import bulk_handed_off_leads

    bulk_handed_off_leads(n=300, rep=cast.rep, marketer=cast.marketer, team=cast.team, source=cast.source)
    Handoff.objects.update(accept_due_at=timezone.now() - timedelta(hours=1))
    results = run_together(lambda: sweep_overdue(batch_size=50))
    assert sum(result["reminded"] for result in results) == 300
    assert Reminder.objects.count() == 300


@pytest.mark.django_db(transaction=True)
def test_two_workers_reassigning_at_once_move_each_lead_exactly_once(cast):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking to race for real")
    from leads.sweeps import reassign_departed
    from tests.factories import bulk_handed_off_leads

    bulk_handed_off_leads(n=300, rep=cast.rep, marketer=cast.marketer, team=cast.team, source=cast.source)
    cast.rep.is_active = False
    cast.rep.save()
    results = run_together(lambda: reassign_departed(batch_size=50))
    assert sum(result["reassigned"] for result in results) == 300
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.INHERITED).count() == 300
    assert not Lead.objects.filter(owner=cast.rep).exists()
