"""Accord's performance benchmark, run by `make bench` (`python -m tests.bench --leads N`).

It seeds (or reuses) a database of its own under var/bench/, then measures, through the
Django test client, two pages that grow with the number of leads: the hand-off outcome feed
and the admin lead list (the pages people open most, the inbox among them, are timed by
tests/bench_pages.py on the same database); how many hand-offs per second the service
writes; and how long re-evaluating every lead against a newly active definition takes. Then,
in a transaction it rolls back, it opens a weekly lead review for a team of 20 reps with 500
open leads each and measures the manager's meeting page and a rep's update page.
The results are printed as a table and written to var/bench/results.json. It is a report: the
exit code is 0 even when a target is missed.

Nothing happens at import time; everything runs from main().
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"

PAGE_TARGET_MS = 100
PAGE_TARGET_QUERIES = 10
SLOWEST_SHOWN = 3  # slowest queries printed for each page
REVIEW_REPS = 20
REVIEW_LEADS_PER_REP = 500
REVIEW_OPEN_TARGET_S = 3
EVALUATION_TARGET_S = 20


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="leads in the database (default 100000)")
    parser.add_argument("--runs", type=int, default=20, help="measured requests per page (default 20)")
    parser.add_argument("--handoffs", type=int, default=500, help="hand-offs to time (default 500)")
    args = parser.parse_args(argv)
    for name in ("leads", "runs", "handoffs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def configure_environment(n_leads: int) -> None:
    """Point Django at the benchmark's own database and broker folder; must run before setup()."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(BENCH_DIR / f"bench-{n_leads}.sqlite3")
    # The filesystem broker's messages go under var/bench/celery, so a dev worker started by
    # `make run` never picks up (and emails about) the benchmark's hand-offs.
    os.environ["ACCORD_VAR_DIR"] = str(BENCH_DIR)
    # No worker consumes them: drop the previous runs' messages rather than let them pile up.
    for message in (BENCH_DIR / "celery" / "queue").glob("*.msg"):
        message.unlink()
    os.environ.pop("REDIS_URL", None)
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
    if "testserver" not in hosts:
        hosts.append("testserver")
    os.environ["DJANGO_ALLOWED_HOSTS"] = ",".join(hosts)
    os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
    # Nothing runs collectstatic here: pages name static files as they are.
    os.environ["ACCORD_STATIC_MANIFEST"] = "0"


def lead_count() -> int:
    from django.db import DatabaseError

    from leads.models import Lead

    try:
        return Lead.objects.count()
    except DatabaseError:  # a fresh database without tables
        return 0


def pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def prepare_database(n_leads: int) -> None:
    """Reuse the database when it already holds enough leads; otherwise migrate and seed it."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    from leads.demo import ensure_people_and_catalogue, generate_leads

    if pending_migrations():
        call_command("migrate", verbosity=0)
    existing = lead_count()
    if existing >= n_leads:
        print(f"reusing the benchmark database: {existing:,} leads")
        return
    print(f"seeding {n_leads - existing:,} leads ({existing:,} present) ...", flush=True)
    started = time.perf_counter()
    # DEBUG's query log (which on SQLite re-quotes every bulk insert's parameters) is not what
    # this measures; seed without it.
    with override_settings(DEBUG=False):
        cast = ensure_people_and_catalogue()
        generate_leads(cast=cast, n=n_leads - existing, seed=existing or 42)
    print(f"seeded in {time.perf_counter() - started:.1f} s ({lead_count():,} leads)")


def demo_users() -> dict:
    from django.contrib.auth import get_user_model

    from leads.demo import ensure_people_and_catalogue

    wanted = ("rep", "marketer", "cmo")
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    if len(users) < len(wanted):
        ensure_people_and_catalogue()
        users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    return users


def measure_page(*, user, url: str, runs: int) -> dict:
    """One warm-up request, then `runs` timed ones; median time and the queries of each."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)

    def fetch():
        timings = []  # (seconds, sql): finer than captured_queries' millisecond "time"

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - started, sql))

        # A full query log (9,000 entries, e.g. after the lead review's seeding) would make
        # CaptureQueriesContext count nothing: start each request with an empty one.
        reset_queries()
        with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timed):
            started = time.perf_counter()
            # secure=True: the same request works with DEBUG off (SECURE_SSL_REDIRECT).
            response = client.get(url, secure=True)
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET {url} as {user.username} answered {response.status_code}, not 200")
        return elapsed, len(queries.captured_queries), timings

    fetch()  # warm-up: template compilation, first-use caches
    times, counts, slowest_run = [], [], None
    for _ in range(runs):
        elapsed, count, timings = fetch()
        times.append(elapsed)
        counts.append(count)
        if slowest_run is None or elapsed > slowest_run[0]:
            slowest_run = (elapsed, timings)
    if len(set(counts)) > 1:
        print(f"  warning: {url} ran a varying number of queries: {sorted(set(counts))}")
    return {
        "median_ms": statistics.median(times) * 1000,
        "queries": max(counts),
        "slowest": sorted(slowest_run[1], reverse=True)[:SLOWEST_SHOWN],
        "db_ms": sum(seconds for seconds, _sql in slowest_run[1]) * 1000,
        "total_ms": slowest_run[0] * 1000,
    }


