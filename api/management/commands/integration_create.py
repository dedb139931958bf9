import json

from django.core.management.base import BaseCommand, CommandError

from api.models import Scope
from api.services import IntegrationError, integration_create
from leads.models import Source


class Command(BaseCommand):
    help = "Make an integration (an API client) and print its key, once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--scope", action="append", choices=Scope.values, dest="scopes", help="Repeat for each scope."
        )
        parser.add_argument("--source", default="", help="The default source of the leads it sends (by name).")
        parser.add_argument("--json", action="store_true", help='Print {"integration", "key", "scopes"}.')

    def handle(self, *args, **options):
        source = None
        if options["source"]:
            source = Source.objects.filter(name__iexact=options["source"]).first()
            if source is None:
                raise CommandError(f"No source is called '{options['source']}'.")
        try:
            integration, key = integration_create(
                name=options["name"], scopes=options["scopes"] or list(Scope.values), default_source=source
            )
        except IntegrationError as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps({"integration": integration.name, "key": key, "scopes": integration.scopes}))
            return
        self.stdout.write(f"Integration '{integration.name}' ({', '.join(integration.scopes)}).")
        self.stdout.write(f"Its key, shown this once: {key}")
