"""Benchmark of the Celery sweeps, run by `make bench` after tests/bench.py
(`python -m tests.bench_sweeps --leads 1000000`).

It builds a database of its own under var/bench/ with N leads (default 1,000,000): 50,000
hand-offs pending past their due time, and 50,000 accepted leads owned by one rep of a team of
20 who is then deactivated (one lead in twenty each, for a smaller N). The leads are written
by the bulk insert the importer uses, so every column the models add gets its default. It
times the overdue sweep and the reassignment of the departed rep's leads, counts their
queries, and merges the figures into var/bench/results.json.

The seeded database is kept pristine and copied before each run, so reruns start at once.
"""

import argparse
import json
import os
import shutil
import sys
import time

from tests.bench import BASE_DIR, BENCH_DIR, pending_migrations, print_table, row

OVERDUE = 50_000
DEPARTED_LEADS = 50_000
TEAM_REPS = 20
SWEEP_TARGET_S = 30
REASSIGN_TARGET_S = 20
SEED_BATCH = 10_000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_sweeps", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads in the database (default 1000000)")
    args = parser.parse_args(argv)
    if args.leads < 1000:
        parser.error("--leads must be at least 1000")
    return args


def configure_environment(n_leads: int) -> tuple[str, str] | None:
    """Use a copy of a pristine seeded SQLite file (PostgreSQL is reseeded when DATABASE_URL is set)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["ACCORD_VAR_DIR"] = str(BENCH_DIR)
    os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
    os.environ.pop("REDIS_URL", None)
    if os.environ.get("DATABASE_URL"):
        return None
    pristine = BENCH_DIR / f"sweeps-{n_leads}-pristine.sqlite3"
    working = BENCH_DIR / f"sweeps-{n_leads}.sqlite3"
    os.environ["SQLITE_PATH"] = str(working)
    return str(pristine), str(working)


def scaled(n_leads: int) -> tuple[int, int]:
    """(overdue hand-offs, leads of the departed rep): 50,000 each at 1,000,000 leads, one in
    twenty of a smaller database."""
    share = n_leads // 20
    return min(OVERDUE, share), min(DEPARTED_LEADS, share)


def seed(n_leads: int) -> None:
    """N leads written through leads.imports.bulk.insert (which fills every column the models
    give a default), then the hand-offs with bulk_create."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from alignment.models import Membership, Team
    from alignment.roles import GROUP_NAMES, Role
    from leads.imports.bulk import insert
    from leads.models import Handoff, Lead, Source, Stage

    User = get_user_model()
    now = timezone.now()
    overdue, departed_leads = scaled(n_leads)
    with transaction.atomic():
        team = Team.objects.create(name="Bench team", manager=User.objects.create(username="bench-manager"))
        marketer = User.objects.create(username="bench-marketer")
        reps = [User.objects.create(username=f"bench-rep-{i}", email=f"rep{i}@bench.example") for i in range(TEAM_REPS)]
        Group.objects.get(name=GROUP_NAMES[Role.SALES_REP]).user_set.add(*reps)
        Membership.objects.bulk_create([Membership(team=team, user=rep) for rep in reps])
        source = Source.objects.create(name="Bench source", interest=Source.Interest.ACTIVE)
        departed = reps[0]
        pending_first = n_leads - overdue - departed_leads + 1
        accepted_first = n_leads - departed_leads + 1
        # Owners of the overdue hand-offs: reps 1..19 in turn (never the departed one).
        rep_ids = [rep.pk for rep in reps[1:]]

        def lead(x: int) -> dict:
            if x >= accepted_first:
                stage, owner, lead_team = Stage.ACCEPTED, departed.pk, team.pk
            elif x >= pending_first:
                stage, owner, lead_team = Stage.HANDED_OFF, rep_ids[x % len(rep_ids)], team.pk
            else:
                stage, owner, lead_team = Stage.NURTURING, None, None
            email = f"lead{x}@bench.example"
            return {
                "first_name": "Bench",
                "last_name": f"Lead {x}",
                "email": email,
                "company": "Bench Co",
                "email_normalized": email,
                "company_domain": "bench.example",
                "source_id": source.pk,
                "stage": stage.value,
                "stage_changed_at": now,
                "created_at": now,
                "updated_at": now,
                "owner_id": owner,
                "team_id": lead_team,
            }

        for first in range(1, n_leads + 1, SEED_BATCH):
            insert(Lead, [lead(x) for x in range(first, min(first + SEED_BATCH, n_leads + 1))])
        working = Lead.objects.filter(stage__in=["handed_off", "accepted"]).values_list("pk", "owner_id", "stage")
        due = now - timedelta(hours=2)
        Handoff.objects.bulk_create(
            [
                Handoff(
                    lead_id=lead_id,
                    handed_off_by=marketer,
                    assigned_to_id=owner_id,
                    team=team,
                    status=Handoff.Status.ACCEPTED if stage == "accepted" else Handoff.Status.PENDING,
                    created_at=due - timedelta(hours=8),
                    accept_due_at=due,
                    decided_at=due if stage == "accepted" else None,
                    first_touch_due_at=now + timedelta(days=2) if stage == "accepted" else None,
                )
                for lead_id, owner_id, stage in working.iterator(chunk_size=5000)
            ],
            batch_size=5000,
        )


