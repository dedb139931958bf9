"""Page-speed benchmark of the pages people open most, run by `make bench`
(`python -m tests.bench_pages --leads 100000`).

It seeds (or reuses) the benchmark database of tests.bench (var/bench/, demo data made by
leads.demo, N leads), brings the dashboard's rollups up to date as the beat task does, then
measures through the Django test client, warm, the median server time of several requests and
the number of queries of: the rep's inbox (/inbox/ as the demo rep, with the open hand-offs the
demo gives them), the page of one of those leads (/leads/<id>/), the review meeting page of the
rep's team (/reviews/<id>/ as its manager; opened through the meeting list's form when the week
has none yet) and the dashboard overview (/dashboard/ as the marketing leader). It finds its way
as a person would, by the pages' links, so it uses only their addresses and the demo roles.
It prints each figure beside its target and merges them into var/bench/results.json. It is a
report: the exit code is 0 even when a target is missed.
"""

import argparse
import json
import re
import sys

from tests.bench import (
    BASE_DIR,
    BENCH_DIR,
    PAGE_TARGET_MS,
    PAGE_TARGET_QUERIES,
    configure_environment,
    measure_page,
    prepare_database,
    print_slowest,
    print_table,
    row,
)

RUNS = 9
PREFIX = "pages:"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_pages", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="leads in the database (default 100000)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed requests per page (default {RUNS})")
    args = parser.parse_args(argv)
    if args.leads < 100:
        parser.error("--leads must be at least 100")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def _get(client, url: str) -> str:
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}, not 200")
    return response.content.decode()


def lead_of_inbox(rep) -> tuple[str, int]:
    """The first lead linked from the rep's inbox, and how many open hand-offs it lists."""
    from django.test import Client

    client = Client()
    client.force_login(rep)
    page = _get(client, "/inbox/")
    leads = re.findall(r'href="(/leads/\d+/)"', page)
    if not leads:
        raise SystemExit("the rep's inbox links to no lead: the demo data gave them no open hand-off")
    count = re.search(r"(\d[\d,]*) (?:open )?hand-offs?", page)
    return leads[0], int(count.group(1).replace(",", "")) if count else len(set(leads))


def meeting_of_team(manager) -> str:
    """The review meeting page of the manager's team: the newest on the meeting list, or one
    opened there through its form."""
    from django.test import Client

    client = Client()
    client.force_login(manager)
    page = _get(client, "/reviews/")
    found = re.findall(r'href="(/reviews/\d+/)"', page)
    if found:
        return found[0]
    team = re.search(r'<option value="(\d+)"', page)
    if team is None:
        raise SystemExit("the meeting list offers the manager no team to open a meeting for")
    response = client.post("/reviews/open/", {"team": team.group(1)}, secure=True)
    if response.status_code != 302 or not re.fullmatch(r"/reviews/\d+/", response["Location"]):
        raise SystemExit(f"opening a meeting answered {response.status_code}")
    return response["Location"]


def main(argv=None) -> int:
    args = parse_args(argv)
    configure_environment(args.leads)

    import django

    django.setup()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from insights import rollups
    from leads.models import Lead

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    prepare_database(args.leads)
    rollups.refresh()  # what the beat task keeps up to date
    User = get_user_model()
    people = {u.username: u for u in User.objects.filter(username__in=["rep", "manager", "cmo"])}
    lead_url, open_handoffs = lead_of_inbox(people["rep"])
    pages = [
        (f"rep inbox ({open_handoffs:,} open hand-offs)", people["rep"], "/inbox/"),
        ("lead page", people["rep"], lead_url),
        ("review meeting page (team)", people["manager"], meeting_of_team(people["manager"])),
        ("dashboard overview (leader)", people["cmo"], "/dashboard/"),
    ]
    rows = []
    for name, user, url in pages:
        print(f"measuring {name}: {url} ({args.runs} runs) ...", flush=True)
        result = measure_page(user=user, url=url, runs=args.runs)
        print(f"  median {result['median_ms']:.1f} ms, {result['queries']} queries", flush=True)
        print_slowest(result)
        rows.append(row(f"{PREFIX} {name} median", round(result["median_ms"], 1), "ms", PAGE_TARGET_MS))
        rows.append(row(f"{PREFIX} {name} queries", result["queries"], "", PAGE_TARGET_QUERIES))

    leads = Lead.objects.count()
    print_table(rows, f"Accord page-speed benchmark: {connection.vendor}, {leads:,} leads")
    results_path = BENCH_DIR / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    merged = [r for r in previous if not r["name"].startswith(PREFIX)]
    results_path.write_text(json.dumps(merged + rows, indent=2) + "\n")
    print(f"\nmerged into {results_path.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
