"""The dashboard's demo data: costs, self-sourced leads, definitions on hand-offs; idempotent."""

from decimal import Decimal

import pytest

from alignment.models import QualificationDefinition
from insights.demo import ensure_dashboard_demo
from leads.models import Campaign, Handoff, Lead
from leads.signals import demo_data_loaded
from tests.insights.builders import NOW, handoff, lead_with_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(cast):
    free = Campaign.objects.create(name="Free webinar", source=cast.source)
    paid = Campaign.objects.create(name="Paid list", source=cast.source, cost=Decimal("500"))
    for i in range(48):
        lead = lead_with_history(source=cast.source, campaign=free if i < 3 else paid, created=NOW)
        handoff(lead=lead, rep=cast.rep, by=cast.marketer, team=cast.team, created=NOW, status="accepted")
    QualificationDefinition.objects.create(name="Fit", version=1, created_at=NOW, status="active")
    return free, paid


def test_it_fills_what_the_dashboard_needs_once(cast, demo):
    free, paid = demo
    outcome = ensure_dashboard_demo()
    assert outcome.startswith("Dashboard demo:")
    free.refresh_from_db()
    paid.refresh_from_db()
    assert free.cost == Decimal("120")  # 3 leads at 40
    assert paid.cost == Decimal("500")
    sourced = Lead.objects.filter(sourced_by=cast.rep).count()
    assert 0 < sourced < 48
    assert not Handoff.objects.filter(definition__isnull=True).exists()
    overridden = Handoff.objects.filter(override=True).count()
    assert 0 < overridden < 48
    assert not Handoff.objects.filter(override=True, override_reason="").exists()

    assert ensure_dashboard_demo() == ""
    assert Lead.objects.filter(sourced_by=cast.rep).count() == sourced
    assert Handoff.objects.filter(override=True).count() == overridden


def test_seed_demo_runs_it_through_the_signal(cast, demo):
    outcomes = {receiver.__module__: outcome for receiver, outcome in demo_data_loaded.send_robust(sender=None)}
    assert outcomes["insights.receivers"].startswith("Dashboard demo:")