def marketing_leads(*, count: int, by) -> list:
    """`count` leads marketing holds, creating fresh ones when the database runs short."""
    from leads import services
    from leads.models import MARKETING_STAGES, Lead, Source

    leads = list(Lead.objects.filter(stage__in=MARKETING_STAGES).order_by("id")[:count])
    missing = count - len(leads)
    if missing > 0:
        print(f"  creating {missing} fresh leads to hand off")
        source = Source.objects.order_by("id").first()
        stamp = time.time_ns()
        for i in range(missing):
            leads.append(
                services.lead_create(
                    by=by,
                    source=source,
                    first_name="Bench",
                    last_name=f"Lead {i}",
                    email=f"bench.{stamp}.{i}@bench.example",
                    company="Bench Co",
                )
            )
    return leads


# Whatever the leads' readiness, each hand-off goes through (and the check is still made).
OVERRIDE = {"override": True, "override_reason": "Benchmark hand-off"}


def measure_handoffs(*, count: int, by) -> float:
    """Hand `count` leads to the sales teams (round robin) through the service; hand-offs per
    second. One extra hand-off first, untimed, opens the broker connection."""
    from django.db import transaction

    from leads import selectors, services

    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("hand-offs must be measured in autocommit so each one commits")
    teams = list(selectors.sales_teams())
    if not teams:
        raise SystemExit("no sales team to hand leads to")
    warm_up, *leads = marketing_leads(count=count + 1, by=by)
    services.handoff_create(lead=warm_up, by=by, team=teams[0], **OVERRIDE)
    started = time.perf_counter()
    for i, lead in enumerate(leads):
        services.handoff_create(lead=lead, by=by, team=teams[i % len(teams)], **OVERRIDE)
    return len(leads) / (time.perf_counter() - started)


def measure_evaluation(users: dict) -> dict:
    """Re-evaluate every lead against the active definition (the demo's, agreed through the
    workflow, when none is active), timed, with its query count. The results are blanked first,
    untimed, so that every lead is written, as after a new version's activation."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import override_settings

    from leads.demo import ensure_demo_definition
    from leads.evaluation import BATCH_SIZE, leads_evaluate_all
    from leads.models import Lead

    vp = get_user_model().objects.get(username="vp-sales")
    definition = ensure_demo_definition(drafter=users["marketer"], marketing=users["cmo"], sales=vp)
    with override_settings(DEBUG=False):  # as for seeding: no query log
        Lead.objects.update(grade="", fit_points=None, score=None, bucket="", sales_ready=False)
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            summary = leads_evaluate_all(definition=definition)
            elapsed = time.perf_counter() - started
    batches = -(-summary["evaluated"] // BATCH_SIZE)
    return {"seconds": elapsed, "queries": queries, "batches": batches, "summary": summary, "definition": definition}


class _RollBack(Exception):
    """Raised to undo the lead-review measurement's data, leaving the benchmark database as it was."""


