"""Benchmark of webhook fan-out, run by `make bench` (`python -m tests.bench_webhooks --events 10000`).

It builds a database of its own under var/bench/ (fresh each run) with three subscriptions and
N lead events (default 10,000: a "created" and a "became sales-ready" event for each of N/2
leads, so every lead's two deliveries must go out in order), written by the bulk paths the code
uses (leads.imports.bulk.insert, LeadEvent bulk_create). A receiver on loopback, in a process of
its own, answers 200 to every POST and checks one signature in a hundred. The clock runs from
the first dispatch until every delivery is delivered, doing what one Celery worker does
(webhooks.services: dispatch, then send what is due, ACCORD_WEBHOOKS_CONCURRENCY at a time).
Target: 10,000 events to 3 subscribers within 60 s. The figures are merged into
var/bench/results.json; a missed target is reported, only an error exits non-zero.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time

from tests.bench import BASE_DIR, BENCH_DIR, print_table, row

SUBSCRIBERS = 3
TARGET_S = 60
GIVE_UP_S = 600
SECRET_CHECK_EVERY = 100


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="lead events to deliver (default 10000)")
    args = parser.parse_args(argv)
    if args.events < 100:
        parser.error("--events must be at least 100")
    return args


def configure_environment(n_events: int) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["ACCORD_VAR_DIR"] = str(BENCH_DIR)
    os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
    os.environ["ACCORD_WEBHOOKS_ALLOW_PRIVATE"] = "1"  # the receiver is on loopback
    os.environ.pop("REDIS_URL", None)
    if not os.environ.get("DATABASE_URL"):
        path = BENCH_DIR / f"webhooks-{n_events}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")
        os.environ["SQLITE_PATH"] = str(path)


def serve(ports, secrets_by_path) -> None:
    """The receiver: 200 to every POST, a signature checked now and then (a bad one is a 400)."""
    import itertools
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from webhooks.signing import verify

    counter = itertools.count()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = 200
            if next(counter) % SECRET_CHECK_EVERY == 0:
                secret = secrets_by_path.get(self.path, "")
                status = 200 if verify(secret=secret, body=body, header=self.headers["Accord-Signature"]) else 400
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ports.put(server.server_address[1])
    server.serve_forever()


def seed(n_events: int, url: str) -> dict[str, str]:
    """Three subscriptions to ``url`` (one path each) and the events; returns path → secret."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from alignment.roles import GROUP_NAMES, Role
    from leads.imports.bulk import insert
    from leads.models import Lead, LeadEvent, Source, Stage
    from webhooks import services
    from webhooks.models import EventType

    now = timezone.now()
    marketer = get_user_model().objects.create(username="bench-marketer", email="marketer@bench.example")
    Group.objects.get(name=GROUP_NAMES[Role.MARKETER]).user_set.add(marketer)
    secrets = {}
    for i in range(SUBSCRIBERS):
        path = f"/hook/{i}"
        _, secret = services.subscription_create(
            by=marketer,
            name=f"Bench automation {i}",
            url=f"{url}{path}",
            events=[EventType.LEAD_CREATED, EventType.LEAD_SALES_READY],
            now=now,
        )
        secrets[path] = secret
    services.deliveries_dispatch()  # the watermark starts here
    source = Source.objects.create(name="Bench source", interest=Source.Interest.ACTIVE)
    n_leads = n_events // 2
    with transaction.atomic():
        insert(
            Lead,
            [
                {
                    "first_name": "Bench",
                    "last_name": f"Lead {x}",
                    "email": f"lead{x}@bench.example",
                    "email_normalized": f"lead{x}@bench.example",
                    "company": "Bench Co",
                    "company_domain": "bench.example",
                    "source_id": source.pk,
                    "stage": Stage.NEW.value,
                    "stage_changed_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for x in range(n_leads)
            ],
        )
        ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
        LeadEvent.objects.bulk_create(
            [LeadEvent(lead_id=pk, kind=LeadEvent.Kind.CREATED, to_stage=Stage.NEW, created_at=now) for pk in ids]
            + [
                LeadEvent(lead_id=pk, kind=LeadEvent.Kind.SALES_READY, details={"version": 1}, created_at=now)
                for pk in ids
            ],
            batch_size=1000,
        )
    return secrets


def main(argv=None) -> int:
    args = parse_args(argv)
    configure_environment(args.events)

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from leads.models import LeadEvent
    from webhooks import services
    from webhooks.models import Delivery

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)
    if os.environ.get("DATABASE_URL"):
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)

    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    secrets_by_path = manager.dict()
    ports = context.Queue()
    receiver = context.Process(target=serve, args=(ports, secrets_by_path), daemon=True)
    receiver.start()
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=30)}"
        print(f"seeding {args.events:,} lead events for {SUBSCRIBERS} subscribers ...", flush=True)
        secrets_by_path.update(seed(args.events, url))
        events = LeadEvent.objects.count()
        expected = events * SUBSCRIBERS
        print(f"delivering {expected:,} webhooks to {url} ...", flush=True)
        started = time.perf_counter()
        dispatch_s = 0.0
        while True:
            t = time.perf_counter()
            services.deliveries_dispatch()
            dispatch_s += time.perf_counter() - t
            sent = services.deliveries_send_due()
            delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED).count()
            if delivered >= expected or time.perf_counter() - started > GIVE_UP_S:
                break
            if not any(sent.values()):
                time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        receiver.terminate()
        receiver.join(10)
        manager.shutdown()
    bad = Delivery.objects.exclude(status=Delivery.Status.DELIVERED).count()
    refused = Delivery.objects.filter(last_status=400).count()
    if delivered < expected or refused:
        raise SystemExit(f"only {delivered:,} of {expected:,} delivered ({bad:,} not, {refused:,} signatures refused)")
    label = f"webhook fan-out, {events:,} events × {SUBSCRIBERS} subscribers"
    rows = [
        row(label, round(elapsed, 1), "s", TARGET_S if events >= 10_000 else TARGET_S * events / 10_000),
        row("webhook deliveries per second", round(expected / elapsed), "/s", None),
        row("webhook dispatch (events → deliveries)", round(dispatch_s, 1), "s", None),
    ]
    header = (
        f"Accord webhooks benchmark: {connection.vendor}, {events:,} events, {SUBSCRIBERS} subscribers, "
        f"{os.cpu_count()} cores, {settings.ACCORD_WEBHOOKS_CONCURRENCY} requests at once, receiver on loopback"
    )
    print_table(rows, header)
    results_path = BENCH_DIR / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    merged = [r for r in previous if not r["name"].startswith("webhook")]
    results_path.write_text(json.dumps(merged + rows, indent=2) + "\n")
    print(f"\nmerged into {results_path.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
