"""Benchmark of lead imports, run by `make bench` (`python -m tests.bench_import --rows 100000`).

It writes a Salesforce Data Loader export of N rows (default 100,000; the names, companies,
phones and dates of a real export), imports it into an empty database of its own under
var/bench/ through the whole pipeline (decode, layout, cleaning, phone and email normalization,
matching, duplicate flags, grading, events), imports the same file a second time (every row
unchanged), and then times a plain `bulk_create` of the same rows, read from the same file
without any checks, as the yardstick. Peak memory is the process's peak resident size during
the first import. The figures are printed as a table and merged into var/bench/results.json.
"""

import argparse
import csv
import io
import json
import os
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta

from tests.bench import BASE_DIR, BENCH_DIR, pending_migrations, print_table, row

RATE_TARGET = 5_000  # rows per second on SQLite
RATIO_TARGET = 1 / 3  # of a plain bulk_create's rate
HOSTILE_TARGET_MS = 1000  # a workbook declaring a whole sheet is refused in under a second
HEADER = [
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Phone",
    "Title",
    "Company",
    "Country",
    "Industry",
    "NumberOfEmployees",
    "LeadSource",
    "Status",
    "CreatedDate",
]
FIRST = ["Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Margaret", "Linus", "Radia"]
LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Torvalds", "Perlman"]
TITLES = ["CTO", "VP Engineering", "Head of IT", "Developer", "Procurement Manager", "CEO", "Analyst", "Director"]
# Each country with a phone as people there write it (no country code), as real exports hold them.
COUNTRIES = {
    "United States": lambda rng: f"({rng.choice(AREAS)}) {rng.randint(200, 989)}-{rng.randint(0, 9999):04d}",
    "Germany": lambda rng: f"030 {rng.randint(2000000, 9999999)}",
    "United Kingdom": lambda rng: f"020 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
    "France": lambda rng: f"01 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
    "India": lambda rng: f"022 {rng.randint(2000, 6999)} {rng.randint(1000, 9999)}",
    "Brazil": lambda rng: f"(11) {rng.randint(2000, 5999)}-{rng.randint(1000, 9999)}",
}
INDUSTRIES = ["Software", "Finance", "Retail", "Manufacturing", "Healthcare", "Education"]
SOURCES = ["Web", "Trade show", "Webinar", "Partner referral", "Purchased list", "Advertisement"]
AREAS = ["212", "415", "617", "312", "206", "512"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_import", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file (default 100000)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    return args


def configure_environment() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["ACCORD_VAR_DIR"] = str(BENCH_DIR)
    os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
    # Nothing runs collectstatic here: pages name static files as they are.
    os.environ["ACCORD_STATIC_MANIFEST"] = "0"
    # As in production: no query log kept in memory.
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    os.environ.pop("REDIS_URL", None)
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(BENCH_DIR / "import.sqlite3")


def salesforce_export(rows: int) -> bytes:
    """A deterministic Salesforce export: about 20 people per company domain, and a phone, a
    title and a creation time on every row, as the Data Loader writes them (CRLF, UTF-8)."""
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        country = rng.choice(list(COUNTRIES))
        company = i % max(1, rows // 20)
        created = start + timedelta(minutes=7 * i)
        writer.writerow(
            [
                f"00Q5e{i:013d}",
                first,
                last,
                f"{first}.{last}.{i}@company{company}.example",
                COUNTRIES[country](rng),
                rng.choice(TITLES),
                f"Company {company} Inc.",
                country,
                rng.choice(INDUSTRIES),
                rng.choice(["50", "250", "1,200", "5000", ""]),
                rng.choice(SOURCES),
                "Open",
                created.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def empty_leads() -> None:
    from django.db import connection

    from leads.models import DuplicateCandidate, Lead, LeadEvent

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE leads_lead CASCADE")
        return
    DuplicateCandidate.objects.all().delete()
    LeadEvent.objects.all().delete()
    Lead.objects.all().delete()


def plain_bulk_create(data: bytes, default_source) -> float:
    """Seconds to read the same rows and bulk_create them as leads, with no checks at all."""
    from django.db import transaction

    from leads.models import Lead, Stage

    started = time.perf_counter()
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    batch = []
    with transaction.atomic():
        for record in reader:
            created = datetime.fromisoformat(record["CreatedDate"])
            batch.append(
                Lead(
                    first_name=record["FirstName"],
                    last_name=record["LastName"],
                    email=record["Email"],
                    phone=record["Phone"],
                    title=record["Title"],
                    company=record["Company"],
                    country=record["Country"],
                    industry=record["Industry"],
                    salesforce_id=record["Id"],
                    source=default_source,
                    stage=Stage.NEW,
                    stage_changed_at=created,
                    created_at=created,
                )
            )
            if len(batch) == 2000:
                Lead.objects.bulk_create(batch)
                batch = []
        Lead.objects.bulk_create(batch)
    return time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    args = parse_args(argv)
    configure_environment()

    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from alignment.roles import GROUP_NAMES, Role
    from leads.demo import ensure_demo_definition
    from leads.imports.services import leads_import
    from leads.models import Lead, Source

    if pending_migrations():
        print("migrating the import benchmark's database ...", flush=True)
        call_command("migrate", verbosity=0)
    empty_leads()

    def person(username: str, role: Role):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
        return user

    marketer = person("bench-marketer", Role.MARKETER)
    cmo = person("bench-cmo", Role.MARKETING_LEADER)
    vp = person("bench-vp", Role.SALES_LEADER)
    definition = ensure_demo_definition(drafter=marketer, marketing=cmo, sales=vp)
    source, _ = Source.objects.get_or_create(name="Imported file", defaults={"interest": Source.Interest.PASSIVE})

    print(f"writing a Salesforce export of {args.rows:,} rows ...", flush=True)
    data = salesforce_export(args.rows)
    print(f"  {len(data) / 1e6:.1f} MB", flush=True)

    rss_before = peak_rss_mb()
    print("importing it into an empty database ...", flush=True)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        report = leads_import(data=data, file_name="salesforce.csv", by=marketer, default_source=source)
        first_s = time.perf_counter() - started
    peak = peak_rss_mb()
    print(
        f"  {report.created:,} created ({report.flagged:,} flagged), {report.rejected:,} rejected in {first_s:.1f} s, "
        f"{len(queries):,} queries; graded against {definition}"
    )

    print("importing the same file again ...", flush=True)
    started = time.perf_counter()
    again = leads_import(data=data, file_name="salesforce.csv", by=marketer, default_source=source)
    second_s = time.perf_counter() - started
    print(f"  {again.unchanged:,} unchanged, {again.created + again.updated:,} changed in {second_s:.1f} s")

    empty_leads()
    print("plain bulk_create of the same rows, for comparison ...", flush=True)
    plain_s = plain_bulk_create(data, source)
    assert Lead.objects.count() == args.rows
    empty_leads()

    hostile_ms = hostile_workbook_refusal_ms()
    rate, plain_rate = args.rows / first_s, args.rows / plain_s
    ratio = rate / plain_rate
    rows = [
        at_least(f"import {args.rows:,} Salesforce rows", round(rate), "rows/s", RATE_TARGET),
        row("import seconds", round(first_s, 1), "s", None),
        row("plain bulk_create of the same rows", round(plain_rate), "rows/s", None),
        at_least("import speed / bulk_create speed", round(ratio, 2), "", round(RATIO_TARGET, 2)),
        row("re-import of the same file (all unchanged)", round(args.rows / second_s), "rows/s", None),
        row("import peak memory (process RSS)", round(peak), "MB", None),
        row("import peak memory growth", round(peak - rss_before), "MB", None),
        row("import queries", len(queries), "", None),
        row("import refuses a workbook declaring A1:XFD1048576", round(hostile_ms, 1), "ms", HOSTILE_TARGET_MS),
    ]
    header = f"Accord import benchmark: {connection.vendor}, {args.rows:,} rows, {os.cpu_count()} cores"
    print_table(rows, header)
    results_path = BENCH_DIR / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    merged = [r for r in previous if not r["name"].startswith(("import", "plain bulk_create", "re-import"))]
    results_path.write_text(json.dumps(merged + rows, indent=2) + "\n")
    print(f"\nmerged into {results_path.relative_to(BASE_DIR)}")
    return 0


def hostile_workbook_refusal_ms() -> float:
    """How long reading a workbook of a few kilobytes that declares 1,048,576 rows of 16,384
    columns takes to be refused (the best of five)."""
    from leads.exceptions import ImportFileError
    from leads.imports.reading import read_table
    from tests.leads.test_import_hostile_files import HOSTILE

    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        try:
            read_table(HOSTILE, "hostile.xlsx")
        except ImportFileError:
            best = min(best, (time.perf_counter() - started) * 1000)
        else:
            raise AssertionError("the hostile workbook was read")
    return best


def at_least(name: str, value, unit: str, target: float) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": f">= {target:g}", "ok": value >= target}


if __name__ == "__main__":
    sys.exit(main())
