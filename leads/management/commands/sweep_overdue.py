import json

from django.core.management.base import BaseCommand

from leads.sweeps import sweep_overdue


class Command(BaseCommand):
    help = "Remind, escalate and expire overdue hand-offs and first touches (what the worker does every 15 minutes)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the counts as JSON on the last line."
        )

    def handle(self, *args, as_json: bool = False, **options):
        counts = sweep_overdue()
        if as_json:
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(", ".join(f"{name}: {value}" for name, value in counts.items()))