def seed_review_team(*, reps: int, leads_per_rep: int):
    """A sales team of `reps` reps with `leads_per_rep` accepted leads each (half of them touched),
    made in bulk. Returns (team, manager, first rep)."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from alignment.models import Membership, Team
    from alignment.roles import GROUP_NAMES, Role
    from leads.models import Handoff, Lead, Source, Stage, Touch

    User = get_user_model()
    now = timezone.now()
    stamp = time.time_ns()
    source = Source.objects.order_by("id").first()
    marketer = User.objects.get(username="marketer")
    team = Team.objects.create(name=f"Bench review team {stamp}", kind=Team.Kind.SALES, time_zone="Europe/Berlin")
    manager = User.objects.create(username=f"bench-review-manager-{stamp}", is_staff=True)
    manager.groups.add(Group.objects.get(name=GROUP_NAMES[Role.SALES_MANAGER]))
    Team.objects.filter(pk=team.pk).update(manager=manager)
    team.refresh_from_db()
    people = User.objects.bulk_create(
        [User(username=f"bench-review-rep-{stamp}-{i}", first_name="Rep", last_name=f"{i:02d}") for i in range(reps)]
    )
    Group.objects.get(name=GROUP_NAMES[Role.SALES_REP]).user_set.add(*people)
    Membership.objects.bulk_create([Membership(team=team, user=person) for person in people])
    leads = Lead.objects.bulk_create(
        [
            Lead(
                first_name="Review",
                last_name=f"Lead {i}",
                email=f"review.{stamp}.{i}@bench.example",
                email_normalized=f"review.{stamp}.{i}@bench.example",
                source=source,
                owner=people[i % reps],
                team=team,
                stage=Stage.ACCEPTED,
                stage_changed_at=now - timedelta(days=i % 90),
                created_at=now - timedelta(days=i % 90, hours=1),
            )
            for i in range(reps * leads_per_rep)
        ],
        batch_size=2000,
    )
    Handoff.objects.bulk_create(
        [
            Handoff(
                lead=lead,
                handed_off_by=marketer,
                assigned_to=lead.owner,
                team=team,
                status=Handoff.Status.ACCEPTED,
                created_at=lead.created_at,
                accept_due_at=lead.created_at + timedelta(hours=24),
                decided_at=lead.stage_changed_at,
                decided_by=lead.owner,
                first_touch_due_at=lead.stage_changed_at + timedelta(hours=48),
            )
            for lead in leads
        ],
        batch_size=2000,
    )
    Touch.objects.bulk_create(
        [
            Touch(lead=lead, by=lead.owner, kind=Touch.Kind.CALL, happened_at=lead.stage_changed_at)
            for lead in leads[::2]
        ],
        batch_size=2000,
    )
    return team, manager, people[0]


def measure_review(*, runs: int, reps: int, leads_per_rep: int) -> dict:
    """Open a lead review for a seeded team (seconds), then measure the manager's meeting page
    and the first rep's update page; everything is rolled back afterwards."""
    from django.db import transaction
    from django.test.utils import override_settings

    from reviews import services

    result = {}
    try:
        with transaction.atomic():
            # As for seeding: DEBUG's query log is not what this measures.
            with override_settings(DEBUG=False):
                team, manager, rep = seed_review_team(reps=reps, leads_per_rep=leads_per_rep)
                started = time.perf_counter()
                meeting = services.review_meeting_open(team=team, by=manager)
                result["open_s"] = time.perf_counter() - started
            result["items"] = meeting.items.count()
            result["meeting page"] = measure_page(user=manager, url=f"/reviews/{meeting.pk}/", runs=runs)
            result["rep review page"] = measure_page(user=rep, url=f"/reviews/{meeting.pk}/my-items/", runs=runs)
            raise _RollBack
    except _RollBack:
        pass
    return result


def print_slowest(result: dict) -> None:
    print(f"  slowest run: {result['total_ms']:.1f} ms, of which SQL {result['db_ms']:.1f} ms; slowest queries:")
    for seconds, sql in result["slowest"]:
        sql = " ".join(sql.split())
        print(f"    {seconds * 1000:7.2f} ms  {sql[:200]}{'…' if len(sql) > 200 else ''}")


