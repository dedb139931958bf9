"""Benchmark of the alignment dashboard, run by `make bench` after the other benchmarks
(`python -m tests.bench_dashboard --leads 1000000`).

It builds a database of its own under var/bench/ with N leads (default 1,000,000) created over
the last year, with their event log, hand-offs, touches and reminders, written in batches by
the bulk insert the importer uses (leads.imports.bulk), so every column the models add gets
its default.
It then times the dashboard page (every figure and alert) as a marketing leader through the
Django test client, for the default period (the last 90 days) and for the whole year, and as a
sales manager, once the dashboard's rollups and their daily aggregates are up to date (as the
beat task keeps them); it counts the queries, prints a table and merges the figures into
var/bench/results.json. It is a report: the exit code is 0 even when a target is missed.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time

from tests.bench import BASE_DIR, BENCH_DIR, pending_migrations, print_table, row

TEAMS = 5
REPS_PER_TEAM = 10
SQLITE_TARGET_S = 3
POSTGRES_TARGET_S = 1
RUNS = 3
SEED_BATCH = 10_000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads in the database (default 1000000)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed requests per page (default {RUNS})")
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
    # Nothing runs collectstatic here: pages name static files as they are.
    os.environ["ACCORD_STATIC_MANIFEST"] = "0"
    os.environ.pop("REDIS_URL", None)
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
    os.environ["DJANGO_ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])
    if os.environ.get("DATABASE_URL"):
        return None
    pristine = BENCH_DIR / f"dashboard-{n_leads}-pristine.sqlite3"
    working = BENCH_DIR / f"dashboard-{n_leads}.sqlite3"
    os.environ["SQLITE_PATH"] = str(working)
    return str(pristine), str(working)


def seed(n_leads: int) -> None:
    """N leads spread over 365 days, nine sources, six campaigns and fifty reps in five teams.
    By x % 20 a lead stays new (0-5), becomes an MQL (6-7), is rejected back to nurture (8-9),
    waits for a decision (10), or is accepted (11-19): qualified from 14, won at 16-17, lost at
    18. Its events, hand-off, first touch and reminders follow from that."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from alignment.models import Membership, RejectionReason, Team
    from alignment.roles import GROUP_NAMES, Role
    from leads.models import Campaign, Source

    User = get_user_model()
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        leader = User.objects.create(username="bench-cmo", is_staff=True)
        Group.objects.get(name=GROUP_NAMES[Role.MARKETING_LEADER]).user_set.add(leader)
        marketer = User.objects.create(username="bench-dash-marketer")
        teams, reps = [], []
        for t in range(TEAMS):
            manager = User.objects.create(username=f"bench-dash-manager-{t}", is_staff=True)
            Group.objects.get(name=GROUP_NAMES[Role.SALES_MANAGER]).user_set.add(manager)
            team = Team.objects.create(name=f"Dashboard team {t}", manager=manager)
            Membership.objects.create(team=team, user=manager)
            teams.append(team)
            for r in range(REPS_PER_TEAM):
                rep = User.objects.create(username=f"bench-dash-rep-{t}-{r}")
                Membership.objects.create(team=team, user=rep)
                reps.append((rep.pk, team.pk))
        Group.objects.get(name=GROUP_NAMES[Role.SALES_REP]).user_set.add(*[pk for pk, _ in reps])
        sources = [
            Source.objects.create(
                name=f"Dashboard source {i}", interest=Source.Interest.ACTIVE if i < 5 else Source.Interest.PASSIVE
            )
            for i in range(9)
        ]
        campaigns = [
            Campaign.objects.create(name=f"Dashboard campaign {i}", source=sources[i], cost=Decimal(1000 * (i + 1)))
            for i in range(6)
        ]
        if not RejectionReason.objects.exists():  # a flush removes the catalogue the migration seeded
            import importlib

            from django.apps import apps

            importlib.import_module("alignment.migrations.0003_rejection_reasons").seed_reasons(apps, None)
        before = RejectionReason.objects.filter(phase="before_working", disposition="recycle").first()
        for first in range(1, n_leads + 1, SEED_BATCH):
            seed_batch(
                range(first, min(first + SEED_BATCH, n_leads + 1)),
                now=now,
                sources=[source.pk for source in sources],
                campaigns=[campaign.pk for campaign in campaigns],
                reps=reps,
                marketer=marketer.pk,
                reason=before.pk,
            )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT setval('leads_lead_id_seq', (SELECT MAX(id) FROM leads_lead))")
            else:
                cursor.execute("ANALYZE")


