"""Benchmark of the alignment dashboard, run by `make bench` after the other benchmarks
(`python -m tests.bench_dashboard --leads 1000000`).

It builds a database of its own under var/bench/ with N leads (default 1,000,000) created over
the last year, with their event log, hand-offs, touches and reminders, all with set-based SQL.
It then times the dashboard page (every figure and alert) as a marketing leader through the
Django test client, for the default period (the last 90 days) and for the whole year, and as a
sales manager, once the dashboard's rollups are up to date (as the beat task keeps them); it
counts the queries, prints a table and merges the figures into
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
    pg = connection.vendor == "postgresql"
    # Every value below is a number or a time made here, so the SQL is written out in full
    # (no parameters, and % is the modulo operator).
    now_sql = f"'{now.isoformat()}'::timestamptz" if pg else f"'{now.strftime('%Y-%m-%d %H:%M:%S')}'"

    def plus(column: str, hours: str) -> str:
        if pg:
            return f"({column} + ({hours}) * interval '1 hour')"
        return f"datetime({column}, '+' || ({hours}) || ' hours')"

    def minus_days(days: str) -> str:
        if pg:
            return f"({now_sql} - ({days}) * interval '1 minute')"
        return f"datetime({now_sql}, '-' || ({days}) || ' minutes')"

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
        source_case = " ".join(f"WHEN {i} THEN {s.pk}" for i, s in enumerate(sources))
        campaign_case = " ".join(f"WHEN {i} THEN {c.pk}" for i, c in enumerate(campaigns))
        rep_case = " ".join(f"WHEN {i} THEN {pk}" for i, (pk, _) in enumerate(reps))
        team_case = " ".join(f"WHEN {i} THEN {team}" for i, (_, team) in enumerate(reps))
        r = "(x % 20)"
        stage = (
            f"CASE WHEN {r} < 6 THEN 'new' WHEN {r} < 8 THEN 'mql' WHEN {r} < 10 THEN 'nurturing' "
            f"WHEN {r} = 10 THEN 'handed_off' WHEN {r} < 14 OR {r} = 19 THEN 'accepted' "
            f"WHEN {r} < 16 THEN 'qualified' WHEN {r} < 18 THEN 'won' ELSE 'lost' END"
        )
        grade = "CASE x % 4 WHEN 0 THEN 'A' WHEN 1 THEN 'B' WHEN 2 THEN 'C' ELSE 'D' END"
        bucket = "CASE x % 5 WHEN 0 THEN 'hot' WHEN 1 THEN 'warm' WHEN 2 THEN 'cold' ELSE 'unqualified' END"
        with connection.cursor() as cursor:
            # x runs 1..N; a lead is born (x * 7919) % 525600 minutes ago (spread over a year).
            born = minus_days("(CAST(x AS BIGINT) * 7919) % 525600")
            cursor.execute(
                f"""
                WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {n_leads})
                INSERT INTO leads_lead (id, first_name, last_name, email, phone, title, company, country,
                    is_customer, industry, email_normalized, company_domain, salesforce_id, hubspot_id,
                    source_id, campaign_id, stage, stage_changed_at, cycle_count, created_at, updated_at,
                    owner_id, team_id, grade, bucket, sales_ready)
                SELECT x, 'Bench', 'Lead ' || x, 'dash' || x || '@bench.example', '', '', 'Bench Co', '', FALSE, '',
                    'dash' || x || '@bench.example', 'bench.example', '', '',
                    CASE (x % 9) {source_case} END,
                    CASE (x % 7) {campaign_case} ELSE NULL END,
                    {stage}, {born}, CASE WHEN {r} IN (8, 9) THEN 1 + (x % 3) ELSE 0 END, {born}, {now_sql},
                    CASE WHEN {r} >= 10 THEN CASE (x % {len(reps)}) {rep_case} END END,
                    CASE WHEN {r} >= 10 THEN CASE (x % {len(reps)}) {team_case} END END,
                    {grade}, {bucket}, (x % 4) < 2
                FROM seq
                """
            )
            t = "l.created_at"
            r = "(l.id % 20)"
            # Events: created; MQL; handed off (+6 h); accepted (+12 h) or rejected (+10 h);
            # qualified (+5 days); won or lost (+20 days).
            event_specs = [
                ("created", "''", "'new'", t, "1 = 1"),
                ("stage_changed", "'new'", "'mql'", plus(t, "2"), f"{r} IN (6, 7)"),
                ("handed_off", "'new'", "'handed_off'", plus(t, "6"), f"{r} >= 8"),
                ("rejected", "'handed_off'", "'nurturing'", plus(t, "10"), f"{r} IN (8, 9)"),
                ("accepted", "'handed_off'", "'accepted'", plus(t, "6 + (l.id % 11)"), f"{r} >= 11"),
                ("stage_changed", "'accepted'", "'qualified'", plus(t, "120"), f"{r} BETWEEN 14 AND 17"),
                ("stage_changed", "'qualified'", "'won'", plus(t, "480"), f"{r} IN (16, 17)"),
                ("stage_changed", "'accepted'", "'lost'", plus(t, "480"), f"{r} = 18"),
            ]
            for kind, from_stage, to_stage, when, condition in event_specs:
                cursor.execute(
                    f"""
                    INSERT INTO leads_leadevent (lead_id, kind, actor_id, created_at, from_stage, to_stage, details)
                    SELECT l.id, '{kind}', NULL, {when}, {from_stage}, {to_stage}, '{{}}'
                    FROM leads_lead l WHERE {condition}
                    """
                )
            # Hand-offs: accept within 8 h (late when x % 11 > 8); first touch due 16 h later,
            # made at +1..+30 h (late past 16), none yet for x % 20 = 19.
            cursor.execute(
                f"""
                INSERT INTO leads_handoff (lead_id, handed_off_by_id, assigned_to_id, team_id, note, status,
                    created_at, accept_due_at, decided_at, decided_by_id, reason_id, decision_note,
                    first_touch_due_at, first_touch_at, definition_id, override, override_reason, closed_at,
                    grade, bucket)
                SELECT l.id, {marketer.pk}, CASE (l.id % {len(reps)}) {rep_case} END,
                    CASE (l.id % {len(reps)}) {team_case} END, '',
                    CASE WHEN {r} IN (8, 9) THEN 'rejected' WHEN {r} = 10 THEN 'pending' ELSE 'accepted' END,
                    {plus(t, "6")}, {plus(t, "14")},
                    CASE WHEN {r} IN (8, 9) THEN {plus(t, "10")} WHEN {r} >= 11 THEN {plus(t, "6 + (l.id % 11)")} END,
                    NULL, CASE WHEN {r} IN (8, 9) THEN {before.pk} END, '',
                    CASE WHEN {r} >= 11 THEN {plus(t, "22 + (l.id % 11)")} END,
                    CASE WHEN {r} >= 11 AND {r} < 19 THEN {plus(t, "7 + (l.id % 11) + (l.id % 30)")} END,
                    NULL, (l.id % 10) = 0, CASE WHEN (l.id % 10) = 0 THEN 'bench' ELSE '' END,
                    CASE WHEN {r} BETWEEN 16 AND 18 THEN {plus(t, "480")} END, l.grade, l.bucket
                FROM leads_lead l WHERE {r} >= 8
                """
            )
            cursor.execute(
                """
                INSERT INTO leads_touch (lead_id, handoff_id, by_id, kind, note, happened_at)
                SELECT h.lead_id, h.id, h.assigned_to_id, 'call', '', h.first_touch_at
                FROM leads_handoff h WHERE h.first_touch_at IS NOT NULL
                """
            )
            uuid = "md5(h.id::text)::uuid" if pg else "lower(hex(randomblob(16)))"
            cursor.execute(
                f"""
                INSERT INTO leads_reminder (handoff_id, breach, level, due_at, created_at, run)
                SELECT h.id, 'accept', 1, h.accept_due_at, h.accept_due_at, {uuid}
                FROM leads_handoff h WHERE h.decided_at > h.accept_due_at OR h.status = 'pending'
                """
            )
        if pg:
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval('leads_lead_id_seq', (SELECT MAX(id) FROM leads_lead))")
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")


def vacuum() -> None:
    """What autovacuum would have done after the bulk load: statistics and the visibility map
    (on SQLite, the statistics)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def catch_up() -> None:
    """Bring the dashboard's rollups up to date, as the beat task does every few minutes (the
    seeding writes rows with SQL, like an import or a restore, behind their back)."""
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
