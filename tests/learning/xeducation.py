"""The X Education check of the qualification issue, shared by its test and `make bench`: fit a
draft on a stratified share of the real leads, import the rest without their outcome, export them
graded under the draft, and measure how the export's Priority ranks them."""

import csv
import io
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

LEADS_CSV = Path(__file__).resolve().parents[1] / "data" / "x-education" / "Leads.csv"
GRADES = ("A", "B", "C", "D")
BUCKETS = ("Hot", "Warm", "Cold", "Unqualified")


@dataclass
class Measured:
    train_leads: int
    held_out: int
    train_auc: float
    held_out_auc: float
    grade_rates: dict[str, float | None]
    bucket_rates: dict[str, float | None]
    version: int
    seconds: dict[str, float]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def _last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def _rates(labels: list[str], outcomes: list[int], order: tuple[str, ...]) -> dict[str, float | None]:
    rates = {}
    for label in order:
        picked = [outcome for name, outcome in zip(labels, outcomes, strict=True) if name == label]
        rates[label] = sum(picked) / len(picked) if picked else None
    return rates


def is_falling(rates: dict[str, float | None]) -> bool:
    """Success rates fall (or stay) from the first group to the last, empty groups aside."""
    known = [rate for rate in rates.values() if rate is not None]
    return all(later <= earlier for earlier, later in itertools.pairwise(known))


def measure(folder: Path, *, seed: int, test_size: float = 0.3) -> Measured:
    """Run the whole check in the current database (fresh, migrated): returns the figures."""
    seconds = {}
    with LEADS_CSV.open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    header, rows = table[0], table[1:]
    converted = header.index("Converted")
    prospect = header.index("Prospect ID")
    outcomes = [int(row[converted]) for row in rows]
    train, held = train_test_split(list(range(len(rows))), test_size=test_size, stratify=outcomes, random_state=seed)
    _write(folder / "train.csv", header, [rows[i] for i in train])
    # The held-out leads arrive as new leads would: without their outcome.
    _write(folder / "held-out.csv", header, [[*rows[i][:converted], "", *rows[i][converted + 1 :]] for i in held])
    call_command("loaddata", "x-education-mapping", verbosity=0)
    for name in ("train.csv", "held-out.csv"):
        started = time.perf_counter()
        call_command("import_leads", str(folder / name), mapping="X Education", stdout=io.StringIO())
        seconds[f"import {name}"] = time.perf_counter() - started
    out = io.StringIO()
    started = time.perf_counter()
    call_command("suggest_definition", outcome="won", as_json=True, stdout=out)
    seconds["suggest"] = time.perf_counter() - started
    suggested = _last_json(out.getvalue())
    started = time.perf_counter()
    call_command(
        "export_leads", output=str(folder / "graded.csv"), definition=suggested["version"], stdout=io.StringIO()
    )
    seconds["export"] = time.perf_counter() - started
    truth = {rows[i][prospect]: outcomes[i] for i in held}
    priorities, labels, grades, buckets = [], [], [], []
    with (folder / "graded.csv").open(encoding="utf-8-sig", newline="") as file:
        for exported in csv.DictReader(file):
            ids = dict(part.split(":", 1) for part in exported["External ID"].split("; ") if part)
            if ids.get("X Education") in truth:
                labels.append(truth[ids["X Education"]])
                priorities.append(int(exported["Priority"]))
                grades.append(exported["Grade"])
                buckets.append(exported["Bucket"])
    return Measured(
        train_leads=suggested["leads"],
        held_out=len(labels),
        train_auc=suggested["train_auc"],
        held_out_auc=float(roc_auc_score(labels, priorities)),
        grade_rates=_rates(grades, labels, GRADES),
        bucket_rates=_rates(buckets, labels, BUCKETS),
        version=suggested["version"],
        seconds=seconds,
    )