def main(argv=None) -> int:
    args = parse_args(argv)
    files = configure_environment(args.leads)
    if files and os.path.exists(files[0]):
        shutil.copyfile(files[0], files[1])
        print(f"reusing the seeded database {os.path.relpath(files[0], BASE_DIR)}", flush=True)
        seeded = True
    else:
        if files and os.path.exists(files[1]):
            os.remove(files[1])
        seeded = False

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leads.models import Lead
    from leads.sweeps import reassign_departed, sweep_overdue

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if seeded and pending_migrations():
        # The pristine copy predates a migration: bring it up to date once, and keep that.
        print("migrating the seeded database ...", flush=True)
        call_command("migrate", verbosity=0)
        connection.close()
        shutil.copyfile(files[1], files[0])
    if not seeded:
        call_command("migrate", verbosity=0)
        if not files:
            call_command("flush", interactive=False, verbosity=0)
            call_command("migrate", verbosity=0)
        print(f"seeding {args.leads:,} leads ...", flush=True)
        started = time.perf_counter()
        seed(args.leads)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
        if files:
            connection.close()
            shutil.copyfile(files[1], files[0])

    overdue, departed_leads = scaled(args.leads)
    rows = []
    print(f"sweeping {overdue:,} overdue hand-offs among {Lead.objects.count():,} leads ...", flush=True)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        counts = sweep_overdue()
        elapsed = time.perf_counter() - started
    print(f"  {counts} in {elapsed:.1f} s, {len(queries)} queries")
    rows.append(row(f"overdue sweep, {overdue:,} overdue", round(elapsed, 1), "s", SWEEP_TARGET_S))
    rows.append(row("overdue sweep queries", len(queries), "", None))

    departed = Lead.objects.filter(stage="accepted").values_list("owner", flat=True).first()
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=departed).update(is_active=False)
    print(f"reassigning the {departed_leads:,} leads of a deactivated rep ...", flush=True)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        counts = reassign_departed()
        elapsed = time.perf_counter() - started
    print(f"  {counts} in {elapsed:.1f} s, {len(queries)} queries")
    rows.append(row(f"reassign departed rep, {departed_leads:,} leads", round(elapsed, 1), "s", REASSIGN_TARGET_S))
    rows.append(row("reassign departed queries", len(queries), "", None))

    header = (
        f"Accord sweeps benchmark: {connection.vendor}, {Lead.objects.count():,} leads, {os.cpu_count()} cores, "
        "batches of 1,000 (overdue) and 2,000 (reassignment)"
    )
    print_table(rows, header)
    results_path = BENCH_DIR / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    names = {r["name"] for r in rows}
    merged = [r for r in previous if r["name"] not in names and not r["name"].startswith(("overdue", "reassign"))]
    results_path.write_text(json.dumps(merged + rows, indent=2) + "\n")
    print(f"\nmerged into {results_path.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
