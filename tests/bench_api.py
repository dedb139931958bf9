"""Benchmark of the REST API, run by `make bench` (`python -m tests.bench_api --leads 2000`).

On a fresh SQLite database of its own under var/bench/ (or the PostgreSQL of DATABASE_URL, which
it flushes), with an active definition that grades every lead, it times, through the Django test
client (no HTTP server, so the figures are the application's own cost): single-lead POSTs to
/api/v1/leads/ (one lead each, new people, an integration key) from as many processes as there
are cores, posting at once as gunicorn's workers would, and bulk POSTs of 1,000 leads to
/api/v1/leads/bulk/ from one. It prints each figure beside its target and merges
them into var/bench/results.json. It is a report: a missed target does not fail it; an error does.
"""

import argparse
import json
import os
import statistics
import sys
import time

from tests.bench import BENCH_DIR

SINGLE_TARGET_PER_S = 200
SPEED_TO_LEAD_P50_S = 2
SPEED_TO_LEAD_P95_S = 5
BULK_TARGET_PER_S = 2000
BULK_SIZE = 1000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_api", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000, help="single-lead POSTs to time (default 2000)")
    parser.add_argument("--bulk", type=int, default=20_000, help="leads to send in bulk (default 20000)")
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="web processes posting at once (default: cores)"
    )
    args = parser.parse_args(argv)
    if args.leads < 10 or args.bulk < BULK_SIZE:
        parser.error(f"--leads must be at least 10 and --bulk at least {BULK_SIZE}")
    return args


