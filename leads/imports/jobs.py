"""An uploaded file's way through Accord: upload → (column mapping) → preview → confirm →
import, small files at once and large ones by a worker, with the progress on the import's page
and the rejected rows offered back as a file to fix and upload again."""

import logging
from collections.abc import Iterator

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from alignment.models import LeadProperty
from leads.exceptions import ImportFileError, LeadError
from leads.imports.layouts import EXTERNAL_ID, EXTERNAL_ID_PREFIX, detect, header_key, is_target
from leads.imports.reading import data_rows, read_table
from leads.imports.services import leads_import
from leads.models import ImportMapping, LeadImport, Notification, Source
from leads.notifications import Draft, notify
from outbox.services import enqueue_task

log = logging.getLogger(__name__)
Status = LeadImport.Status


def count_rows(data: bytes, file_name: str, *, up_to: int | None = None) -> tuple[list[str], int]:
    """The header and the number of non-blank data rows, counting no further than ``up_to``
    (a request only needs to know whether a file is small enough to handle at once)."""
    table = read_table(data, file_name)
    count = 0
    for count, _ in data_rows(table):
        if up_to is not None and count >= up_to:
            break
    return table.header, count


def runs_in_background(job: LeadImport) -> bool:
    return job.total > settings.ACCORD_IMPORT_INLINE_ROWS


def lead_import_upload(
    *,
    file_name: str,
    data: bytes,
    by,
    default_source: Source | None = None,
    mapping: ImportMapping | None = None,
    day_first: bool = False,
    strict: bool = False,
) -> LeadImport:
    """Keep an uploaded file and start its preview; when its columns are no known layout (or look
    like several) and no mapping is given, it waits for one (``needs_mapping``). A large file is
    counted and previewed by a worker: the request reads no more rows than it handles at once.
    Raises ImportFileError, saving nothing, when the file cannot be read."""
    header, total = count_rows(data, file_name, up_to=settings.ACCORD_IMPORT_INLINE_ROWS + 1)
    if total == 0:
        raise ImportFileError("The file has a header but no rows.")
    layout = mapping.name if mapping else getattr(detect(header).layout, "name", "")
    with transaction.atomic():
        job = LeadImport.objects.create(
            file=ContentFile(data, name=file_name),
            file_name=file_name[:255],
            uploaded_by=by,
            created_at=timezone.now(),
            layout=layout,
            mapping=mapping,
            default_source=default_source,
            day_first=day_first or bool(mapping and mapping.day_first),
            strict=strict,
            status=Status.PREVIEWING,
            total=total,
        )
        if layout and runs_in_background(job):
            _enqueue(job, dry_run=True)
    if layout:
        _start(job, dry_run=True)
    return job


def needs_mapping(job: LeadImport) -> bool:
    return job.status == Status.PREVIEWING and not job.layout


def header_of(job: LeadImport) -> list[str]:
    with job.file.open("rb") as file:
        return read_table(file.read(), job.file_name).header


def lead_import_map(
    *,
    job: LeadImport,
    by,
    name: str,
    columns: dict[str, str],
    empty_values: list[str],
    day_first: bool,
    date_pattern: str = "",
    phone_region: str = "",
) -> ImportMapping:
    """Save a column mapping (header → field, how dates are written, the phones' default
    country) under ``name`` and preview the file with it."""
    name = name.strip()
    if not name:
        raise LeadError("Give the mapping a name, so it can be chosen for the next file of this kind.")
    if ImportMapping.objects.filter(name__iexact=name).exists():
        raise LeadError(f"A mapping called '{name}' exists already; choose it on the upload page or pick a new name.")
    columns = {header: target for header, target in columns.items() if target}
    properties = set(LeadProperty.objects.values_list("key", flat=True))
    unknown = {target for target in columns.values() if not is_target(target, properties)}
    if unknown:
        raise LeadError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    targets = set(columns.values())
    identities = {"email", "phone", "salesforce_id", "hubspot_id", EXTERNAL_ID}
    if not targets & identities and not any(target.startswith(EXTERNAL_ID_PREFIX) for target in targets):
        raise LeadError(
            "Map a column to the email, the phone or an external id: a lead needs one of them to be told apart."
        )
    keys = [header_key(header) for header in columns]
    if len(keys) != len(set(keys)):
        raise LeadError("Two columns have the same name once spaces and punctuation are ignored.")
    with transaction.atomic():
        mapping = ImportMapping.objects.create(
            name=name,
            columns=columns,
            empty_values=[value for value in empty_values if value],
            day_first=day_first,
            date_pattern=date_pattern,
            phone_region=phone_region,
            created_by=by,
            created_at=timezone.now(),
        )
        job.mapping, job.layout, job.day_first = mapping, mapping.name, day_first
        job.save(update_fields=["mapping", "layout", "day_first"])
        if runs_in_background(job):
            _enqueue(job, dry_run=True)
    _start(job, dry_run=True)
    return mapping


