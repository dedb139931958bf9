"""Which column holds what: the layouts Accord recognises from a file's header (Salesforce,
HubSpot, Accord's own export) and layouts built from a saved :class:`ImportMapping`.

Headers are compared by their letters and digits only, case-folded, so Salesforce's Data Loader
names (``FirstName``, ``NumberOfEmployees``) and its field labels ("First Name", "No. of
Employees") are the same key.
"""

import re
from dataclasses import dataclass, field

from alignment.models import LeadProperty

# What a column can be imported into, with the label the mapping form shows.
FIELDS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name (split into first and last)",
    "email": "Email",
    "phone": "Phone",
    "title": "Job title",
    "company": "Company",
    "country": "Country",
    "industry": "Industry",
    "employees": "Company size (employees)",
    "is_customer": "Existing customer (yes/no)",
    "source": "Source (by name)",
    "campaign": "Campaign (by name)",
    "created_at": "Created (date and time)",
    "salesforce_id": "Salesforce Id",
    "hubspot_id": "HubSpot Record ID",
}


# Targets beyond the lead's own fields: the outcome, an external id ("external_id" is an id of
# the system the mapping is named after, "external_id:<system>" of any system), and every
# declared lead property ("property:<key>").
OUTCOME = "outcome"
EXTERNAL_ID = "external_id"
EXTERNAL_ID_PREFIX = "external_id:"
PROPERTY_PREFIX = "property:"


def mapping_targets() -> dict[str, str]:
    """Everything a mapping can send a column to, with the labels the mapping form shows."""
    return {
        **FIELDS,
        OUTCOME: "Outcome (won, lost, disqualified or open)",
        EXTERNAL_ID: "External id (in the system the file comes from)",
        **{
            f"{PROPERTY_PREFIX}{key}": f"Property: {label}"
            for key, label in LeadProperty.objects.values_list("key", "label")
        },
    }


def is_target(target: str, properties: set[str] | frozenset[str]) -> bool:
    """Whether a mapping may send a column to ``target`` (``properties``: the declared keys)."""
    if target in FIELDS or target in (OUTCOME, EXTERNAL_ID):
        return True
    if target.startswith(EXTERNAL_ID_PREFIX):
        return bool(target.removeprefix(EXTERNAL_ID_PREFIX).strip())
    return target.startswith(PROPERTY_PREFIX) and target.removeprefix(PROPERTY_PREFIX) in properties


def header_key(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.casefold())


@dataclass(frozen=True)
class Layout:
    name: str
    # header key → field; when several columns feed one field the first non-empty cell wins.
    columns: dict[str, str]
    # Columns this layout knows but Accord does not import (computed here, or CRM-internal).
    ignored: frozenset[str] = frozenset()
    # At least one of these header keys must be present for the layout to be recognised.
    signature: frozenset[str] = frozenset()
    empty_values: frozenset[str] = frozenset()
    day_first: bool = False
    mapping_id: int | None = None
    # File value (case-folded) → outcome, over the defaults (leads.imports.cleaning.OUTCOME_WORDS).
    outcome_values: dict[str, str] = field(default_factory=dict)

    def bind(self, header: list[str]) -> "BoundLayout":
        """Where each field's cells are in a file with ``header``."""
        positions: dict[str, list[int]] = {}
        unused: list[str] = []
        for index, name in enumerate(header):
            key = header_key(name)
            target = self.columns.get(key)
            if target:
                positions.setdefault(target, []).append(index)
            elif name and key not in self.ignored:
                unused.append(name)
        return BoundLayout(layout=self, width=len(header), positions=positions, unused=unused)


@dataclass
class BoundLayout:
    layout: Layout
    width: int
    positions: dict[str, list[int]]
    unused: list[str] = field(default_factory=list)

    def values(self, cells: list[str]) -> dict[str, str]:
        """field → the first non-empty cell of its columns ("" when all are empty)."""
        empty = self.layout.empty_values
        values = {}
        for target, indexes in self.positions.items():
            value = ""
            for index in indexes:
                if index < len(cells):
                    cell = cells[index]
                    if cell and cell not in empty:
                        value = cell
                        break
            values[target] = value
        return values


def _keys(*pairs: tuple[str, str]) -> dict[str, str]:
    return {header_key(header): target for header, target in pairs}


