import time

from django.core.management.base import BaseCommand

from insights import rollups


class Command(BaseCommand):
    help = (
        "Bring the dashboard's rollups (lead journeys and hand-off outcomes) up to date, as the beat task does "
        "every 5 minutes; --rebuild recomputes every row from scratch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Recompute every row, in batches of leads.")

    def handle(self, *args, rebuild: bool = False, **options):
        started = time.perf_counter()
        if rebuild:
            leads = rollups.rebuild()
            self.stdout.write(f"Rebuilt the rollups of {leads:,} leads in {time.perf_counter() - started:.1f} s.")
        else:
            rollups.refresh()
            self.stdout.write(f"The rollups are up to date ({time.perf_counter() - started:.1f} s).")