def seed_batch(xs: range, *, now, sources: list, campaigns: list, reps: list, marketer: int, reason: int) -> None:
    """Leads x in ``xs`` (lead id x) with their events, hand-off, first touch and reminder,
    written through leads.imports.bulk.insert (every column the models give a default gets it)."""
    import uuid
    from datetime import timedelta

    from leads.imports.bulk import insert, reserve_ids
    from leads.models import Handoff, Lead, LeadEvent, Reminder, Touch

    hour = timedelta(hours=1)
    leads, events, handoffs, touches, reminders = [], [], [], [], []
    stages = ["new"] * 6 + ["mql"] * 2 + ["nurturing"] * 2 + ["handed_off"] + ["accepted"] * 3
    stages += ["qualified"] * 2 + ["won"] * 2 + ["lost", "accepted"]
    buckets = ["hot", "warm", "cold", "unqualified", "unqualified"]
    handoff_ids = iter(reserve_ids(Handoff, sum(1 for x in xs if x % 20 >= 8)))
    for x in xs:
        r = x % 20
        # A lead is born (x * 7919) % 525600 minutes ago: spread over a year.
        born = now - timedelta(minutes=(x * 7919) % 525600)
        rep, team = reps[x % len(reps)] if r >= 10 else (None, None)
        grade, bucket = "ABCD"[x % 4], buckets[x % 5]
        email = f"dash{x}@bench.example"
        leads.append(
            {
                "id": x,
                "first_name": "Bench",
                "last_name": f"Lead {x}",
                "email": email,
                "company": "Bench Co",
                "email_normalized": email,
                "company_domain": "bench.example",
                "source_id": sources[x % 9],
                "campaign_id": campaigns[x % 7] if x % 7 < len(campaigns) else None,
                "stage": stages[r],
                "stage_changed_at": born,
                "cycle_count": 1 + x % 3 if r in (8, 9) else 0,
                "created_at": born,
                "updated_at": now,
                "owner_id": rep,
                "team_id": team,
                "grade": grade,
                "bucket": bucket,
                "sales_ready": x % 4 < 2,
            }
        )

        # Events: created; MQL; handed off (+6 h); accepted (+6..16 h) or rejected (+10 h);
        # qualified (+5 days); won or lost (+20 days).
        def event(kind, from_stage, to_stage, hours, x=x, born=born):
            events.append(
                {
                    "lead_id": x,
                    "kind": kind,
                    "created_at": born + hours * hour,
                    "from_stage": from_stage,
                    "to_stage": to_stage,
                    "details": {},
                }
            )

        event("created", "", "new", 0)
        if r in (6, 7):
            event("stage_changed", "new", "mql", 2)
        if r >= 8:
            event("handed_off", "new", "handed_off", 6)
        if r in (8, 9):
            event("rejected", "handed_off", "nurturing", 10)
        if r >= 11:
            event("accepted", "handed_off", "accepted", 6 + x % 11)
        if 14 <= r <= 17:
            event("stage_changed", "accepted", "qualified", 120)
        if r in (16, 17):
            event("stage_changed", "qualified", "won", 480)
        if r == 18:
            event("stage_changed", "accepted", "lost", 480)
        if r < 8:
            continue
        # The hand-off: accept within 8 h (late when x % 11 > 8); first touch due 16 h later,
        # made at +1..+30 h (late past 16), none yet for x % 20 = 19.
        handoff_id = next(handoff_ids)
        assigned, handoff_team = reps[x % len(reps)]
        status = "rejected" if r in (8, 9) else "pending" if r == 10 else "accepted"
        accept_due = born + 14 * hour
        decided = born + 10 * hour if r in (8, 9) else born + (6 + x % 11) * hour if r >= 11 else None
        touched = born + (7 + x % 11 + x % 30) * hour if 11 <= r < 19 else None
        handoffs.append(
            {
                "id": handoff_id,
                "lead_id": x,
                "handed_off_by_id": marketer,
                "assigned_to_id": assigned,
                "team_id": handoff_team,
                "status": status,
                "created_at": born + 6 * hour,
                "accept_due_at": accept_due,
                "decided_at": decided,
                "reason_id": reason if r in (8, 9) else None,
                "first_touch_due_at": born + (22 + x % 11) * hour if r >= 11 else None,
                "first_touch_at": touched,
                "override": x % 10 == 0,
                "override_reason": "bench" if x % 10 == 0 else "",
                "closed_at": born + 480 * hour if 16 <= r <= 18 else None,
                "grade": grade,
                "bucket": bucket,
            }
        )
        if touched:
            touches.append(
                {"lead_id": x, "handoff_id": handoff_id, "by_id": assigned, "kind": "call", "happened_at": touched}
            )
        if status == "pending" or decided > accept_due:
            reminders.append(
                {
                    "handoff_id": handoff_id,
                    "breach": "accept",
                    "level": 1,
                    "due_at": accept_due,
                    "created_at": accept_due,
                    "run": uuid.UUID(int=handoff_id),
                }
            )
    insert(Lead, leads)
    insert(LeadEvent, events)
    insert(Handoff, handoffs)
    insert(Touch, touches)
    insert(Reminder, reminders)