def row(name: str, value, unit: str, target: float | None) -> dict:
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "target": None if target is None else f"<= {target:g}",
        "ok": None if target is None else value <= target,
    }


def print_table(rows: list[dict], header: str) -> None:
    def ok_text(ok):
        return "—" if ok is None else ("ok" if ok else "MISSED")

    cells = [("name", "value", "unit", "target", "ok")]
    cells += [(r["name"], f"{r['value']:,}", r["unit"], r["target"] or "—", ok_text(r["ok"])) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    print()
    print(header)
    for i, c in enumerate(cells):
        padded = [
            text.rjust(w) if col == 1 else text.ljust(w) for col, (text, w) in enumerate(zip(c, widths, strict=True))
        ]
        print("  ".join(padded).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main(argv=None) -> int:
    args = parse_args(argv)
    configure_environment(args.leads)

    import django

    django.setup()

    from django.conf import settings
    from django.db import connection

    prepare_database(args.leads)
    users = demo_users()
    total_leads = lead_count()

    # The rep's inbox, a lead page, a team's meeting and the overview: tests/bench_pages.py.
    pages = [
        ("outcome feed", "/handoffs/outcomes/", users["marketer"]),
        ("admin lead list", "/admin/leads/lead/", users["cmo"]),
    ]
    rows = []
    for name, url, user in pages:
        print(f"measuring {name} ({url} as {user.username}, {args.runs} runs) ...", flush=True)
        result = measure_page(user=user, url=url, runs=args.runs)
        print_slowest(result)
        rows.append(row(f"{name} median", round(result["median_ms"], 1), "ms", PAGE_TARGET_MS))
        rows.append(row(f"{name} queries", result["queries"], "", PAGE_TARGET_QUERIES))

    print(f"measuring hand-offs ({args.handoffs} through leads.services.handoff_create) ...", flush=True)
    per_second = measure_handoffs(count=args.handoffs, by=users["marketer"])
    rows.append(row("hand-offs per second", round(per_second, 1), "/s", None))

    print(f"measuring the re-evaluation of every lead ({total_leads:,}) against the active definition ...", flush=True)
    evaluated = measure_evaluation(users)
    evaluated_leads = evaluated["summary"]["evaluated"]
    print(
        f"  {evaluated_leads:,} leads against {evaluated['definition']} in {evaluated['seconds']:.2f} s,"
        f" {evaluated['queries']:,} queries in {evaluated['batches']} batches"
        f" ({evaluated['queries'] / max(evaluated['batches'], 1):.1f} per batch)"
    )
    rows.append(
        row(
            f"re-evaluating {evaluated_leads:,} leads",
            round(evaluated["seconds"], 2),
            "s",
            EVALUATION_TARGET_S,
        )
    )

    print(
        f"measuring a lead review ({REVIEW_REPS} reps x {REVIEW_LEADS_PER_REP} open leads, rolled back) ...", flush=True
    )
    review = measure_review(runs=args.runs, reps=REVIEW_REPS, leads_per_rep=REVIEW_LEADS_PER_REP)
    print(f"  opened {review['items']:,} items in {review['open_s']:.2f} s")
    rows.append(
        row(f"review opening, {review['items']:,} items", round(review["open_s"], 2), "s", REVIEW_OPEN_TARGET_S)
    )
    for name in ("meeting page", "rep review page"):
        print(f"  {name}:")
        print_slowest(review[name])
        rows.append(row(f"{name} median", round(review[name]["median_ms"], 1), "ms", PAGE_TARGET_MS))
        rows.append(row(f"{name} queries", review[name]["queries"], "", PAGE_TARGET_QUERIES))

    header = (
        f"Accord benchmark: {connection.vendor} ({connection.settings_dict['NAME']}), {total_leads:,} leads, "
        f"{os.cpu_count()} cores, DEBUG {'on' if settings.DEBUG else 'off'}"
    )
    print_table(rows, header)
    results_path = BENCH_DIR / "results.json"
    results_path.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwritten to {results_path.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