SALESFORCE = Layout(
    name="Salesforce",
    columns=_keys(
        ("Id", "salesforce_id"),
        ("Lead ID", "salesforce_id"),
        ("FirstName", "first_name"),
        ("LastName", "last_name"),
        ("Name", "full_name"),
        ("Email", "email"),
        ("Phone", "phone"),
        ("MobilePhone", "phone"),
        ("Mobile", "phone"),
        ("Title", "title"),
        ("Company", "company"),
        ("Country", "country"),
        ("Industry", "industry"),
        ("NumberOfEmployees", "employees"),
        ("No. of Employees", "employees"),
        ("LeadSource", "source"),
        ("CreatedDate", "created_at"),
    ),
    ignored=frozenset(
        header_key(name)
        for name in (
            "Status",
            "Lead Status",
            "Rating",
            "OwnerId",
            "Lead Owner",
            "IsConverted",
            "Converted",
            "LastModifiedDate",
            "Last Modified Date",
            "Street",
            "City",
            "State",
            "PostalCode",
            "Zip",
            "Website",
            "AnnualRevenue",
            "Annual Revenue",
            "Salutation",
            "Description",
        )
    ),
    signature=frozenset(
        header_key(name) for name in ("LeadSource", "NumberOfEmployees", "No. of Employees", "Lead ID", "CreatedDate")
    ),
)

HUBSPOT = Layout(
    name="HubSpot",
    columns=_keys(
        ("Record ID", "hubspot_id"),
        ("First Name", "first_name"),
        ("Last Name", "last_name"),
        ("Email", "email"),
        ("Phone Number", "phone"),
        ("Mobile Phone Number", "phone"),
        ("Job Title", "title"),
        ("Company Name", "company"),
        ("Associated Company", "company"),
        ("Country/Region", "country"),
        ("Country", "country"),
        ("Industry", "industry"),
        ("Number of Employees", "employees"),
        ("Original Source", "source"),
        ("Create Date", "created_at"),
    ),
    ignored=frozenset(
        header_key(name)
        for name in (
            "Lead Status",
            "Lifecycle Stage",
            "Contact owner",
            "Last Activity Date",
            "Associated Company IDs",
            "Associated Company ID",
            "Marketing contact status",
            "City",
            "State/Region",
        )
    ),
    signature=frozenset({header_key("Record ID")}),
)

# Accord's own export: the data columns round-trip; the rest is computed here.
ACCORD_COLUMNS: list[tuple[str, str]] = [
    ("Accord ID", "accord_id"),
    ("First name", "first_name"),
    ("Last name", "last_name"),
    ("Email", "email"),
    ("Phone", "phone"),
    ("Title", "title"),
    ("Company", "company"),
    ("Country", "country"),
    ("Industry", "industry"),
    ("Employees", "employees"),
    ("Existing customer", "is_customer"),
    ("Source", "source"),
    ("Campaign", "campaign"),
    ("Created", "created_at"),
    ("Salesforce Id", "salesforce_id"),
    ("HubSpot Record ID", "hubspot_id"),
]
ACCORD_COMPUTED = ["Stage", "Owner", "Team", "Grade", "Score", "Bucket", "Sales-ready", "Priority", "External ID"]
ACCORD = Layout(
    name="Accord export",
    columns=_keys(*ACCORD_COLUMNS),
    ignored=frozenset(header_key(name) for name in ACCORD_COMPUTED),
    signature=frozenset({header_key("Accord ID")}),
)

KNOWN_LAYOUTS = (ACCORD, HUBSPOT, SALESFORCE)


def detect(header: list[str]) -> Layout | None:
    """The known layout ``header`` is written in, or None when it needs a mapping. A layout
    qualifies when a signature column is present; among those the one that knows the most
    columns wins (an Accord export also has "First name" and "Email")."""
    keys = {header_key(name) for name in header}
    best, best_known = None, 0
    for layout in KNOWN_LAYOUTS:
        if not keys & layout.signature:
            continue
        known = len(keys & set(layout.columns))
        if known > best_known:
            best, best_known = layout, known
    return best


def from_mapping(mapping) -> Layout:
    """The layout a saved ImportMapping describes (header text → field)."""
    properties = set(LeadProperty.objects.values_list("key", flat=True))
    columns = {}
    for header, target in mapping.columns.items():
        if target == EXTERNAL_ID:
            target = f"{EXTERNAL_ID_PREFIX}{mapping.name}"
        if is_target(target, properties):
            columns[header_key(header)] = target
    return Layout(
        name=mapping.name,
        columns=columns,
        empty_values=frozenset(mapping.empty_values or ()),
        day_first=mapping.day_first,
        mapping_id=mapping.pk,
        outcome_values={
            str(value).strip().casefold(): outcome for value, outcome in (mapping.outcome_values or {}).items()
        },
    )
