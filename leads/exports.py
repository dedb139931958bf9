"""Leads as rows of Accord's export layout, which Accord's importer reads back (see
leads.imports.layouts.ACCORD)."""

from collections.abc import Iterator
from pathlib import Path

from django.db.models import QuerySet

from leads.imports.layouts import ACCORD_COLUMNS
from leads.models import Lead
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
]
FORMATS = ("csv", "xlsx")


def export_rows(leads: QuerySet[Lead]) -> Iterator[list]:
    """The header, then one row per lead, read in chunks (constant memory for any count)."""
    yield HEADER
    leads = leads.select_related("source", "campaign", "owner", "team").order_by("id")
    for lead in leads.iterator(chunk_size=2000):
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
            lead.grade,
            lead.score,
            lead.get_bucket_display() if lead.bucket else "",
            lead.sales_ready,
        ]


def export_to_file(leads: QuerySet[Lead], path: Path, file_format: str) -> int:
    """Write ``leads`` to ``path`` and return how many were written."""
    count = 0

    def counted():
        nonlocal count
        for index, row in enumerate(export_rows(leads)):
            count = index
            yield row

    if file_format == "xlsx":
        path.write_bytes(xlsx_bytes(counted(), title="Leads"))
    else:
        with path.open("w", encoding="utf-8", newline="") as output:
            output.writelines(csv_lines(counted()))
    return count
