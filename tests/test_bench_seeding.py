"""The benchmarks seed through the bulk insert the importer uses: when a model gains a column,
their seeding keeps working (a hand-written INSERT would fail on the new NOT NULL column)."""

import pytest

from leads.models import Handoff, Lead, LeadEvent, Reminder, Touch
from tests import bench_dashboard, bench_sweeps

pytestmark = pytest.mark.django_db


def test_the_sweeps_benchmark_seeds_its_overdue_and_departed_leads():
    bench_sweeps.seed(1000)
    assert Lead.objects.count() == 1000
    assert Handoff.objects.filter(status="pending").count() == 50
    assert Handoff.objects.filter(status="accepted").values("assigned_to").distinct().count() == 1


def test_the_dashboard_benchmark_seeds_a_year_of_leads_and_their_history():
    bench_dashboard.seed(1000)
    assert Lead.objects.count() == 1000
    assert LeadEvent.objects.count() == 2600
    assert Handoff.objects.count() == 600
    assert Touch.objects.count() == Handoff.objects.filter(first_touch_at__isnull=False).count() == 400
    assert Reminder.objects.exists()
    assert set(Lead.objects.values_list("stage", flat=True)) >= {"new", "mql", "handed_off", "won", "lost"}


def test_the_webhooks_benchmark_seeds_three_subscriptions_and_its_events(settings):
    from tests import bench_webhooks
    from webhooks.models import Subscription

    settings.ACCORD_WEBHOOKS_ALLOW_PRIVATE = True
    secrets = bench_webhooks.seed(200, "http://127.0.0.1:9")
    assert len(secrets) == Subscription.objects.count() == 3
    assert Lead.objects.count() == 100
    assert LeadEvent.objects.count() == 200
