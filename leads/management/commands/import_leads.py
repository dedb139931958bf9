import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from leads.exceptions import ImportFileError
from leads.imports.reading import read_table
from leads.imports.services import leads_import, resolve_layout
from leads.models import ImportMapping, Source

DEFAULT_SOURCE = "Imported file"
SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import leads from a CSV or XLSX file: exports of Salesforce, HubSpot, Zoho CRM, Pipedrive, SuiteCRM, "
        "Marketo, Mailchimp and Accord are recognised, any other layout (or one that looks like several) needs a "
        "saved column mapping. Exits non-zero only when the file cannot be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV or XLSX file.")
        parser.add_argument("--mapping", help="The name of a saved column mapping (for layouts Accord does not know).")
        parser.add_argument("--dry-run", action="store_true", help="Report what would happen; change nothing.")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Reject every row with a warning (a cell that cannot be kept), and import nothing if any row fails.",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the counts as JSON last.")
        parser.add_argument(
            "--source", help=f"The source of rows that name none (default: a source called '{DEFAULT_SOURCE}')."
        )
        parser.add_argument("--day-first", action="store_true", default=None, help="Dates are written day first.")
        parser.add_argument("--by", help="The username recorded as the person who imported the leads.")

    def handle(self, *args, path, mapping=None, dry_run=False, strict=False, as_json=False, **options):
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        saved = None
        if mapping:
            saved = ImportMapping.objects.filter(name=mapping).first()
            if saved is None:
                known = ", ".join(ImportMapping.objects.values_list("name", flat=True)) or "none saved yet"
                raise CommandError(f"No column mapping is called '{mapping}' (known: {known}).")
        by = None
        if options["by"]:
            by = get_user_model().objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"No active user is called '{options['by']}'.")
        try:
            # A file that cannot be read, or whose columns are no known layout, writes nothing: not
            # even the default source.
            resolve_layout(read_table(data, file.name).header, saved)
        except ImportFileError as error:
            raise CommandError(f"{file.name}: {error}") from error
        source = self._default_source(options["source"])
        try:
            report = leads_import(
                data=data,
                file_name=file.name,
                by=by,
                default_source=source,
                mapping=saved,
                day_first=options["day_first"],
                strict=strict,
                dry_run=dry_run,
            )
        except ImportFileError as error:
            raise CommandError(f"{file.name}: {error}") from error
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {file.name} ({report.layout}): {report.rows} rows, {report.created} created "
            f"({report.flagged} flagged as likely duplicates), {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected} rejected."
        )
        if report.warned_rows:
            self.stdout.write(f"{report.warned_rows} rows were imported without a cell they held (warnings):")
            for warning in report.warnings[:SHOWN_ERRORS]:
                self.stdout.write(
                    f"  row {warning['row']}, {warning['field']}: {warning['message']} (was: {warning['value']!r})"
                )
        if report.strict_failed:
            self.stdout.write("Nothing was imported: --strict and some rows failed.")
        for error in report.errors[:SHOWN_ERRORS]:
            self.stdout.write(f"  row {error['row']}, {error['field'] or 'row'}: {error['message']}")
        if len(report.errors) > SHOWN_ERRORS:
            self.stdout.write(f"  … and {len(report.errors) - SHOWN_ERRORS} more.")
        if as_json:
            self.stdout.write(json.dumps(report.counts()))

    def _default_source(self, name: str | None):
        """The source named by --source, else "Imported file", made only when a new lead's row
        names no source (so a file whose rows all name theirs adds no source)."""
        if name:
            source = Source.objects.filter(name__iexact=name).first()
            if source is None:
                raise CommandError(f"No source is called '{name}'.")
            return source
        return Source.objects.filter(name=DEFAULT_SOURCE).first() or (
            lambda: Source.objects.get_or_create(
                name=DEFAULT_SOURCE, defaults={"interest": Source.Interest.PASSIVE, "channel": "import"}
            )[0]
        )