def lead_import_confirm(
    *,
    job: LeadImport,
    by,
    default_source: Source | None = None,
    source_values: dict[str, int | str] | None = None,
) -> LeadImport:
    """Import the previewed file (claimed once: a second click does nothing), with the source
    table the person confirmed (file value → an existing source's id, or a new source's
    interest; saved with the mapping too) and, when some new lead's row names no source, the
    default source for them."""
    if by != job.uploaded_by and not by.is_superuser:
        raise LeadError("Only the person who uploaded the file confirms its import.")
    default_source = default_source or job.default_source
    without_source = (job.preview or {}).get("rows_without_source", 0)
    if without_source and default_source is None:
        raise LeadError(f"New leads name no source in the file ({without_source}): choose the source they came from.")
    table = _source_table(source_values or {})
    with transaction.atomic():
        claimed = LeadImport.objects.filter(pk=job.pk, status=Status.PREVIEWED).update(
            status=Status.QUEUED, done=0, default_source=default_source, source_values=table
        )
        if not claimed:
            raise LeadError("This file is not waiting for confirmation any more.")
        if job.mapping_id and table:
            mapping = ImportMapping.objects.select_for_update().get(pk=job.mapping_id)
            mapping.source_values = {**mapping.source_values, **table}
            mapping.save(update_fields=["source_values"])
        job.refresh_from_db()
        if runs_in_background(job):
            _enqueue(job, dry_run=False)
    _start(job, dry_run=False)
    job.refresh_from_db()
    return job


def _source_table(choices: dict[str, int | str]) -> dict[str, int | str]:
    """The source table as stored: case-folded file value → an existing source's id, or the
    interest of a new source. Raises LeadError for a choice that is neither."""
    known = set(
        Source.objects.filter(pk__in=[c for c in choices.values() if isinstance(c, int)]).values_list("pk", flat=True)
    )
    table = {}
    for value, choice in choices.items():
        if (isinstance(choice, int) and choice in known) or choice in Source.Interest.values:
            table[value.casefold()] = choice
        else:
            raise LeadError(f"Choose an existing source or a new one for '{value}'.")
    return table


def lead_import_discard(*, job: LeadImport, by) -> None:
    # Deleted only while it is still discardable in the database, not as a stale page saw it:
    # an import confirmed meanwhile (another tab) is kept.
    deleted, _ = LeadImport.objects.filter(
        pk=job.pk, status__in=(Status.PREVIEWING, Status.PREVIEWED, Status.FAILED)
    ).delete()
    if not deleted:
        raise LeadError("An import that ran or is running is kept as a record.")
    job.file.delete(save=False)


def _enqueue(job: LeadImport, *, dry_run: bool) -> None:
    """A large file's preview or import, for the worker, written through the outbox in the
    transaction that readies the job: with the broker down the file waits (previewing or queued)
    and the worker takes it when the broker is back (a task delivered twice does the work once)."""
    enqueue_task(task="leads.tasks.run_import", args=[job.pk, dry_run])


