"""Which leads' outcomes are known, by the success chosen, and the commands' refusals."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import CommandError, call_command

from alignment.models import QualificationDefinition
from config.celery import app as celery_app
from leads import learning, services
from leads.learning import known_outcomes
from leads.models import Lead, Notification, Stage
from tests.brokers import use_broker
from tests.factories import leads_with_outcomes

pytestmark = pytest.mark.django_db


def outcomes(outcome: str) -> dict[int, bool]:
    return dict(known_outcomes(outcome=outcome).values_list("id", "success"))


def test_won_counts_won_against_lost_and_disqualified_and_leaves_open_leads_out(cast, make_lead):
    won, lost, disqualified, open_lead = (make_lead() for _ in range(4))
    Lead.objects.filter(pk=won.pk).update(stage=Stage.WON)
    Lead.objects.filter(pk=lost.pk).update(stage=Stage.LOST)
    Lead.objects.filter(pk=disqualified.pk).update(stage=Stage.DISQUALIFIED)
    assert outcomes("won") == {won.pk: True, lost.pk: False, disqualified.pk: False}
    assert open_lead.pk not in outcomes("won")


def test_accepted_counts_a_decided_hand_off_and_leaves_pending_ones_out(cast, reasons, handoff_to_rep):
    accepted, rejected, pending = handoff_to_rep(), handoff_to_rep(), handoff_to_rep()
    services.handoff_accept(handoff=accepted, by=cast.rep)
    reason = next(r for r in reasons.values() if r.phase == "before_working")
    services.handoff_reject(handoff=rejected, by=cast.rep, reason=reason, note="Not a fit")
    assert outcomes("accepted") == {accepted.lead_id: True, rejected.lead_id: False}
    assert pending.lead_id not in outcomes("accepted")


def test_qualified_counts_reaching_sql_even_when_the_lead_was_lost_later(cast, reasons, handoff_to_rep):
    reached, rejected = handoff_to_rep(), handoff_to_rep()
    services.handoff_accept(handoff=reached, by=cast.rep)
    services.lead_advance(lead=reached.lead, by=cast.rep, to_stage=Stage.QUALIFIED)
    services.lead_advance(lead=Lead.objects.get(pk=reached.lead_id), by=cast.rep, to_stage=Stage.LOST)
    reason = next(r for r in reasons.values() if r.phase == "before_working")
    services.handoff_reject(handoff=rejected, by=cast.rep, reason=reason, note="Not a fit")
    assert outcomes("qualified") == {reached.lead_id: True, rejected.lead_id: False}


def test_suggesting_with_too_few_outcomes_refuses_and_drafts_nothing(cast, make_lead):
    for _ in range(5):
        Lead.objects.filter(pk=make_lead().pk).update(stage=Stage.WON)
    with pytest.raises(CommandError, match="200"):
        call_command("suggest_definition", "--json")
    assert not QualificationDefinition.objects.exists()


def test_backtesting_an_unknown_version_says_so():
    with pytest.raises(CommandError, match="no definition version 99"):
        call_command("backtest_definition", "99")


def test_a_suggestion_drafts_once_per_request_and_tells_the_person(cast):
    leads_with_outcomes(cast.source)
    version = learning.suggestion_execute(
        by_id=cast.marketer.pk, outcome="won", since=None, until=None, request_key="req-1"
    )
    draft = QualificationDefinition.objects.get(version=version)
    assert draft.status == QualificationDefinition.Status.DRAFT
    assert draft.field_rules.filter(field="property:plan").exists()
    note = Notification.objects.get(recipient=cast.marketer)
    assert f"v{version}" in note.message and note.link.endswith("?outcome=won")
    # The same request delivered again drafts nothing more.
    assert (
        learning.suggestion_execute(by_id=cast.marketer.pk, outcome="won", since=None, until=None, request_key="req-1")
        == version
    )
    assert QualificationDefinition.objects.count() == 1


def test_a_suggestion_that_cannot_be_made_says_why_to_the_person(cast):
    assert (
        learning.suggestion_execute(by_id=cast.marketer.pk, outcome="won", since=None, until=None, request_key="req-2")
        is None
    )
    assert "No draft was suggested" in Notification.objects.get(recipient=cast.marketer).message
    assert not QualificationDefinition.objects.exists()


def test_the_suggest_button_drafts_at_once_when_few_outcomes_are_known(cast, client):
    leads_with_outcomes(cast.source)
    client.force_login(cast.marketer)
    response = client.post("/definitions/suggest/", {"outcome": "won"})
    draft = QualificationDefinition.objects.get()
    assert response.status_code == 302 and response["Location"].startswith(f"/definitions/{draft.pk}/backtest/")
    page = client.get(response["Location"]).content.decode()
    assert "ROC-AUC of priority" in page and "Plan" in page


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_suggest_button_hands_many_outcomes_to_a_real_worker(redis_broker, cast, client, monkeypatch):
    leads_with_outcomes(cast.source)
    monkeypatch.setattr(learning, "SUGGEST_INLINE_OUTCOMES", 100)
    client.force_login(cast.marketer)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = client.post("/definitions/suggest/", {"outcome": "won"}, follow=True)
        assert "a worker fits the suggestion" in response.content.decode()
        deadline = time.monotonic() + 30
        while not Notification.objects.filter(recipient=cast.marketer).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    draft = QualificationDefinition.objects.get()
    assert f"v{draft.version} is a new draft" in Notification.objects.get(recipient=cast.marketer).message


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_is_said_and_the_request_waits_in_the_outbox(cast, client, monkeypatch):
    from outbox import services as outbox

    leads_with_outcomes(cast.source, n=40)
    monkeypatch.setattr(learning, "SUGGEST_INLINE_OUTCOMES", 10)
    previous = celery_app.conf.broker_url
    use_broker("redis://127.0.0.1:9/0", max_retries=0)  # nothing listens there
    try:
        client.force_login(cast.marketer)
        response = client.post("/definitions/suggest/", {"outcome": "won"}, follow=True)
    finally:
        use_broker(previous)
    assert "background worker cannot be reached right now: the request is kept" in response.content.decode()
    assert not QualificationDefinition.objects.exists()
    waiting = outbox.unsent().get()
    assert waiting.payload["task"] == "leads.tasks.suggest_definition"
    assert waiting.payload["args"] == [cast.marketer.pk, "won", None, None]


def test_the_suggest_button_refuses_a_period_that_ends_before_it_starts(cast, client):
    client.force_login(cast.marketer)
    response = client.post("/definitions/suggest/", {"since": "2026-05-02", "until": "2026-05-01"}, follow=True)
    assert "The period starts after it ends." in response.content.decode()
    assert not QualificationDefinition.objects.exists()


def test_a_rep_cannot_ask_for_a_suggestion(cast, client):
    client.force_login(cast.rep)
    assert client.post("/definitions/suggest/", {"outcome": "won"}).status_code == 403
