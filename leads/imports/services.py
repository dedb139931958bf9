"""Importing leads from a file: every row is created, updated, left unchanged (it matched a
lead that already says the same) or rejected with its row number, field and reason.

A row matches an existing lead by Salesforce Id, HubSpot Record ID or normalized email, and
updates it instead of creating a second one, so importing the same file twice changes nothing
the second time. A new lead whose company domain and name are close to another lead's is
created and flagged as a likely duplicate for someone to merge or dismiss.

The file is worked through in batches of rows; each batch costs a fixed number of queries (the
matching leads, the duplicate peers of new domains, one insert each for leads, events and
candidates), plus one UPDATE per lead that changed. A dry run plans every batch the same way and
writes nothing, so the preview shows exactly what the import will do.
"""

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz, process, utils

from alignment import scoring
from alignment.actors import actor_name
from alignment.models import LeadProperty
from alignment.selectors import active_definition_terms
from leads.evaluation import RESULT_FIELDS, evaluation_moment, facts_of_row, leads_evaluate, leads_record_sales_ready
from leads.exceptions import ImportFileError
from leads.imports import bulk
from leads.imports.cleaning import Options, RowErrors, clean_row
from leads.imports.layouts import KNOWN_LAYOUTS, Detection, Layout, detect, from_mapping
from leads.imports.reading import data_rows, read_table
from leads.models import Campaign, DuplicateCandidate, ExternalId, ImportMapping, Lead, LeadEvent, Source, Stage

BATCH_SIZE = 2000
# Name similarity (rapidfuzz token-sort ratio, 0 to 100) from which two leads at one company domain
# are flagged as a likely duplicate: "Jon Smith" and "John Smith" score 95, "Bob"/"Robert" 76.
DUPLICATE_SIMILARITY = 88
# Fields an import may change on a lead that already exists; where it came from (source,
# campaign) and when it was created stay as they are.
UPDATABLE = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company",
    "country",
    "industry",
    "employees",
    "is_customer",
)
SAMPLE_SIZE = 20
# Warnings the report lists in full (each lead's own history keeps its own, however many).
WARNINGS_LISTED = 10_000
# Raw values in the report are cut to this; the lead's history keeps them whole.
WARNING_VALUE_SHOWN = 200
# Rows whose created date the preview shows beside the text it was read from.
DATE_SAMPLES = 5
# Similarity (rapidfuzz WRatio, 0 to 100) from which a file's source value is proposed as an
# existing source: "Webinar" and "Webinar sign-up" score 90.
SOURCE_SIMILARITY = 80
NO_SOURCE = "The row names no source and no default source was chosen for such rows."
# What a row may match an existing lead on, strongest first. A phone counts only for a row
# without an email, and only against leads without one: colleagues share switchboard numbers.
MATCH_KEYS = {
    "accord_id": "Accord ID",
    "salesforce_id": "Salesforce Id",
    "hubspot_id": "HubSpot Record ID",
    "external_id": "external id",
    "email": "email",
    "phone": "phone",
}


def _match_keys(values: dict) -> list[tuple[str, object]]:
    keys = [(key, values.get(key)) for key in ("accord_id", "salesforce_id", "hubspot_id")]
    keys.extend(("external_id", pair) for pair in values.get("external_ids", ()))
    keys.append(("email", values["email_normalized"]))
    if not values["email_normalized"]:
        keys.append(("phone", values["phone"]))
    return [(key, value) for key, value in keys if value]


class LayoutUnknown(ImportFileError):
    """The header is no layout Accord knows, or looks like several, and no mapping was given."""

    def __init__(self, header: list[str], detection: Detection):
        if len(detection.candidates) > 1:
            message = (
                f"These columns could come from {' or '.join(detection.candidates)}; Accord does not guess. "
                "Choose a saved column mapping or map the columns."
            )
        else:
            known = ", ".join(layout.name for layout in KNOWN_LAYOUTS)
            message = (
                f"Accord does not recognise these columns as an export of a tool it knows ({known}). "
                "Choose a saved column mapping or map the columns."
            )
        super().__init__(message)
        self.header = header
        self.detection = detection