def configure_environment() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["ACCORD_VAR_DIR"] = str(BENCH_DIR)
    os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
    os.environ["ACCORD_STATIC_MANIFEST"] = "0"
    os.environ["ACCORD_API_RATE"] = "1000000/min"  # the benchmark measures the work, not the throttle
    os.environ.pop("REDIS_URL", None)
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
    os.environ["DJANGO_ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])
    if not os.environ.get("DATABASE_URL"):
        path = BENCH_DIR / "api.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            (BENCH_DIR / f"api.sqlite3{suffix}").unlink(missing_ok=True)
        os.environ["SQLITE_PATH"] = str(path)


def prepare() -> str:
    """A migrated, empty database with the demo's people, sources and active definition, and an
    integration; returns its key."""
    from django.core.management import call_command

    from api.models import Scope
    from api.services import integration_create
    from leads.demo import ensure_people_and_catalogue
    from leads.models import Source

    call_command("migrate", verbosity=0)
    if os.environ.get("DATABASE_URL"):
        call_command("flush", interactive=False, verbosity=0)
    ensure_people_and_catalogue()  # with the demo's definition, drafted and signed by both leaders
    source = Source.objects.order_by("pk").first()
    _, key = integration_create(name="Benchmark", scopes=list(Scope.values), default_source=source)
    return key


def lead(i: int) -> dict:
    return {
        "first_name": f"Bench{i}",
        "last_name": "Person",
        "email": f"bench{i}@company{i % 500}.example",
        "company": f"Company {i % 500}",
        "title": ("CEO", "VP Sales", "Engineer", "Analyst")[i % 4],
        "employees": (50, 300, 2000, 10)[i % 4],
        "industry": ("Software", "Finance", "Retail")[i % 3],
        "country": "GB",
        "phone": f"020 7946 {i % 10000:04d}",
    }


def _poster(key: str):
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def post(path, body):
        response = client.post(path, data=json.dumps(body), content_type="application/json")
        if response.status_code not in (200, 201):
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        return response

    return post


def _singles(key: str, numbers: range) -> list[float]:
    """One web process's share: single-lead POSTs, each timed."""
    post = _poster(key)
    post("/api/v1/leads/", lead(-1 - numbers.start))  # warm-up: imports, caches, the first query plans
    latencies = []
    for i in numbers:
        began = time.perf_counter()
        post("/api/v1/leads/", lead(i))
        latencies.append(time.perf_counter() - began)
    return latencies


def measure(key: str, singles: int, bulk_total: int, processes: int) -> list[dict]:
    import multiprocessing

    from django.db import connections

    # As many web processes as cores, as gunicorn runs them, each posting its share at once.
    connections.close_all()
    share = -(-singles // processes)
    ranges = [range(n * share, min(singles, (n + 1) * share)) for n in range(processes)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        latencies = [t for part in pool.starmap(_singles, [(key, r) for r in ranges]) for t in part]
    single_rate = singles / (time.perf_counter() - started)
    post = _poster(key)

    started = time.perf_counter()
    for first in range(0, bulk_total, BULK_SIZE):
        body = post("/api/v1/leads/bulk/", {"leads": [lead(10_000_000 + i) for i in range(first, first + BULK_SIZE)]})
        if body.json()["created"] != BULK_SIZE:
            raise SystemExit(f"a bulk POST created {body.json()['created']} of {BULK_SIZE}")
    bulk_rate = bulk_total / (time.perf_counter() - started)
    latencies.sort()
    median_ms = round(statistics.median(latencies) * 1000, 1)
    return [
        at_least("API single-lead POSTs", round(single_rate), "per s", SINGLE_TARGET_PER_S),
        {"name": "  their median latency", "value": median_ms, "unit": "ms", "target": None, "ok": None},
        at_least("API bulk, leads", round(bulk_rate), "per s", BULK_TARGET_PER_S),
    ]


def sign_routing_version() -> None:
    """A version both leaders sign under which every lead with a known company size is sales-ready
    and routed automatically to the Enterprise team's least-loaded rep."""
    from django.contrib.auth import get_user_model

    from alignment import services
    from alignment.models import FieldRule, RoutingRule, Team
    from alignment.selectors import active_definition

    people = get_user_model().objects.in_bulk(["marketer", "cmo", "vp-sales"], field_name="username")
    draft = services.definition_create(by=people["marketer"], name="Routed at once", based_on=active_definition())
    services.definition_update(
        definition=draft,
        by=people["marketer"],
        fields={
            "ready_grades": "AB",
            "ready_buckets": "hot,warm,cold,unqualified",
            "grade_a_min": 50,
            "grade_b_min": 40,
        },
    )
    FieldRule.objects.create(definition=draft, field="employees", test="band", minimum=1, points=100)
    RoutingRule.objects.create(definition=draft, position=1, name="Everyone", team=Team.objects.get(name="Enterprise"))
    services.definition_propose(definition=draft, by=people["marketer"])
    services.definition_approve(definition=draft, by=people["cmo"], side="marketing")
    services.definition_approve(definition=draft, by=people["vp-sales"], side="sales")


def speed_to_lead(key: str, leads: int) -> list[dict]:
    """From the POST of a lead that is sales-ready on arrival to the notification row of the rep it
    was routed to, lead by lead."""
    from leads.models import Handoff, Notification

    sign_routing_version()
    post = _poster(key)
    post("/api/v1/leads/", lead(-5_000_000))  # warm-up
    from django.utils import timezone

    waits = []
    for i in range(leads):
        began, sent_at = time.perf_counter(), timezone.now()
        body = post("/api/v1/leads/", lead(20_000_000 + i)).json()
        if not body["handoff"]:
            raise SystemExit(f"lead {body['id']} was not handed off on arrival")
        rep = Handoff.objects.filter(pk=body["handoff"]["id"]).values_list("assigned_to_id", flat=True).get()
        while not Notification.objects.filter(recipient_id=rep, created_at__gte=sent_at).exists():
            if time.perf_counter() - began > 30:
                raise SystemExit(f"lead {body['id']} was not routed to a rep within 30 s")
            time.sleep(0.01)
        waits.append(time.perf_counter() - began)
    waits.sort()
    p50, p95 = waits[len(waits) // 2], waits[int(len(waits) * 0.95) - 1]
    return [
        at_most("speed to lead, p50", round(p50, 3), "s", SPEED_TO_LEAD_P50_S),
        at_most("speed to lead, p95", round(p95, 3), "s", SPEED_TO_LEAD_P95_S),
    ]


def at_most(name: str, value, unit: str, target: float) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": f"<= {target:g}", "ok": value <= target}


def at_least(name: str, value, unit: str, target: float) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": f">= {target:g}", "ok": value >= target}


def print_rows(rows: list[dict], header: str) -> None:
    print()
    print(header)
    for r in rows:
        ok = "—" if r["ok"] is None else ("ok" if r["ok"] else "MISSED")
        print(f"  {r['name']:<28} {r['value']:>10,} {r['unit']:<6} {r['target'] or '—':<10} {ok}")


def main(argv=None) -> int:
    args = parse_args(argv)
    configure_environment()
    import django

    django.setup()
    from django.db import connection

    key = prepare()
    rows = measure(key, args.leads, args.bulk, args.processes)
    rows += speed_to_lead(key, min(args.leads, 1000))
    database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    header = (
        f"REST API on {database}: {args.leads:,} single POSTs from {args.processes} processes, {args.bulk:,} leads"
        f" in bulk, speed to lead over {min(args.leads, 1000):,} routed leads ({os.cpu_count()} cores)"
    )
    print_rows(rows, header)
    results_path = BENCH_DIR / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    names = {r["name"] for r in rows}
    merged = [r for r in previous if r["name"] not in names]
    results_path.write_text(json.dumps(merged + rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
