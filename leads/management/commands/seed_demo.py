from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from leads.demo import DEMO_PASSWORD, DEMO_PEOPLE, ensure_people_and_catalogue, generate_leads
from leads.models import Lead
from leads.signals import demo_data_loaded


class Command(BaseCommand):
    help = "Load demo people, teams, sources and about 2,000 leads in every stage (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=2000, help="How many leads to create (default 2000).")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, leads: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Use --force to seed demo data anyway.")
        cast = ensure_people_and_catalogue()
        # The mapping (and the properties) for tests/data/x-education/Leads.csv, ready to import.
        call_command("loaddata", "x-education-mapping", verbosity=0)
        self.stdout.write('The "X Education" column mapping and its lead properties are loaded.')
        if Lead.objects.exists():
            self.stdout.write("Demo leads already present; people and catalogue refreshed.")
        else:
            created = generate_leads(cast=cast, n=leads)
            self.stdout.write(self.style.SUCCESS(f"Created {created} demo leads."))
        for receiver, outcome in demo_data_loaded.send_robust(sender=self.__class__):
            if isinstance(outcome, Exception):
                raise CommandError(f"Demo data of {receiver.__module__} failed: {outcome}") from outcome
            if outcome:
                self.stdout.write(str(outcome))
        self.stdout.write(f"\nDemo logins (password “{DEMO_PASSWORD}” for each):")
        for username, first, last, role, team, _manages in DEMO_PEOPLE[:5]:
            self.stdout.write(f"  {username:<10} {role.label:<17} {first} {last}{f' ({team})' if team else ''}")
