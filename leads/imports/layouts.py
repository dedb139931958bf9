"""Which column holds what: the layouts Accord recognises from a file's header (Salesforce,
HubSpot, Zoho CRM, Pipedrive, SuiteCRM/SugarCRM, Marketo, Mailchimp and Accord's own export) and
layouts built from a saved :class:`ImportMapping`.

Headers are compared by their letters and digits only, case-folded, so Salesforce's Data Loader
names (``FirstName``, ``NumberOfEmployees``) and its field labels ("First Name", "No. of
Employees") are the same key. Which tool wrote a file is decided on evidence (:func:`detect`):
each layout names the columns only its tool writes, and a layout is taken only when more of
them are present than of any other's. Otherwise the person maps the columns, starting from the
best guess: a file is never read silently under the wrong layout.
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
    # header key → field; when several columns feed one field the first one listed here that
    # holds a cell wins (Salesforce's Phone before MobilePhone, whatever the file's order).
    columns: dict[str, str]
    # Columns this layout knows but Accord does not import (computed here, or CRM-internal).
    ignored: frozenset[str] = frozenset()
    # Evidence that the tool wrote the file: header keys only it uses, and exact spellings only
    # it writes (Salesforce's API names "LeadSource", HubSpot's internal "createdate").
    signature: frozenset[str] = frozenset()
    spellings: frozenset[str] = frozenset()
    empty_values: frozenset[str] = frozenset()
    day_first: bool = False
    # A strptime pattern for the tool's own date style, tried after ISO 8601.
    date_pattern: str = ""
    phone_region: str = ""
    mapping_id: int | None = None
    # File value (case-folded) → outcome, over the defaults (leads.imports.cleaning.OUTCOME_WORDS).
    outcome_values: dict[str, str] = field(default_factory=dict)
    # File source value → an existing source's id, or the interest of a new source.
    source_values: dict[str, int | str] = field(default_factory=dict)

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
        rank = {key: order for order, key in enumerate(self.columns)}
        for indexes in positions.values():
            indexes.sort(key=lambda index: rank[header_key(header[index])])
        return BoundLayout(layout=self, width=len(header), positions=positions, unused=unused)

    def evidence(self, header: list[str]) -> tuple[int, int]:
        """(signature columns present, columns known) of ``header`` under this layout."""
        keys = {header_key(name) for name in header}
        signed = {name for name in header if name.strip() in self.spellings} | {
            name for name in header if header_key(name) in self.signature
        }
        return len(signed), len(keys & (set(self.columns) | self.ignored))


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


def _key_set(*names: str) -> frozenset[str]:
    return frozenset(header_key(name) for name in names)


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
        ("Company / Account", "company"),
        ("Country", "country"),
        ("MailingCountry", "country"),
        ("CountryCode", "country"),
        ("MailingCountryCode", "country"),
        ("Industry", "industry"),
        ("NumberOfEmployees", "employees"),
        ("No. of Employees", "employees"),
        ("LeadSource", "source"),
        ("CreatedDate", "created_at"),
        ("Status", OUTCOME),
        ("Lead Status", OUTCOME),
    ),
    ignored=_key_set(
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
        "IsDeleted",
        "MasterRecordId",
        "CreatedById",
        "LastModifiedById",
        "SystemModstamp",
        "LastActivityDate",
        "HasOptedOutOfEmail",
    ),
    signature=_key_set(
        "CreatedDate",
        "Lead ID",
        "Company / Account",
        "IsConverted",
        "OwnerId",
        "LastModifiedDate",
        "MasterRecordId",
        "SystemModstamp",
        "CreatedById",
        "IsDeleted",
        "HasOptedOutOfEmail",
        "ConvertedAccountId",
        "RecordTypeId",
        "MailingCountry",
    ),
    spellings=frozenset(
        {"FirstName", "LastName", "LeadSource", "NumberOfEmployees", "MobilePhone", "PostalCode", "AnnualRevenue"}
    ),
)

HUBSPOT = Layout(
    name="HubSpot",
    columns=_keys(
        ("Record ID", "hubspot_id"),
        ("hs_object_id", "hubspot_id"),
        ("First Name", "first_name"),
        ("Last Name", "last_name"),
        ("Email", "email"),
        ("Phone Number", "phone"),
        ("Phone", "phone"),
        ("Mobile Phone Number", "phone"),
        ("mobilephone", "phone"),
        ("Job Title", "title"),
        ("Company Name", "company"),
        ("Company", "company"),
        ("Associated Company", "company"),
        ("Country/Region", "country"),
        ("Country", "country"),
        ("IP Country", "country"),
        ("Industry", "industry"),
        ("Number of Employees", "employees"),
        ("numemployees", "employees"),
        ("Original Source", "source"),
        ("hs_analytics_source", "source"),
        ("Create Date", "created_at"),
        ("Lifecycle Stage", OUTCOME),
        ("Lead Status", OUTCOME),
        ("hs_lead_status", OUTCOME),
    ),
    ignored=_key_set(
        "Contact owner",
        "Last Activity Date",
        "Associated Company IDs",
        "Associated Company ID",
        "Primary Associated Company ID",
        "Marketing contact status",
        "City",
        "State/Region",
        "Last Modified Date",
        "lastmodifieddate",
    ),
    signature=_key_set(
        "Record ID",
        "hs_object_id",
        "Create Date",
        "Lifecycle Stage",
        "Contact owner",
        "hs_lead_status",
        "Associated Company",
        "Country/Region",
        "Original Source",
        "Marketing contact status",
        "Primary Associated Company ID",
        "hs_analytics_source",
    ),
    spellings=frozenset({"firstname", "lastname", "jobtitle", "createdate", "lifecyclestage", "numemployees"}),
)

ZOHO = Layout(
    name="Zoho CRM",
    columns=_keys(
        ("Record Id", f"{EXTERNAL_ID_PREFIX}Zoho CRM"),
        ("LEADID", f"{EXTERNAL_ID_PREFIX}Zoho CRM"),
        ("First Name", "first_name"),
        ("Last Name", "last_name"),
        ("Full Name", "full_name"),
        ("Email", "email"),
        ("Phone", "phone"),
        ("Mobile", "phone"),
        ("Designation", "title"),
        ("Title", "title"),
        ("Company", "company"),
        ("Country", "country"),
        ("Industry", "industry"),
        ("No. of Employees", "employees"),
        ("Lead Source", "source"),
        ("Created Time", "created_at"),
        ("Lead Status", OUTCOME),
    ),
    ignored=_key_set(
        "Lead Owner",
        "Salutation",
        "Fax",
        "Website",
        "Annual Revenue",
        "Rating",
        "Email Opt Out",
        "Skype ID",
        "Secondary Email",
        "Twitter",
        "Created By",
        "Modified By",
        "Modified Time",
        "Last Activity Time",
        "Street",
        "City",
        "State",
        "Zip Code",
        "Description",
        "Tag",
        "Lead Owner.id",
        "Created By.id",
        "Modified By.id",
        "SMOWNERID",
        "SMCREATORID",
        "MODIFIEDBY",
        "Latitude",
        "Longitude",
        "Locked",
        "Last Enriched Time",
        "Enrich Status",
        "Unsubscribed Mode",
        "Unsubscribed Time",
        "Change Log Time",
        "Lead Conversion Time",
    ),
    signature=_key_set(
        "Created Time",
        "Modified Time",
        "LEADID",
        "Designation",
        "Skype ID",
        "Secondary Email",
        "Last Activity Time",
        "Lead Conversion Time",
        "Zip Code",
        "Unsubscribed Mode",
        "Unsubscribed Time",
        "Change Log Time",
        "Lead Owner.id",
        "SMOWNERID",
        "SMCREATORID",
        "Last Enriched Time",
    ),
    date_pattern="%d %b, %Y %H:%M:%S",
)

SUITECRM = Layout(
    name="SuiteCRM",
    columns=_keys(
        ("id", f"{EXTERNAL_ID_PREFIX}SuiteCRM"),
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("name", "full_name"),
        ("email1", "email"),
        ("email", "email"),
        ("Email Address", "email"),
        ("phone_work", "phone"),
        ("Office Phone", "phone"),
        ("phone_mobile", "phone"),
        ("Mobile Phone", "phone"),
        ("phone_other", "phone"),
        ("phone_home", "phone"),
        ("title", "title"),
        ("account_name", "company"),
        ("primary_address_country", "country"),
        ("alt_address_country", "country"),
        ("lead_source", "source"),
        ("campaign_name", "campaign"),
        ("date_entered", "created_at"),
        ("Date Created", "created_at"),
        ("status", OUTCOME),
    ),
    ignored=_key_set(
        "date_modified",
        "modified_user_id",
        "modified_by_name",
        "created_by",
        "created_by_name",
        "description",
        "deleted",
        "assigned_user_id",
        "assigned_user_name",
        "salutation",
        "department",
        "do_not_call",
        "phone_fax",
        "primary_address_street",
        "primary_address_city",
        "primary_address_state",
        "primary_address_postalcode",
        "alt_address_street",
        "alt_address_city",
        "alt_address_state",
        "alt_address_postalcode",
        "converted",
        "refered_by",
        "lead_source_description",
        "status_description",
        "account_id",
        "contact_id",
        "opportunity_id",
        "campaign_id",
        "website",
        "birthdate",
    ),
    signature=_key_set(
        "date_entered",
        "date_modified",
        "modified_user_id",
        "modified_by_name",
        "created_by_name",
        "assigned_user_id",
        "assigned_user_name",
        "phone_work",
        "phone_mobile",
        "primary_address_country",
        "primary_address_street",
        "lead_source_description",
        "status_description",
        "refered_by",
        "email1",
        "Office Phone",
        "Date Created",
        "Assigned User Name",
    ),
    spellings=frozenset({"first_name", "last_name", "lead_source", "account_name", "deleted"}),
)

PIPEDRIVE = Layout(
    name="Pipedrive",
    columns=_keys(
        ("Person - ID", f"{EXTERNAL_ID_PREFIX}Pipedrive"),
        ("Person - First name", "first_name"),
        ("Person - Last name", "last_name"),
        ("Person - Name", "full_name"),
        ("Person - Email", "email"),
        ("Person - Email - Work", "email"),
        ("Person - Email - Home", "email"),
        ("Person - Email - Other", "email"),
        ("Person - Phone", "phone"),
        ("Person - Phone - Work", "phone"),
        ("Person - Phone - Mobile", "phone"),
        ("Person - Phone - Home", "phone"),
        ("Person - Job title", "title"),
        ("Person - Organization", "company"),
        ("Organization - Name", "company"),
        ("Person - Address - Country", "country"),
        ("Person - Country", "country"),
        ("Lead - Source", "source"),
        ("Person - Person created", "created_at"),
        ("Person created", "created_at"),
        ("Lead - Lead created", "created_at"),
        ("Deal - Status", OUTCOME),
    ),
    ignored=_key_set("Person - Owner", "Person - Label", "Person - Update time", "Lead - Title", "Lead - Owner"),
    signature=_key_set(
        "Person - ID",
        "Person - Name",
        "Person - Email",
        "Person - Email - Work",
        "Person - Phone",
        "Person - Phone - Work",
        "Person - Organization",
        "Person - Person created",
        "Person - Owner",
        "Person - Label",
        "Lead - Lead created",
        "Lead - Title",
        "Organization - Name",
    ),
)

MARKETO = Layout(
    name="Marketo",
    columns=_keys(
        ("Id", f"{EXTERNAL_ID_PREFIX}Marketo"),
        ("First Name", "first_name"),
        ("Last Name", "last_name"),
        ("Email Address", "email"),
        ("Phone Number", "phone"),
        ("Mobile Phone Number", "phone"),
        ("Job Title", "title"),
        ("Company Name", "company"),
        ("Country", "country"),
        ("Industry", "industry"),
        ("Number of Employees", "employees"),
        ("Lead Source", "source"),
        ("Person Source", "source"),
        ("Created At", "created_at"),
        ("Lead Status", OUTCOME),
    ),
    ignored=_key_set(
        "Updated At", "Lead Score", "Acquisition Program", "Original Source Type", "Unsubscribed", "Email Invalid"
    ),
    signature=_key_set(
        "Created At",
        "Updated At",
        "Person Source",
        "Lead Score",
        "Acquisition Program",
        "Acquisition Program Id",
        "Original Source Type",
        "Original Source Info",
        "Registration Source Type",
        "Email Invalid",
        "Person Status",
    ),
)

MAILCHIMP = Layout(
    name="Mailchimp",
    columns=_keys(
        ("LEID", f"{EXTERNAL_ID_PREFIX}Mailchimp"),
        ("Email Address", "email"),
        ("First Name", "first_name"),
        ("Last Name", "last_name"),
        ("Phone Number", "phone"),
        ("Phone", "phone"),
        ("Company", "company"),
        ("Country", "country"),
        ("CC", "country"),
        ("OPTIN_TIME", "created_at"),
        ("CONFIRM_TIME", "created_at"),
    ),
    ignored=_key_set(
        "Address",
        "Birthday",
        "MEMBER_RATING",
        "OPTIN_IP",
        "CONFIRM_IP",
        "LATITUDE",
        "LONGITUDE",
        "GMTOFF",
        "DSTOFF",
        "TIMEZONE",
        "REGION",
        "LAST_CHANGED",
        "EUID",
        "NOTES",
        "TAGS",
    ),
    signature=_key_set(
        "MEMBER_RATING",
        "OPTIN_TIME",
        "OPTIN_IP",
        "CONFIRM_TIME",
        "CONFIRM_IP",
        "GMTOFF",
        "DSTOFF",
        "LEID",
        "EUID",
        "LAST_CHANGED",
    ),
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
    ignored=_key_set(*ACCORD_COMPUTED),
    signature=_key_set("Accord ID"),
)

KNOWN_LAYOUTS = (ACCORD, SALESFORCE, HUBSPOT, ZOHO, SUITECRM, PIPEDRIVE, MARKETO, MAILCHIMP)


@dataclass(frozen=True)
class Detection:
    """Which known layout a header is in: ``layout`` when one is clearly ahead, else None with
    ``guess`` (the best candidate, to prefill a mapping) and the ``candidates`` it was torn between."""

    layout: Layout | None
    guess: Layout | None
    candidates: tuple[str, ...] = ()


def detect(header: list[str]) -> Detection:
    """Score ``header`` against every known layout. A layout is taken when its tool's own columns
    outnumber those of every other layout; a tie (or no such column at all) is no decision. The
    guess is the candidate with the most own columns, then the most known ones."""
    scored = []
    for layout in KNOWN_LAYOUTS:
        signed, known = layout.evidence(header)
        if signed or known:
            scored.append((signed, known, layout))
    scored.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    if not scored:
        return Detection(layout=None, guess=None)
    best_signed, best_known, best = scored[0]
    rivals = [layout.name for signed, _, layout in scored[1:] if signed and signed == best_signed]
    if best_signed and not rivals:
        return Detection(layout=best, guess=best)
    return Detection(layout=None, guess=best if best_known else None, candidates=(best.name, *rivals))


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
        date_pattern=mapping.date_pattern,
        phone_region=mapping.phone_region,
        source_values=dict(mapping.source_values or {}),
        mapping_id=mapping.pk,
        outcome_values={
            str(value).strip().casefold(): outcome for value, outcome in (mapping.outcome_values or {}).items()
        },
    )