@dataclass
class Report:
    """What an import did (or, for a dry run, would do)."""

    layout: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    # Cells a lead was imported without, or with a cut value: {"row", "field", "message", "value"}.
    warnings: list[dict] = field(default_factory=list)
    warned_rows: int = 0
    unused_columns: list[str] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)
    # File source value → the existing source proposed for it: {"source", "name", "similarity"}, or
    # None when none is close (a new source would be made).
    source_proposals: dict[str, dict | None] = field(default_factory=dict)
    # New leads whose row names no source: they take the default source, which must be chosen.
    rows_without_source: int = 0
    # The created dates of the first rows beside the text they were read from.
    date_samples: list[dict] = field(default_factory=list)
    dated_at_import: bool = False
    new_campaigns: list[str] = field(default_factory=list)
    # property key → values a choice property did not list yet (added to it by the import).
    new_choices: dict[str, list[str]] = field(default_factory=dict)
    # Rows whose outcome was not applied: they update a lead that exists (or that an earlier row of
    # the file creates), whose stage an import does not move.
    outcomes_not_applied: list[int] = field(default_factory=list)
    samples: dict[str, list[dict]] = field(default_factory=lambda: {"created": [], "updated": [], "flagged": []})
    dry_run: bool = False
    strict_failed: bool = False

    def counts(self) -> dict:
        """The figures of ``import_leads --json``: rows counts data rows, and each is created,
        updated, unchanged or rejected; flagged counts created leads that look like a duplicate."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "flagged": self.flagged,
            "rejected": self.rejected,
            "errors": self.errors,
            "layout": self.layout,
            "unused_columns": self.unused_columns,
            "warnings": self.warnings,
        }

    def as_dict(self) -> dict:
        return {
            **self.counts(),
            "warned_rows": self.warned_rows,
            "new_sources": self.new_sources,
            "source_proposals": self.source_proposals,
            "rows_without_source": self.rows_without_source,
            "date_samples": self.date_samples,
            "dated_at_import": self.dated_at_import,
            "new_campaigns": self.new_campaigns,
            "new_choices": self.new_choices,
            "outcomes_not_applied": self.outcomes_not_applied[:SAMPLE_SIZE],
            "samples": self.samples,
            "dry_run": self.dry_run,
            "strict_failed": self.strict_failed,
        }

    def _sample(self, kind: str, item: dict) -> None:
        if len(self.samples[kind]) < SAMPLE_SIZE:
            self.samples[kind].append(item)


@dataclass
class _Planned:
    """A lead this import creates (``pk`` is set once it is written) or updates."""

    row: int
    values: dict
    pk: int | None = None
    changes: dict = field(default_factory=dict)
    duplicate_of: tuple[int | None, "_Planned | None", int] | None = None
    source: Source | None = None
    campaign: Campaign | None = None
    # The row's warnings: (field, message, raw value), kept in the lead's import event.
    warnings: list = field(default_factory=list)


def resolve_layout(header: list[str], mapping: ImportMapping | None) -> Layout:
    if mapping is not None:
        return from_mapping(mapping)
    detection = detect(header)
    if detection.layout is None:
        raise LayoutUnknown(header, detection)
    return detection.layout


@bulk.heap_set_aside()
def leads_import(
    *,
    data: bytes,
    file_name: str,
    by,
    default_source: Source | Callable[[], Source] | None,
    mapping: ImportMapping | None = None,
    day_first: bool | None = None,
    source_values: dict[str, int | str] | None = None,
    strict: bool = False,
    dry_run: bool = False,
    import_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Report:
    """Import the leads in ``data`` (CSV or XLSX bytes) and report on every row.

    New leads whose row names no source get ``default_source`` (rejected when there is none). A
    source value is looked up in ``source_values`` (over the mapping's own table: file value →
    an existing source's id, or the interest of a new source), then by name; a name Accord does
    not know yet is created (passive interest unless the table says otherwise, listed in the
    report, where a dry run proposes the closest existing source for it). ``strict`` rejects
    every row with a warning and imports nothing when any row fails (a dry run finds out first).
    ``progress(rows)`` is called after each batch. Raises ImportFileError when the file cannot be
    read at all."""
    if strict and not dry_run:
        trial = leads_import(
            data=data,
            file_name=file_name,
            by=by,
            default_source=default_source,
            mapping=mapping,
            day_first=day_first,
            source_values=source_values,
            strict=True,
            dry_run=True,
            batch_size=batch_size,
        )
        if trial.rejected:
            trial.created = trial.updated = trial.unchanged = trial.flagged = 0
            trial.dry_run, trial.strict_failed = False, True
            return trial
    table = read_table(data, file_name)
    layout = resolve_layout(table.header, mapping)
    bound = layout.bind(table.header)
    kinds, choices = property_catalogue()
    options = Options(
        day_first=layout.day_first if day_first is None else day_first,
        date_pattern=layout.date_pattern,
        phone_regions=tuple(dict.fromkeys(r for r in (layout.phone_region, settings.ACCORD_PHONE_REGION) if r)),
        properties=kinds,
        outcome_values=layout.outcome_values,
        strict=strict,
    )
    report = Report(
        layout=layout.name,
        unused_columns=bound.unused,
        dry_run=dry_run,
        dated_at_import="created_at" not in bound.positions,
    )
    run = _ImportRun(
        by=by,
        file_name=file_name,
        default_source=default_source,
        source_values={**layout.source_values, **(source_values or {})},
        dry_run=dry_run,
        import_id=import_id,
        report=report,
        choices=choices,
    )
    batch: list[tuple[int, dict]] = []
    for number, cells in data_rows(table):
        run.report.rows += 1
        if len(cells) > bound.width and any(cells[bound.width :]):
            run.reject(number, "", f"The row has {len(cells)} cells but the header names {bound.width} columns.")
            continue
        if cells and cells[0].startswith("\x00"):
            run.reject(number, "", f"The row cannot be read as CSV: {cells[0][1:]}.")
            continue
        values = bound.values(cells)
        created_text = values.get("created_at", "")
        try:
            lead = clean_row(values, options)
        except RowErrors as failure:
            for field_name, message in failure.errors:
                run.reject(number, field_name, message, count=False)
            run.report.rejected += 1
        else:
            run.note_warnings(number, lead["warnings"])
            if created_text and len(report.date_samples) < DATE_SAMPLES:
                parsed = lead["created_at"]
                report.date_samples.append(
                    {"row": number, "text": created_text, "read_as": parsed.isoformat() if parsed else ""}
                )
            batch.append((number, lead))
        if len(batch) >= batch_size:
            run.process(batch)
            batch = []
            if progress:
                progress(run.report.rows)
    if batch:
        run.process(batch)
    if progress:
        progress(run.report.rows)
    run.report.errors.sort(key=lambda error: error["row"])
    return run.report


@dataclass(frozen=True)
class RowResult:
    """What one row given to :func:`leads_intake` did: created, updated, unchanged or rejected,
    the lead it concerns, and per field what was wrong with it."""

    status: str
    lead_id: int | None
    errors: list[dict]


def property_catalogue() -> tuple[dict[str, str], dict[str, set[str]]]:
    """Every declared property's kind of value, and the values each choice property lists
    (case-folded, to spot new ones): one query."""
    kinds: dict[str, str] = {}
    choices: dict[str, set[str]] = {}
    for key, kind, listed in LeadProperty.objects.values_list("key", "kind", "choices"):
        kinds[key] = kind
        if kind == LeadProperty.Kind.CHOICE:
            choices[key] = {str(value).casefold() for value in listed or ()}
    return kinds, choices


def intake_options(*, strict: bool, properties: dict[str, str]) -> Options:
    """How rows that are no file are read: dates in ISO 8601, phones in the installation's region
    unless the row's country says otherwise."""
    return Options(
        phone_regions=(settings.ACCORD_PHONE_REGION,) if settings.ACCORD_PHONE_REGION else (),
        properties=properties,
        strict=strict,
    )


@bulk.heap_set_aside()
def leads_intake(
    *,
    rows: list[dict[str, str]],
    by,
    origin: dict,
    default_source: Source | None,
    strict: bool = True,
    on_written: Callable[[list[RowResult]], None] | None = None,
) -> list[RowResult]:
    """Create or update a lead from each of ``rows`` (mapping targets → text, as a file's columns
    would give them: see leads.imports.layouts), with the importer's validation, identity,
    matching, normalisation, grading and events: every lead that arrives through the API or a web
    form goes through here, as every file's goes through :func:`leads_import`. ``origin`` is
    written on each lead's event (``{"via": "api", "integration": ...}``). Names of sources and
    campaigns must be existing ones. ``strict`` refuses a row with any cell that could not be kept
    as given, so nothing is stored differently from what was sent. One transaction: the results
    come back row by row. What the rows are read against (the properties, the active version) is
    read before this function opens its transaction, so a caller that has not opened one (the
    API's single POST) holds SQLite's write lock only for matching and writing. ``on_written``
    is called with the results inside that same transaction, once every row is written: what it
    writes commits with them (the API's request log, so a POST takes the write lock once)."""
    kinds, choices = property_catalogue()
    options = intake_options(strict=strict, properties=kinds)
    report = Report(layout=str(origin.get("via", "")))
    run = _ImportRun(
        by=by,
        file_name="",
        default_source=default_source,
        source_values={},
        dry_run=False,
        import_id=None,
        report=report,
        choices=choices,
        origin=origin,
        new_names=False,
    )
    batch: list[tuple[int, dict]] = []
    for number, values in enumerate(rows, start=1):
        if default_source is None and not values.get("source", "").strip():
            run.reject(number, "source", "Say which source the lead came from.")
            continue
        try:
            batch.append((number, clean_row(dict(values), options)))
        except RowErrors as failure:
            for field_name, message in failure.errors:
                run.reject(number, field_name, message, count=False)
            report.rejected += 1
    with transaction.atomic() if on_written else nullcontext():
        for start in range(0, len(batch), BATCH_SIZE):
            run.process(batch[start : start + BATCH_SIZE])
        errors: dict[int, list[dict]] = {}
        for error in report.errors:
            errors.setdefault(error["row"], []).append({"field": error["field"], "message": error["message"]})
        results = [RowResult(*run.lead_of_row(number), errors.get(number, [])) for number in range(1, len(rows) + 1)]
        if on_written:
            on_written(results)
    return results


class _ImportRun:
    """The state one import carries from batch to batch."""

    def __init__(
        self,
        *,
        by,
        file_name: str,
        default_source: Source | Callable[[], Source] | None,
        source_values: dict[str, int | str],
        dry_run: bool,
        import_id,
        report: Report,
        choices: dict[str, set[str]],
        origin: dict | None = None,
        new_names: bool = True,
    ):
        self.by = by
        # Where the rows came from when it is no file (the API, a web form): their events say so.
        self.origin = origin
        # Whether a source or campaign name Accord does not know is made (a file's are shown on
        # its preview first) or refuses the row (the API and forms name existing ones).
        self.new_names = new_names
        # Row → what it did: (status, the lead's id or the planned lead whose id it gets).
        self.row_leads: dict[int, tuple[str, object]] = {}
        self.file_name = file_name
        self.default_source = default_source
        self.dry_run = dry_run
        self.import_id = import_id
        self.report = report
        # Leads planned by earlier rows of this file, by each key a later row may match on.
        self.seen: dict[tuple[str, str], _Planned] = {}
        # File value (case-folded) → the existing source it stands for, or the interest of a new one.
        self.source_table: dict[str, Source | str] = {}
        if source_values:
            by_id = {source.pk: source for source in self.sources.values()}
            for value, choice in source_values.items():
                if isinstance(choice, int) and choice in by_id:
                    self.source_table[value.casefold()] = by_id[choice]
                elif choice in Source.Interest.values:
                    self.source_table[value.casefold()] = choice
        # company domain → (lead id or None, planned or None, name) of every lead there.
        self.peers: dict[str, list[tuple[int | None, _Planned | None, str]]] = {}
        self.definition, self.terms = active_definition_terms()
        if self.terms is not None and scoring.validate_terms(self.terms):
            self.terms = None  # a definition that cannot grade leads grades none (as on activation)
        self.as_of = evaluation_moment()
        self.now = timezone.now()
        # Choice properties: key → the values they list, case-folded, to spot new ones.
        self.choices = choices
        self.unwritten_choices: dict[str, list[str]] = {}

    # Read when a row first names one: one lead from the API that names none costs no query.
    @cached_property
    def sources(self) -> dict[str, Source]:
        return {source.name.casefold(): source for source in Source.objects.all()}

    @cached_property
    def campaigns(self) -> dict[str, Campaign]:
        return {campaign.name.casefold(): campaign for campaign in Campaign.objects.all()}

    # --- bookkeeping ---

    def note_warnings(self, row: int, warnings: list[tuple[str, str, str]]) -> None:
        if not warnings:
            return
        self.report.warned_rows += 1
        for name, message, value in warnings:
            if len(self.report.warnings) < WARNINGS_LISTED:
                shown = value if len(value) <= WARNING_VALUE_SHOWN else f"{value[:WARNING_VALUE_SHOWN]}…"
                self.report.warnings.append({"row": row, "field": name, "message": message, "value": shown})

    def reject(self, row: int, field_name: str, message: str, *, count: bool = True) -> None:
        self.report.errors.append({"row": row, "field": field_name, "message": message})
        self.row_leads[row] = ("rejected", None)
        if count:
            self.report.rejected += 1

    # --- one batch ---

    def process(self, batch: list[tuple[int, dict]]) -> None:
        """Plan the batch (what each row does) and, unless this is a dry run, write it, all in
        one transaction."""
        if self.dry_run:
            self._plan_and_write(batch)
            return
        with transaction.atomic():
            self._plan_and_write(batch)

    def _plan_and_write(self, batch: list[tuple[int, dict]]) -> None:
        existing = self._existing_matches(batch)
        merged = self._merged_leads(batch)
        creates: list[_Planned] = []
        updates: list[_Planned] = []
        for row, values in batch:
            self._note_choices(values["properties"])
            if values["accord_id"] in merged:
                # An exported lead since merged into another: its row says nothing new.
                self.report.unchanged += 1
                self.row_leads[row] = ("unchanged", values["accord_id"])
                continue
            targets = self._targets(values, existing)
            if len(targets) > 1:
                described = "; ".join(how for _, how in targets)
                self.reject(row, "email", f"The row matches two different leads: {described}.")
                continue
            # A name Accord does not know is refused whether the row creates or updates a lead
            # (an update keeps the lead's source and campaign, but the sender must hear of it).
            unknown = None if self.new_names else self._unknown_name(values)
            if unknown:
                self.reject(row, *unknown)
                continue
            if targets:
                self._plan_update(row, values, targets[0][0], updates)
            else:
                planned = _Planned(row=row, values=values, warnings=values["warnings"])
                planned.source = self._source_of(values)
                if planned.source is None and not self.dry_run:
                    self.reject(row, "source", NO_SOURCE)
                    continue
                planned.campaign = self._campaign_of(values, planned.source)
                self._remember(planned)
                creates.append(planned)
                self.row_leads[row] = ("created", planned)
        self._find_duplicates(creates)
        if not self.dry_run:
            self._write(creates, updates)
            self._forget_written(creates)

    def _existing_matches(self, batch) -> dict[tuple[str, object], dict]:
        """The existing leads the batch's rows point at, by each key they may match on."""
        wanted: dict[str, set] = {key: set() for key in MATCH_KEYS}
        for _, values in batch:
            for key, value in _match_keys(values):
                wanted[key].add(value)
        by_external_id = _leads_of_external_ids(wanted["external_id"])
        ids = wanted["accord_id"] | set(by_external_id.values())
        # Only the keys the rows carry: a lead from the API with an email is one condition, not
        # five (compiling the empty ones cost as much as running the query).
        condition = Q()
        if ids:
            condition |= Q(id__in=ids)
        for crm_id in ("salesforce_id", "hubspot_id"):
            # "and not empty" lets the database use the partial unique indexes on the CRM ids,
            # instead of reading the whole table for every batch.
            if wanted[crm_id]:
                condition |= Q(**{f"{crm_id}__in": wanted[crm_id]}) & ~Q(**{crm_id: ""})
        if wanted["email"]:
            condition |= Q(email_normalized__in=wanted["email"])
        if wanted["phone"]:
            condition |= Q(phone__in=wanted["phone"], email_normalized="")
        matches: dict[tuple[str, object], dict] = {}
        if not condition:
            return matches
        rows = (
            Lead.objects.filter(condition)
            .exclude(stage=Stage.MERGED)
            .order_by("created_at", "id")
            .values("id", "email_normalized", "salesforce_id", "hubspot_id", "company_domain", "properties", *UPDATABLE)
        )
        external_ids_of: dict[int, list[tuple[str, str]]] = {}
        for pair, lead_id in by_external_id.items():
            external_ids_of.setdefault(lead_id, []).append(pair)
        for lead in rows:
            lead["external_ids"] = external_ids_of.get(lead["id"], [])
            # Several old leads may share an email or phone; the oldest is the one a row updates.
            for key, value in _match_keys({**lead, "accord_id": lead["id"]}):
                matches.setdefault((key, value), lead)
        return matches

    def _merged_leads(self, batch) -> set[int]:
        ids = {values["accord_id"] for _, values in batch if values["accord_id"]}
        if not ids:
            return set()
        return set(Lead.objects.filter(id__in=ids, stage=Stage.MERGED).values_list("id", flat=True))

    def _targets(self, values: dict, existing: dict) -> list[tuple[object, str]]:
        """The distinct leads (existing ones, or planned by earlier rows of this file) the row's
        keys point at, each with the key that found it."""
        found: dict[tuple, tuple[object, str]] = {}
        for key, value in _match_keys(values):
            lead = self.seen.get((key, value)) or existing.get((key, value))
            if lead is None:
                continue
            if isinstance(lead, _Planned):
                # Once written (or when it is an existing lead this file updated) it is that lead.
                identity = ("lead", lead.pk) if lead.pk is not None else ("row", lead.row)
                what = f"row {lead.row} of this file"
            else:
                identity, what = ("lead", lead["id"]), f"lead #{lead['id']}"
            found.setdefault(identity, (lead, f"the {MATCH_KEYS[key]} {value} is {what}"))
        return list(found.values())

    def _forget_written(self, creates: list[_Planned]) -> None:
        """Once written, later rows find these leads in the database like any other: keep
        only their ids, not every row's values, so memory does not grow with the file."""
        for key in [key for key, planned in self.seen.items() if planned.pk is not None]:
            del self.seen[key]
        for domain in {planned.values["company_domain"] for planned in creates} - {""}:
            self.peers[domain] = [
                (pk if other is None else other.pk, None, name) for pk, other, name in self.peers[domain]
            ]

    def _remember(self, planned: _Planned) -> None:
        keys = dict(_match_keys(planned.values))
        if planned.pk is not None:
            keys["accord_id"] = planned.pk
        for key, value in keys.items():
            self.seen[(key, value)] = planned

    def _plan_update(self, row: int, values: dict, target, updates: list[_Planned]) -> None:
        current = target.values if isinstance(target, _Planned) else target
        changes = {}
        for name in UPDATABLE:
            new = values[name]
            if new in ("", None) or new == current.get(name):
                continue  # an empty cell never erases what the lead already says
            if name == "email" and new.casefold() == (current.get("email") or "").casefold():
                continue  # the same address: the stored spelling stays
            changes[name] = new
        for key in ("salesforce_id", "hubspot_id"):
            if values[key] and not current.get(key):
                changes[key] = values[key]
        properties = {**(current.get("properties") or {})}
        for key, value in values["properties"].items():
            if properties.get(key) != value:
                properties[key] = value  # an empty cell is not in values: it never erases
        if properties != (current.get("properties") or {}):
            changes["properties"] = properties
        new_ids = [pair for pair in values["external_ids"] if pair not in current.get("external_ids", [])]
        if new_ids:
            changes["external_ids"] = [*current.get("external_ids", []), *new_ids]
        if values["outcome"]:
            self.report.outcomes_not_applied.append(row)
        if not changes:
            self.report.unchanged += 1
            self.row_leads[row] = ("unchanged", target if isinstance(target, _Planned) else current["id"])
            return
        self.report.updated += 1
        self.row_leads[row] = ("updated", target if isinstance(target, _Planned) else current["id"])
        if "email" in changes:
            changes["email_normalized"] = values["email_normalized"]
            changes["company_domain"] = values["company_domain"]
        before = {name: current.get(name) for name in changes}
        current.update(changes)
        if isinstance(target, _Planned):
            # A later row of the same file refines a lead this file creates: before it is
            # written the lead is simply created with the later values.
            self._remember(target)
            if target.pk is None:
                return
        pk = target.pk if isinstance(target, _Planned) else current["id"]
        updates.append(
            _Planned(
                row=row, values=current, pk=pk, changes={**changes, "_before": before}, warnings=values["warnings"]
            )
        )
        if not isinstance(target, _Planned):
            # Later rows compare with the lead as this row left it, in a dry run too.
            self._remember(_Planned(row=row, values=current, pk=pk))
        self.report._sample("updated", {"row": row, "lead": pk, "changes": sorted(changes)})

    # --- duplicates ---

    def _find_duplicates(self, creates: list[_Planned]) -> None:
        domains = {planned.values["company_domain"] for planned in creates if planned.values["company_domain"]}
        unknown = domains - self.peers.keys()
        if unknown:
            for domain in unknown:
                self.peers[domain] = []
            rows = (
                Lead.objects.filter(company_domain__in=unknown)
                .exclude(stage=Stage.MERGED)
                .values_list("id", "first_name", "last_name", "company_domain")
            )
            for pk, first, last, domain in rows:
                self.peers[domain].append((pk, None, f"{first} {last}".strip().casefold()))
        for planned in creates:
            values = planned.values
            domain = values["company_domain"]
            name = f"{values['first_name']} {values['last_name']}".strip().casefold()
            if domain and name:  # leads without a name are told apart by their email, not likened
                peers = self.peers[domain]
                if peers:
                    best = process.extractOne(
                        name,
                        [peer[2] for peer in peers],
                        scorer=fuzz.token_sort_ratio,
                        score_cutoff=DUPLICATE_SIMILARITY,
                    )
                    if best is not None:
                        pk, other, _ = peers[best[2]]
                        planned.duplicate_of = (pk, other, round(best[1]))
                        self.report.flagged += 1
                        self.report._sample(
                            "flagged",
                            {
                                "row": planned.row,
                                "name": name,
                                "like": best[0],
                                "lead": pk,
                                "row_of_file": other.row if other else None,
                            },
                        )
                peers.append((None, planned, name))
            self.report.created += 1
            self.report._sample(
                "created",
                {
                    "row": planned.row,
                    "name": f"{values['first_name']} {values['last_name']}".strip(),
                    "email": values["email"],
                    "company": values["company"],
                },
            )

    # --- writing ---

    def _unknown_name(self, values: dict) -> tuple[str, str] | None:
        """(field, message) when the row names a source or campaign Accord does not know."""
        source, campaign = values["source"].casefold(), values["campaign"].casefold()
        if source and source not in self.sources and not isinstance(self.source_table.get(source), Source):
            return "source", f"Accord has no source called '{values['source'][:80]}'; use an existing source's name."
        if campaign and campaign not in self.campaigns:
            return "campaign", f"Accord has no campaign called '{values['campaign'][:80]}'; use an existing one's name."
        return None

    def _source_of(self, values: dict) -> Source | None:
        """The source of a new lead: the row's (through the source table, else by name, else a
        new one) or, when it names none, the default source (None when there is none)."""
        name = values["source"]
        if not name:
            self.report.rows_without_source += 1
            return self._default_source()
        choice = self.source_table.get(name.casefold())
        if isinstance(choice, Source):
            return choice
        source = self.sources.get(name.casefold())
        if source is None:
            if name not in self.report.new_sources:
                self.report.new_sources.append(name)
                if self.dry_run and choice is None:
                    self.report.source_proposals[name] = self._closest_source(name)
            if self.dry_run:
                return None  # not made by a dry run
            source, _ = Source.objects.get_or_create(
                name=name, defaults={"interest": choice or Source.Interest.PASSIVE, "channel": "import"}
            )
            self.sources[name.casefold()] = source
        return source

    def _default_source(self) -> Source | None:
        """The default source; one given as a function (the command's "Imported file") is made
        when a new lead first needs it, and never by a dry run."""
        if callable(self.default_source) and not self.dry_run:
            self.default_source = self.default_source()
        return None if callable(self.default_source) else self.default_source

    def _closest_source(self, name: str) -> dict | None:
        """The existing source most like ``name``, when one is close enough to propose."""
        names = {source.name: source for source in self.sources.values()}
        best = process.extractOne(
            name, list(names), scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=SOURCE_SIMILARITY
        )
        if best is None:
            return None
        return {"source": names[best[0]].pk, "name": best[0], "similarity": round(best[1])}

    def _campaign_of(self, values: dict, source: Source | None) -> Campaign | None:
        name = values["campaign"]
        if not name:
            return None
        campaign = self.campaigns.get(name.casefold())
        if campaign is None:
            if name not in self.report.new_campaigns:
                self.report.new_campaigns.append(name)
            if self.dry_run:
                return None
            if source is None:
                return None
            campaign, _ = Campaign.objects.get_or_create(name=name, defaults={"source": source})
            self.campaigns[name.casefold()] = campaign
        return campaign

    def _evaluated(self, lead: dict, source: Source, campaign: Campaign | None) -> None:
        """Grade a new lead against the active definition (it has no activities yet)."""
        if self.terms is None:
            return
        facts = facts_of_row(
            {
                **lead,
                "source__interest": source.interest,
                "source__name": source.name,
                "campaign__name": campaign.name if campaign else "",
            }
        )
        evaluation = scoring.figures(self.terms, facts, (), as_of=self.as_of)
        for name in RESULT_FIELDS:
            lead[name] = getattr(evaluation, name)
        lead["evaluated_with_id"] = self.definition.pk
        lead["evaluated_at"] = self.now

    def _note_choices(self, properties: dict) -> None:
        for key, value in properties.items():
            known = self.choices.get(key)
            if known is not None and str(value).casefold() not in known:
                known.add(str(value).casefold())
                self.report.new_choices.setdefault(key, []).append(value)
                self.unwritten_choices.setdefault(key, []).append(value)

    def _add_new_choices(self) -> None:
        """A choice property lists the values imports brought, so filters and rules offer them."""
        for key, values in self.unwritten_choices.items():
            prop = LeadProperty.objects.select_for_update().get(key=key)
            prop.choices = [*prop.choices, *values]
            prop.save(update_fields=["choices"])
        self.unwritten_choices = {}

    def _details(self, row: int, **extra) -> dict:
        if self.origin is not None:
            return {**self.origin, "row": row, **extra}
        return {"file": self.file_name, "row": row, "import": self.import_id, **extra}

    def lead_of_row(self, row: int) -> tuple[str, int | None]:
        """What the row did and the lead it created, updated or matched (once written)."""
        status, lead = self.row_leads.get(row, ("rejected", None))
        return status, lead.pk if isinstance(lead, _Planned) else lead

    def _write(self, creates: list[_Planned], updates: list[_Planned]) -> None:
        leads = []
        for planned, pk in zip(creates, bulk.reserve_ids(Lead, len(creates)), strict=True):
            values, source, campaign = planned.values, planned.source, planned.campaign
            created_at = values["created_at"] or self.now
            lead = {name: values[name] for name in UPDATABLE}
            lead.update(
                id=pk,
                is_customer=bool(values["is_customer"]),  # an empty cell: not a customer
                email_normalized=values["email_normalized"],
                company_domain=values["company_domain"],
                salesforce_id=values["salesforce_id"],
                hubspot_id=values["hubspot_id"],
                properties=values["properties"],
                source_id=source.pk,
                campaign_id=campaign.pk if campaign else None,
                stage=values["outcome"] or Stage.NEW,
                stage_changed_at=created_at,
                created_at=created_at,
                updated_at=self.now,
            )
            self._evaluated(lead, source, campaign)
            leads.append(lead)
            planned.pk = pk
        bulk.insert(Lead, leads)
        actor, name = (self.by.pk if self.by else None), actor_name(self.by)
        events = [
            {
                "lead_id": planned.pk,
                "kind": (LeadEvent.Kind.CREATED if self.origin else LeadEvent.Kind.IMPORTED).value,
                "actor_id": actor,
                "actor_name": name,
                "to_stage": Stage.NEW.value,
                "details": self._details(planned.row, **_kept(planned.warnings)),
                "created_at": self.now,
            }
            for planned in creates
        ]
        # A lead that arrives with its outcome gets the stage change a real journey ends with, so
        # the funnel and the backtests see it.
        events += [
            {
                "lead_id": planned.pk,
                "kind": LeadEvent.Kind.STAGE_CHANGED.value,
                "actor_id": actor,
                "actor_name": name,
                "from_stage": Stage.NEW.value,
                "to_stage": planned.values["outcome"],
                "details": self._details(planned.row, outcome_from_file=True),
                "created_at": self.now,
            }
            for planned in creates
            if planned.values["outcome"]
        ]
        external_ids = [
            {"lead_id": planned.pk, "system": system, "value": value}
            for planned in creates
            for system, value in planned.values["external_ids"]
        ]
        candidates = []
        for planned in creates:
            if planned.duplicate_of is None:
                continue
            pk, other, similarity = planned.duplicate_of
            candidates.append(
                DuplicateCandidate(
                    lead_id=planned.pk,
                    likely_duplicate_of_id=pk if pk is not None else other.pk,
                    similarity=similarity,
                    reason=f"Same company domain ({planned.values['company_domain']}), name {similarity}% similar.",
                    found_at=self.now,
                )
            )
        DuplicateCandidate.objects.bulk_create(candidates, ignore_conflicts=True)
        for planned in updates:
            changes = {name: value for name, value in planned.changes.items() if name != "_before"}
            before_ids = planned.changes["_before"].get("external_ids") or []
            external_ids += [
                {"lead_id": planned.pk, "system": system, "value": value}
                for system, value in changes.pop("external_ids", [])
                if (system, value) not in before_ids
            ]
            Lead.objects.filter(pk=planned.pk).update(**changes, updated_at=self.now)
            shown = {name: [_text(planned.changes["_before"][name]), _text(changes[name])] for name in changes}
            events.append(
                {
                    "lead_id": planned.pk,
                    "kind": (LeadEvent.Kind.UPDATED if self.origin else LeadEvent.Kind.IMPORTED).value,
                    "actor_id": actor,
                    "actor_name": name,
                    "details": self._details(planned.row, changes=shown, **_kept(planned.warnings)),
                    "created_at": self.now,
                }
            )
        bulk.insert(LeadEvent, events)
        ExternalId.objects.bulk_create([ExternalId(**row) for row in external_ids], batch_size=1000)
        self._add_new_choices()
        if self.terms is not None:
            ready = [lead["id"] for lead in leads if lead.get("sales_ready")]
            leads_record_sales_ready(lead_ids=ready, definition=self.definition, at=self.now)
        if self.terms is not None:
            leads_evaluate(ids=sorted({planned.pk for planned in updates}), as_of=self.as_of)


def _leads_of_external_ids(pairs: set) -> dict[tuple[str, str], int]:
    """(system, value) → the lead that carries it, for the pairs that are known."""
    if not pairs:
        return {}
    by_system: dict[str, set[str]] = {}
    for system, value in pairs:
        by_system.setdefault(system, set()).add(value)
    condition = Q()
    for system, values in by_system.items():
        condition |= Q(system=system, value__in=values)
    return {
        (system, value): lead_id
        for system, value, lead_id in ExternalId.objects.filter(condition).values_list("system", "value", "lead_id")
    }


def _kept(warnings: list[tuple[str, str, str]]) -> dict:
    """What a lead's import event keeps of the cells it was imported without: every raw value."""
    if not warnings:
        return {}
    return {"warnings": [{"field": name, "message": message, "value": value} for name, message, value in warnings]}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