def _start(job: LeadImport, *, dry_run: bool) -> None:
    """A small file's preview or import, now (a large one's task is enqueued by :func:`_enqueue`)."""
    if not runs_in_background(job):
        try:
            import_execute(import_id=job.pk, dry_run=dry_run)
        except Exception:  # an unforeseen error: say so on the import's page rather than leave it "running"
            log.exception("Import %s failed", job.pk)
            LeadImport.objects.filter(pk=job.pk).update(
                status=Status.FAILED,
                failure=(
                    "An unexpected error stopped the preview, so nothing was imported."
                    if dry_run
                    else "An unexpected error stopped the import. Importing the file again updates the leads "
                    "it had already written rather than adding them twice."
                )
                + " The error is logged for the administrators.",
            )


def import_execute(*, import_id: int, dry_run: bool) -> dict:
    """Preview (``dry_run``) or import the file of import ``import_id`` and keep the result on it.
    A redelivered task is harmless: a finished import returns its result, and a re-run changes
    nothing that the first run already did (rows match the leads they created)."""
    job = LeadImport.objects.select_related("mapping", "default_source", "uploaded_by").filter(pk=import_id).first()
    if job is None:
        return {}
    if dry_run and job.status != Status.PREVIEWING:
        return job.preview  # previewed already, or confirmed since: a late preview changes nothing
    if not dry_run and job.status not in (Status.QUEUED, Status.RUNNING):
        return job.result  # imported already, or never confirmed
    if not dry_run:
        LeadImport.objects.filter(pk=job.pk).update(status=Status.RUNNING)

    def progress(rows: int) -> None:
        LeadImport.objects.filter(pk=job.pk).update(done=rows)

    try:
        with job.file.open("rb") as file:
            data = file.read()
        if dry_run and runs_in_background(job):
            # The upload counted only far enough to know the file is large: count it here.
            job.total = count_rows(data, job.file_name)[1]
            LeadImport.objects.filter(pk=job.pk).update(total=job.total)
        report = leads_import(
            data=data,
            file_name=job.file_name,
            by=job.uploaded_by,
            default_source=job.default_source,
            mapping=job.mapping,
            day_first=job.day_first,
            source_values=job.source_values,
            strict=job.strict,
            dry_run=dry_run,
            import_id=job.pk,
            progress=progress,
        )
    except ImportFileError as error:
        LeadImport.objects.filter(pk=job.pk).update(status=Status.FAILED, failure=str(error))
        return {"failure": str(error)}
    result = report.as_dict()
    if dry_run:
        LeadImport.objects.filter(pk=job.pk).update(status=Status.PREVIEWED, preview=result, done=report.rows)
        return result
    LeadImport.objects.filter(pk=job.pk).update(
        status=Status.DONE, result=result, done=report.rows, finished_at=timezone.now()
    )
    if runs_in_background(job):
        notify(
            [
                Draft(
                    recipient=job.uploaded_by,
                    kind=Notification.Kind.IMPORT,
                    message=f"{job.file_name}: {report.created} leads created, {report.updated} updated, "
                    f"{report.rejected} rows rejected.",
                    link=reverse("admin:leads_leadimport_change", args=[job.pk]),
                )
            ]
        )
    return result


def rejected_rows(job: LeadImport) -> Iterator[list[str]]:
    """The rejected rows of an import as they were in the file, with a last column saying why,
    under the file's own header: fix them and upload this file again."""
    errors: dict[int, list[str]] = {}
    for error in (job.result or job.preview).get("errors", []):
        label = f"{error['field']}: " if error["field"] else ""
        errors.setdefault(error["row"], []).append(label + error["message"])
    with job.file.open("rb") as file:
        table = read_table(file.read(), job.file_name)
    yield [*table.header, "Rejected because"]
    width = len(table.header)
    for number, cells in data_rows(table):
        if number in errors:
            yield [*(cells + [""] * width)[: max(width, len(cells))], " ".join(errors[number])]
