import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from alignment.models import QualificationDefinition
from leads.exceptions import LeadError
from leads.learning import OUTCOMES, definition_backtest


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date; write it as 2026-03-15.") from None


class Command(BaseCommand):
    help = (
        "Backtest a qualified-lead definition version (a draft included) on the leads whose outcome is known: "
        "ROC-AUC of priority, success per grade and bucket, sales-ready precision and recall, what changes against "
        "the active version, and each rule's support and lift."
    )

    def add_arguments(self, parser):
        parser.add_argument("version", type=int, help="The definition version.")
        parser.add_argument("--outcome", choices=OUTCOMES, default="won", help="What counts as success (won).")
        parser.add_argument("--since", type=day, help="Leads created on or after this day (YYYY-MM-DD).")
        parser.add_argument("--until", type=day, help="Leads created on or before this day (YYYY-MM-DD).")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the figures as JSON last.")

    def handle(self, *args, version: int, outcome: str, since=None, until=None, as_json=False, **options):
        definition = QualificationDefinition.objects.filter(version=version).first()
        if definition is None:
            raise CommandError(f"There is no definition version {version}.")
        try:
            result = definition_backtest(definition=definition, outcome=outcome, since=since, until=until)
        except LeadError as error:
            raise CommandError(str(error)) from error
        auc = "n/a" if result["auc"] is None else f"{result['auc']:.3f}"
        self.stdout.write(
            f"v{version} on {result['leads']:,} leads with a known outcome ({outcome}), "
            f"{result['successes']:,} successes: ROC-AUC of priority {auc}."
        )
        for what in ("grades", "buckets"):
            key = what[:-1]
            cells = ", ".join(
                f"{row[key]} {row['rate']:.0%} of {row['leads']:,}" if row["rate"] is not None else f"{row[key]} —"
                for row in result[what]
            )
            self.stdout.write(f"  success by {key}: {cells}")
            for violation in result[f"{key}_violations"]:
                self.stdout.write(f"  ! {violation}")
        if as_json:
            self.stdout.write(json.dumps(result, default=str))
