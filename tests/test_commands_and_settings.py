import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from alignment.models import Team
from leads.models import (
    ALLOWED_TRANSITIONS,
    DuplicateCandidate,
    Handoff,
    ImportMapping,
    Lead,
    LeadEvent,
    LeadImport,
    Stage,
)

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
class TestSeedDemo:
    def test_it_is_idempotent_and_prints_the_logins(self, settings, capsys):
        settings.DEBUG = True
        call_command("seed_demo", leads=300)
        first = (Lead.objects.count(), Handoff.objects.count(), LeadEvent.objects.count(), Team.objects.count())
        call_command("seed_demo", leads=300)
        second = (Lead.objects.count(), Handoff.objects.count(), LeadEvent.objects.count(), Team.objects.count())
        assert first == second
        # 300 generated leads, and the 8 leads of the demo import (2 new people, one with only a first
        # name and an email, and 5 look-alikes).
        assert first[0] == 300 + 8
        assert Lead.objects.filter(events__kind=LeadEvent.Kind.IMPORTED).count() == 8
        assert DuplicateCandidate.objects.filter(status="open").count() == 5
        assert LeadImport.objects.get().result["rejected"] == 1
        # The X Education mapping is ready for the real file.
        assert ImportMapping.objects.filter(name="X Education").exists()
        output = capsys.readouterr().out
        for login in ("cmo", "vp-sales", "manager", "rep", "marketer"):
            assert login in output
            assert authenticate(username=login, password="accord-demo") is not None

    def test_it_covers_every_stage_with_a_consistent_history(self, settings):
        settings.DEBUG = True
        call_command("seed_demo", leads=600)
        stages = set(Lead.objects.values_list("stage", flat=True))
        assert stages >= set(Stage.values) - {Stage.MERGED}
        # Every recorded stage change is one the workflow allows.
        for from_stage, to_stage in LeadEvent.objects.exclude(from_stage="").values_list("from_stage", "to_stage"):
            assert to_stage in ALLOWED_TRANSITIONS[from_stage], (from_stage, to_stage)
        # Each lead's last logged stage is its stage now.
        for lead in Lead.objects.all()[:200]:
            last = lead.events.exclude(to_stage="").order_by("-created_at", "-id").first()
            assert last.to_stage == lead.stage
        # Some pending hand-offs are overdue so the workers have something to do.
        pending = Handoff.objects.filter(status="pending")
        assert pending.filter(accept_due_at__lt=timezone.now()).exists()
        assert pending.filter(accept_due_at__gte=timezone.now()).exists()

    def test_it_refuses_when_debug_is_off(self, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="--force"):
            call_command("seed_demo", leads=10)
        assert not Lead.objects.exists()
        call_command("seed_demo", leads=10, force=True)
        assert Lead.objects.exclude(events__kind=LeadEvent.Kind.IMPORTED).count() == 10


def production_env(**extra) -> dict[str, str]:
    """This environment without test-only switches (the browser tests allow async-unsafe ORM calls)."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, **extra}


def test_production_settings_pass_the_deploy_check():
    env = {
        **production_env(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x7!k2p9@q" * 8,
        "DJANGO_ALLOWED_HOSTS": "accord.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env(DJANGO_DEBUG="false")
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
