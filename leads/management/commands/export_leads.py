from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from alignment.models import QualificationDefinition
from leads.exports import FORMATS, export_to_file
from leads.models import Lead, Stage


class Command(BaseCommand):
    help = (
        "Export every lead in Accord's layout (which import_leads reads back), as CSV or XLSX. Leads merged into "
        "another are left out: importing them back would create them anew."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="The file to write.")
        parser.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from the file name, else csv).")
        parser.add_argument(
            "--include-merged", action="store_true", help="Also export leads merged into another (as a record)."
        )
        parser.add_argument(
            "--definition",
            type=int,
            metavar="VERSION",
            help="Grade, score, bucket and prioritise every lead under this definition version, a draft included"
            " (default: the active version, as the leads carry it).",
        )

    def handle(self, *args, output: str, **options):
        path = Path(output)
        file_format = options["format"] or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        definition = None
        if options["definition"] is not None:
            definition = QualificationDefinition.objects.filter(version=options["definition"]).first()
            if definition is None:
                raise CommandError(f"There is no definition version {options['definition']}.")
        try:
            leads = Lead.objects.all() if options["include_merged"] else Lead.objects.exclude(stage=Stage.MERGED)
            count = export_to_file(leads, path, file_format, definition)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Exported {count} leads to {path} ({file_format}).")
