import json

from django.core.management.base import BaseCommand, CommandError

from alignment.selectors import active_definition
from leads.evaluation import BATCH_SIZE, describe, leads_evaluate_all
from leads.exceptions import LeadError


class Command(BaseCommand):
    help = (
        "Re-evaluate every lead (grade, score, bucket, sales-ready) against the active qualified-lead definition, "
        "in batches (what the worker does when a version becomes active)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the summary as JSON on the last line."
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"Leads per batch (default {BATCH_SIZE})."
        )

    def handle(self, *args, as_json: bool = False, batch_size: int = BATCH_SIZE, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        definition = active_definition()
        if definition is None:
            raise CommandError(
                "No qualified-lead definition is active, so there is nothing to evaluate the leads against. "
                "Have both leaders approve a version first."
            )
        try:
            summary = leads_evaluate_all(definition=definition, batch_size=batch_size)
        except LeadError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Evaluated against {definition}: {describe(summary)}")
        if as_json:
            self.stdout.write(json.dumps(summary))
