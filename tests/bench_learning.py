"""Benchmark of qualification learning, run by `make bench` (`python -m tests.bench_learning`).

1. The X Education check: a draft suggested from a stratified 70 % of the real leads
   (tests/data/x-education) ranks the other 30 %, imported without their outcome and exported
   graded under the draft, by Priority: ROC-AUC (target >= 0.85) and whether the success rate
   falls from A to D and from hot to unqualified. ``--seed`` picks the split.
2. Speed over LEARN_N leads (default 100,000) with a known outcome, made by repeating the
   X Education rows under new Prospect IDs and importing them through the mapping: fitting a
   draft (target <= 60 s) and backtesting it (target <= 10 s on SQLite).

Each part uses a fresh database of its own under var/bench/. The figures are printed as a table
and merged into var/bench/results.json.
"""

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tests import bench_import
from tests.bench import BASE_DIR, BENCH_DIR, print_table, row
from tests.bench_import import at_least

AUC_TARGET = 0.85
FIT_TARGET_S = 60
BACKTEST_TARGET_S = 10


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_learning", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="leads for the speed part (default 100000)")
    parser.add_argument("--seed", type=int, default=7, help="the random split of the X Education check")
    return parser.parse_args(argv)


def configure_environment() -> None:
    """As the import benchmark's, with a database of its own."""
    bench_import.configure_environment()
    if not os.environ.get("DATABASE_URL"):
        path = BENCH_DIR / "learning.sqlite3"
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)  # each run starts from an empty database of its own
        os.environ["SQLITE_PATH"] = str(path)


def fresh_database() -> None:
    """Drop every row (the schema stays) so each part starts from an empty, migrated database."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def repeated_x_education(folder: Path, leads: int) -> Path:
    from tests.learning.xeducation import LEADS_CSV

    with LEADS_CSV.open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    header, rows = table[0], table[1:]
    prospect, number = header.index("Prospect ID"), header.index("Lead Number")
    path = folder / "x-education-repeated.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for index in range(leads):
            copy = list(rows[index % len(rows)])
            copy[prospect], copy[number] = str(uuid.UUID(int=index + 1)), str(index + 1)
            writer.writerow(copy)
    return path


def main(argv=None) -> int:
    args = parse_args(argv)
    configure_environment()

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from alignment.models import QualificationDefinition
    from leads.learning import definition_backtest
    from tests.learning.xeducation import is_falling, measure

    results = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        print(f"X Education: a draft from a stratified 70 % (seed {args.seed}), the other 30 % by Priority ...")
        fresh_database()
        measured = measure(folder, seed=args.seed)
        grades = ", ".join(f"{g} {r:.0%}" if r is not None else f"{g} —" for g, r in measured.grade_rates.items())
        buckets = ", ".join(f"{b} {r:.0%}" if r is not None else f"{b} —" for b, r in measured.bucket_rates.items())
        print(f"  success by grade: {grades}\n  success by bucket: {buckets}")
        results += [
            at_least(
                "learning: X Education held-out ROC-AUC of Priority", round(measured.held_out_auc, 3), "", AUC_TARGET
            ),
            row("learning: X Education training ROC-AUC", round(measured.train_auc, 3), "", None),
            {
                "name": "learning: X Education success falls A→D and hot→unqualified",
                "value": int(is_falling(measured.grade_rates) and is_falling(measured.bucket_rates)),
                "unit": "(1 = yes)",
                "target": "= 1",
                "ok": is_falling(measured.grade_rates) and is_falling(measured.bucket_rates),
            },
        ]

        print(f"importing {args.leads:,} leads with a known outcome (X Education rows repeated) ...", flush=True)
        fresh_database()
        path = repeated_x_education(folder, args.leads)
        call_command("loaddata", "x-education-mapping", verbosity=0)
        call_command("import_leads", str(path), mapping="X Education", stdout=io.StringIO())
        print("fitting a draft ...", flush=True)
        started = time.perf_counter()
        out = io.StringIO()
        call_command("suggest_definition", as_json=True, stdout=out)
        fit_s = time.perf_counter() - started
        version = json.loads(out.getvalue().strip().splitlines()[-1])["version"]
        print("backtesting it ...", flush=True)
        definition = QualificationDefinition.objects.get(version=version)
        started = time.perf_counter()
        backtest = definition_backtest(definition=definition, outcome="won")
        backtest_s = time.perf_counter() - started
        results += [
            row(
                f"learning: suggest a draft from {args.leads:,} outcomes (fit and backtest)",
                round(fit_s, 1),
                "s",
                FIT_TARGET_S,
            ),
            row(f"learning: backtest over {backtest['leads']:,} leads", round(backtest_s, 1), "s", BACKTEST_TARGET_S),
        ]
    header = f"Accord learning benchmark: {connection.vendor}, {os.cpu_count()} cores"
    print_table(results, header)
    results_path = BENCH_DIR / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    merged = [r for r in previous if not r["name"].startswith("learning:")]
    results_path.write_text(json.dumps(merged + results, indent=2) + "\n")
    print(f"\nmerged into {results_path.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
