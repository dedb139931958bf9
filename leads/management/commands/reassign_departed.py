import json

from django.core.management.base import BaseCommand

from leads.sweeps import reassign_departed


class Command(BaseCommand):
    help = "Reassign the open leads and hand-offs of deactivated people and people who left their team."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the counts as JSON on the last line."
        )

    def handle(self, *args, as_json: bool = False, **options):
        counts = reassign_departed()
        if as_json:
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(", ".join(f"{name}: {value}" for name, value in counts.items()))
