import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
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
            request = RequestFactory().post("/accounts/login/")
            assert authenticate(request, username=login, password="accord-demo") is not None

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


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    """The settings the README's "Running in production" names, and nothing else."""
    env = production_env(
        DJANGO_SECRET_KEY="x7!k2p9@q" * 8,
        DJANGO_ALLOWED_HOSTS="accord.example.com",
        ACCORD_HTTPS="1",
    )
    env.pop("DJANGO_DEBUG", None)
    result = deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_the_https_switch_the_deploy_check_says_what_is_missing():
    env = production_env(DJANGO_SECRET_KEY="x7!k2p9@q" * 8, ACCORD_HTTPS="0")
    env.pop("DJANGO_DEBUG", None)
    result = deploy_check(env)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout


def test_without_a_secret_key_one_is_generated_once_and_kept_private(tmp_path):
    env = production_env(ACCORD_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    env.pop("DJANGO_SECRET_KEY", None)
    read_key = [
        sys.executable,
        "-c",
        "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
    ]
    first = subprocess.run(read_key, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=True)
    second = subprocess.run(read_key, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=True)
    key_file = tmp_path / "secret_key"
    assert first.stdout.strip().splitlines()[-1] == key_file.read_text().strip()
    assert second.stdout == first.stdout
    assert len(key_file.read_text().strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db
def test_connections_are_kept_and_sqlites_has_a_large_page_cache_and_the_file_mapped():
    from django.db import connection

    assert connection.settings_dict["CONN_MAX_AGE"] == 60
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == -65536  # 64 MB
        cursor.execute("PRAGMA mmap_size")
        assert cursor.fetchone()[0] == 268435456
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
