"""The sweeps' schedules run for the whole organisation: only the leaders (and superusers) see
and change them; a team's manager does not."""

import pytest
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep(db):
    every = IntervalSchedule.objects.create(every=15, period=IntervalSchedule.MINUTES)
    return PeriodicTask.objects.create(
        name="Overdue sweep under test", task="leads.tasks.sweep_overdue", interval=every
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def switch_off(client, task):
    return client.post(
        f"/admin/django_celery_beat/periodictask/{task.pk}/change/",
        {
            "name": task.name,
            "regtask": task.task,
            "task": task.task,
            "interval": task.interval_id,
            "args": "[]",
            "kwargs": "{}",
            "enabled": "",
            "queue": "",
            "exchange": "",
            "routing_key": "",
            "priority": "",
            "expire_seconds": "",
            "headers": "{}",
            "description": "",
            "one_off": "",
            "start_time_0": "",
            "start_time_1": "",
            "last_run_at_0": "",
            "last_run_at_1": "",
            "expires_0": "",
            "expires_1": "",
        },
    )


@pytest.mark.parametrize("who", ["manager", "other_manager", "rep", "marketer"])
def test_only_leaders_switch_off_a_sweep(cast, sweep, who):
    response = switch_off(client_for(getattr(cast, who)), sweep)
    assert response.status_code == 403
    assert PeriodicTask.objects.get(pk=sweep.pk).enabled


@pytest.mark.parametrize("who", ["vp", "cmo"])
def test_a_leader_switches_off_a_sweep(cast, sweep, who):
    response = switch_off(client_for(getattr(cast, who)), sweep)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert not PeriodicTask.objects.get(pk=sweep.pk).enabled


def test_a_manager_does_not_see_the_schedules_in_the_admin(cast):
    html = client_for(cast.manager).get("/admin/").content.decode()
    assert "Periodic tasks" not in html and "django_celery_beat" not in html


def test_a_leader_sees_them(cast):
    html = client_for(cast.vp).get("/admin/").content.decode()
    assert "/admin/django_celery_beat/periodictask/" in html