def vacuum() -> None:
    """What autovacuum would have done after the bulk load: statistics and the visibility map
    (on SQLite, the statistics)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def catch_up() -> None:
    """Bring the dashboard's rollups and their daily aggregates up to date, as the beat task does
    every few minutes (the seeding writes rows with SQL, like an import or a restore, behind
    their back)."""
    from insights import rollups

    started = time.perf_counter()
    rollups.refresh()
    print(f"  rollups brought up to date in {time.perf_counter() - started:.1f} s", flush=True)


def seeded_postgres(n_leads: int) -> bool:
    from django.contrib.auth import get_user_model

    from leads.models import Lead

    try:
        return get_user_model().objects.filter(username="bench-cmo").exists() and Lead.objects.count() >= n_leads
    except Exception:  # a fresh database without tables
        return False


def measure(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return {"median_s": statistics.median(timings), "queries": len(queries)}


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
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from leads.models import Lead

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if seeded and pending_migrations():
        print("migrating the seeded database ...", flush=True)
        call_command("migrate", verbosity=0)
        catch_up()  # a migration may have reset the rollups
        vacuum()
        connection.close()
        shutil.copyfile(files[1], files[0])
    if not files and seeded_postgres(args.leads):
        print("reusing the seeded PostgreSQL database", flush=True)
        if pending_migrations():
            call_command("migrate", verbosity=0)
            catch_up()  # a migration may have reset the rollups
            vacuum()
        seeded = True
    if not seeded:
        call_command("migrate", verbosity=0)
        if not files:
            call_command("flush", interactive=False, verbosity=0)
            call_command("migrate", verbosity=0)
        print(f"seeding {args.leads:,} leads ...", flush=True)
        started = time.perf_counter()
        seed(args.leads)
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
        catch_up()
        vacuum()
        if files:
            connection.close()
            shutil.copyfile(files[1], files[0])

    catch_up()  # what the beat task does every few minutes; nothing to do when current
    User = get_user_model()
    target = POSTGRES_TARGET_S if connection.vendor == "postgresql" else SQLITE_TARGET_S
    leads = Lead.objects.count()
    year_ago = (timezone.localdate() - timezone.timedelta(days=365)).isoformat()
    pages = [
        ("dashboard, last 90 days (leader)", "bench-cmo", "/dashboard/"),
        ("dashboard, whole year (leader)", "bench-cmo", f"/dashboard/?start={year_ago}"),
        ("dashboard, whole year (manager, one team)", "bench-dash-manager-0", f"/dashboard/?start={year_ago}"),
    ]
    rows = []
    for name, username, url in pages:
        client = Client()
        client.force_login(User.objects.get(username=username))
        print(f"measuring {name}: {url} ({args.runs} runs) ...", flush=True)
        result = measure(client, url, args.runs)
        print(f"  median {result['median_s']:.2f} s, {result['queries']} queries", flush=True)
        rows.append(row(f"{name} median", round(result["median_s"], 2), "s", target))
        rows.append(row(f"{name} queries", result["queries"], "", None))

    header = f"Accord dashboard benchmark: {connection.vendor}, {leads:,} leads, {os.cpu_count()} cores"
    print_table(rows, header)
    results_path = BENCH_DIR / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    merged = [r for r in previous if not r["name"].startswith("dashboard")]
    results_path.write_text(json.dumps(merged + rows, indent=2) + "\n")
    print(f"\nmerged into {results_path.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
