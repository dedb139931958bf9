"""Leads as rows of Accord's export layout, which Accord's importer reads back (see
leads.imports.layouts.ACCORD), with each lead's grade, score, bucket, priority and sales-ready
flag under the active definition, or under any other version (a draft, say, to see what it would
do to real leads before it is proposed)."""

from collections.abc import Iterator
from pathlib import Path

from django.db.models import Prefetch, QuerySet

from alignment import scoring
from alignment.models import LeadProperty, QualificationDefinition
from alignment.selectors import definition_terms
from leads.evaluation import activities_of_rows, counted_kinds, evaluation_moment, facts_of
from leads.imports.layouts import ACCORD_COLUMNS
from leads.models import ExternalId, Lead
from leads.spreadsheets import csv_lines, xlsx_bytes

HEADER = [
    *(header for header, _ in ACCORD_COLUMNS),
    "Stage",
    "Owner",
    "Team",
    "Grade",
    "Score",
    "Bucket",
    "Sales-ready",
    "Priority",
    "External ID",
]
FORMATS = ("csv", "xlsx")
BATCH_SIZE = 2000


def export_rows(leads: QuerySet[Lead], definition: QualificationDefinition | None = None) -> Iterator[list]:
    """The header, then one row per lead, read in id-ordered batches (constant memory for any
    count). Without ``definition`` the figures are those the lead carries (the active version's);
    with one, each batch is graded against it as the export goes. Every declared property has a
    column of its own after the fixed ones, headed by its label."""
    properties = list(LeadProperty.objects.values_list("key", "label"))
    yield [*HEADER, *(label for _, label in properties)]
    terms = definition_terms(definition) if definition is not None else None
    if terms is not None:
        problems = scoring.validate_terms(terms)
        if problems:
            raise ValueError(f"Version {definition.version} cannot grade leads: {' '.join(problems)}")
    as_of = evaluation_moment()
    leads = leads.select_related("source", "campaign", "owner", "team").prefetch_related(
        Prefetch("external_ids", queryset=ExternalId.objects.order_by("system", "value"))
    )
    last_id = 0
    while True:
        batch = list(leads.filter(id__gt=last_id).order_by("id")[:BATCH_SIZE])
        if not batch:
            return
        last_id = batch[-1].pk
        graded = {}
        if terms is not None:
            activities = activities_of_rows([lead.pk for lead in batch], kinds=counted_kinds(terms), as_of=as_of)
            graded = {
                lead.pk: scoring.figures(terms, facts_of(lead), activities.get(lead.pk, ()), as_of=as_of)
                for lead in batch
            }
        for lead in batch:
            figures = graded.get(lead.pk, lead)
            yield [
                lead.pk,
                lead.first_name,
                lead.last_name,
                lead.email,
                lead.phone,
                lead.title,
                lead.company,
                lead.country,
                lead.industry,
                lead.employees,
                lead.is_customer,
                lead.source.name,
                lead.campaign.name if lead.campaign else "",
                lead.created_at,
                lead.salesforce_id,
                lead.hubspot_id,
                lead.get_stage_display(),
                (lead.owner.get_full_name() or lead.owner.username) if lead.owner else "",
                lead.team.name if lead.team else "",
                figures.grade,
                figures.score,
                figures.bucket.capitalize() if figures.bucket else "",
                figures.sales_ready,
                figures.priority,
                external_ids_text(lead),
                *(_property_cell(lead.properties.get(key)) for key, _ in properties),
            ]


def external_ids_text(lead: Lead) -> str:
    """Every id the lead carries elsewhere, as ``system:id``, separated by ``; ``."""
    ids = [f"salesforce:{lead.salesforce_id}"] if lead.salesforce_id else []
    ids += [f"hubspot:{lead.hubspot_id}"] if lead.hubspot_id else []
    ids += [f"{external.system}:{external.value}" for external in lead.external_ids.all()]
    return "; ".join(ids)


def _property_cell(value):
    return "" if value is None else value


def export_to_file(
    leads: QuerySet[Lead], path: Path, file_format: str, definition: QualificationDefinition | None = None
) -> int:
    """Write ``leads`` to ``path`` and return how many were written."""
    count = 0

    def counted():
        nonlocal count
        for index, row in enumerate(export_rows(leads, definition)):
            count = index
            yield row

    if file_format == "xlsx":
        path.write_bytes(xlsx_bytes(counted(), title="Leads"))
    else:
        with path.open("w", encoding="utf-8", newline="") as output:
            output.writelines(csv_lines(counted()))
    return count
