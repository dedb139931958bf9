"""One row's cells → the values of a lead, with a warning for every cell it could not keep, or
the reasons the row cannot become a lead at all.

A row becomes a lead when it has a valid email, a valid phone or an id from the system it came
from. Any other cell that cannot be read as its field (a placeholder phone beside a good email,
a head count that is no number, a date in an unknown form) leaves that field empty, or cut to
what fits, and is reported as a **warning** with the raw value, which the lead's history keeps.
Only a row that cannot be told apart is rejected, or every row with a warning when the import is
``strict``.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from leads.imports.countries import region_of
from leads.imports.layouts import EXTERNAL_ID_PREFIX, PROPERTY_PREFIX
from leads.matching import company_domain_of, normalize_email
from leads.models import Campaign, ExternalId, Lead, Source
from tabular import NO_WORDS, YES_WORDS, unguard_formula

ISO_EXAMPLE = "2024-03-15T14:30:00Z"
US_FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y",
)
# Month names make the order plain, so these are read whichever way the file writes numbers:
# Zoho's "15 Apr, 2021 00:03:00", Marketo's "Mar 4, 2021 2:30 PM", "4-Mar-2021".
MONTH_NAME_FORMATS = tuple(
    f"{day} {time}".strip()
    for day in ("%d %b, %Y", "%d %b %Y", "%d %B %Y", "%d %B, %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y")
    for time in ("%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p", "")
)
DAY_FIRST_FORMATS = tuple(
    pattern.replace("/", separator)
    for separator in ("/", ".", "-")
    for pattern in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%y", "%d/%m/%Y %I:%M %p")
)
# Text fields and the model's limits, read once.
TEXT_LIMITS = {
    name: Lead._meta.get_field(name).max_length
    for name in ("first_name", "last_name", "email", "title", "company", "country", "industry")
}
ID_LIMITS = {name: Lead._meta.get_field(name).max_length for name in ("salesforce_id", "hubspot_id")}
EXTERNAL_ID_LIMIT = ExternalId._meta.get_field("value").max_length
PROPERTY_TEXT_LIMIT = 1000
NAME_LIMITS = {
    "source": Source._meta.get_field("name").max_length,
    "campaign": Campaign._meta.get_field("name").max_length,
}


# What an outcome cell may say, case-folded, and the outcome it gives: Accord's stage names,
# 1/0 and true/false (X Education's Converted, Salesforce's IsConverted), Salesforce lead and
# opportunity statuses, HubSpot lifecycle stages and lead statuses, Zoho, SuiteCRM and Pipedrive
# statuses. "open" is no outcome yet: the
# lead stays open. A mapping's own table (ImportMapping.outcome_values) comes first.
OUTCOMES = ("won", "lost", "disqualified", "open")
OUTCOME_WORDS: dict[str, str] = {
    **dict.fromkeys(["won", "1", "true", "yes", "converted", "closed - converted", "closed won", "customer"], "won"),
    **dict.fromkeys(
        ["lost", "0", "false", "no", "closed - not converted", "closed lost", "not converted", "lost lead", "dead"],
        "lost",
    ),
    **dict.fromkeys(["disqualified", "unqualified", "junk", "junk lead", "bad fit", "not qualified"], "disqualified"),
    **dict.fromkeys(
        [
            "open",
            "new",
            "nurturing",
            "mql",
            "handed_off",
            "accepted",
            "qualified",
            "opportunity",
            "open - not contacted",
            "working - contacted",
            "working",
            "contacted",
            "attempted to contact",
            "connected",
            "in progress",
            "open deal",
            "subscriber",
            "lead",
            "marketingqualifiedlead",
            "salesqualifiedlead",
            "evangelist",
            "other",
            "bad timing",
            "not contacted",
            "contact in future",
            "pre-qualified",
            "pre qualified",
            "assigned",
            "in process",
            "recycled",
        ],
        "open",
    ),
}


@dataclass(frozen=True)
class Options:
    day_first: bool = False
    # An explicit strptime pattern a mapping states (``%d %b, %Y %H:%M:%S``), tried first.
    date_pattern: str = ""
    # Phones without a country code are read in the row's own country, else in these regions in
    # turn (the mapping's, then the installation's) until one reads them as a valid number.
    phone_regions: tuple[str, ...] = ("US",)
    time_zone: tzinfo | None = None
    # Declared lead properties: key → kind of value (alignment.LeadProperty.Kind).
    properties: Mapping[str, str] = field(default_factory=dict)
    outcome_values: Mapping[str, str] = field(default_factory=dict)
    # Reject every row with a warning, instead of importing it without the cells it warns about.
    strict: bool = False


class RowErrors(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors)
        self.errors = errors


def parse_datetime(text: str, *, day_first: bool, time_zone: tzinfo | None = None, pattern: str = "") -> datetime:
    """ISO 8601 (with ``Z`` or an offset, as Salesforce and HubSpot write it), else ``pattern``
    when one is given, else forms with a month name (``15 Apr, 2021 00:03:00``), else US
    month-first forms such as ``3/15/2024 2:30 PM`` or, when ``day_first``, forms such as
    ``15/03/2024`` and ``22.11.2026``. Times without an offset are in ``time_zone``."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        patterns = (pattern,) if pattern else ()
        patterns += MONTH_NAME_FORMATS + (DAY_FIRST_FORMATS if day_first else US_FORMATS)
        for pattern in patterns:
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if parsed is None:
            if not day_first and _reads_day_first(text):
                raise ValueError(
                    f"'{text}' is not a month-first date; if the file writes the day first, say so."
                ) from None
            order = "day/month/year" if day_first else "month/day/year"
            raise ValueError(f"'{text}' is not a date (expected {ISO_EXAMPLE} or {order}).") from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, time_zone or timezone.get_default_timezone())
    return parsed


def _reads_day_first(text: str) -> bool:
    for pattern in DAY_FIRST_FORMATS:
        try:
            datetime.strptime(text, pattern)
            return True
        except ValueError:
            continue
    return False


# What a written phone number holds: digits, a leading +, spacing and grouping marks, and an
# extension. Anything else (a question mark, a letter, an email typed in the wrong column) means
# the cell is not a number someone can dial, even when the digits in it happen to make one.
PHONE_TEXT = re.compile(r"\+?[\d\s().\-/]+(?:\s*(?:ext\.?|x|#)\s*\d+)?", re.IGNORECASE)


def normalize_phone(text: str, region: str) -> str:
    """``text`` in E.164 form (+14155550132); numbers without a country code are read as
    ``region``'s. Raises ValueError when it is not a valid number."""
    if not PHONE_TEXT.fullmatch(text):
        raise ValueError(f"'{text}' is not a phone number.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{text}' is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def property_value(text: str, kind: str, options: Options):
    """A property cell as it is stored: a number, true/false, an ISO date, or the text as written.
    Raises ValueError when the cell is not of the property's kind."""
    text = text.strip()
    if kind == "number":
        try:
            number = float(text.replace("\u00a0", "").replace(" ", ""))
        except ValueError:
            raise ValueError(f"'{text}' is not a number.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"'{text}' is not a number.")
        return int(number) if number.is_integer() and "." not in text and "e" not in text.casefold() else number
    if kind == "yes_no":
        folded = text.casefold()
        if folded in YES_WORDS:
            return True
        if folded in NO_WORDS:
            return False
        raise ValueError(f"'{text}' is neither yes nor no.")
    if kind == "date":
        return (
            parse_datetime(text, day_first=options.day_first, time_zone=options.time_zone, pattern=options.date_pattern)
            .date()
            .isoformat()
        )
    if len(text) > PROPERTY_TEXT_LIMIT:
        raise ValueError(f"Longer than {PROPERTY_TEXT_LIMIT} characters ({len(text)}).")
    return text


def split_full_name(name: str) -> tuple[str, str]:
    """(first, last) from "Ada Lovelace" or "Lovelace, Ada"; one word is a last name."""
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.rpartition(" ")
    return first.strip(), last.strip()


IDENTITY_MISSING = "A lead needs an email, a phone or an id from the system it came from; this row has none."
# The fields that tell a lead apart: when none of them holds a valid value the row is rejected.
IDENTITY_FIELDS = ("email", "phone", "salesforce_id", "hubspot_id")


class _Row:
    """One row being cleaned: what it yields, and what it warns about (field, message, raw)."""

    def __init__(self, values: dict[str, str], options: Options):
        self.values = values
        self.options = options
        self.warnings: list[tuple[str, str, str]] = []
        # Why a cell that could have told the lead apart was not kept: the rejection names it.
        self.identity_problems: list[tuple[str, str]] = []

    def warn(self, name: str, message: str) -> None:
        self.warnings.append((name, message, self.values.get(name, "")))

    def drop_identity(self, name: str, reason: str, consequence: str) -> None:
        self.identity_problems.append((name, reason))
        self.warn(name, f"{reason} {consequence}")

    def text(self, name: str, limit: int) -> str:
        """A text field as written, cut to what the database holds (with a warning)."""
        value = self.values.get(name, "")
        if len(value) > limit:
            self.warn(name, f"Longer than {limit} characters ({len(value)}); only the first {limit} are kept.")
            return value[:limit]
        return value


def clean_row(values: dict[str, str], options: Options) -> dict:
    """The lead values of one row (text fields stripped, the email normalized, the phone in
    E.164, numbers and dates parsed) with its ``warnings``: (field, message, raw value) of every
    cell it could not keep as written. Raises RowErrors when the row cannot become a lead."""
    row = _Row(values, options)
    for name, raw in list(values.items()):
        values[name] = unguard_formula(raw)  # Accord's CSV export guards cells a spreadsheet would run
        if "\x00" in raw:  # no database stores it in text, and no person typed it; the warning keeps it escaped
            values[name] = raw.replace("\x00", "\\x00")
            reason = "The cell holds a NUL character (\\x00), which cannot be stored."
            if name in IDENTITY_FIELDS or name.startswith(EXTERNAL_ID_PREFIX):
                row.drop_identity(name, reason, "It is left empty.")
            else:
                row.warn(name, f"{reason} It is left empty.")
            values[name] = ""
    lead: dict = {}

    first, last = values.get("first_name", ""), values.get("last_name", "")
    if not last and values.get("full_name"):
        split_first, last = split_full_name(values["full_name"])
        first = first or split_first
    values["first_name"], values["last_name"] = first, last
    lead["first_name"] = row.text("first_name", TEXT_LIMITS["first_name"])
    lead["last_name"] = row.text("last_name", TEXT_LIMITS["last_name"])

    email = values.get("email", "")
    if email:
        try:
            if len(email) > TEXT_LIMITS["email"]:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            row.drop_identity("email", f"'{email[:80]}' is not a valid email address.", "The lead has no email.")
            email = ""
    lead["email"] = email
    lead["email_normalized"] = normalize_email(email)
    lead["company_domain"] = company_domain_of(email)

    for name in ("title", "company", "country", "industry"):
        lead[name] = row.text(name, TEXT_LIMITS[name])

    lead["phone"] = _phone(row, lead["country"])

    external_ids = []
    for target, value in values.items():
        if target.startswith(EXTERNAL_ID_PREFIX) and value.strip():
            system, value = target.removeprefix(EXTERNAL_ID_PREFIX), value.strip()
            if len(value) > EXTERNAL_ID_LIMIT:
                reason = f"'{value[:40]}…' is longer than {EXTERNAL_ID_LIMIT} characters."
                row.drop_identity(target, reason, "It is not kept.")
                continue
            external_ids.append((system, value))
    lead["external_ids"] = external_ids
    for name, limit in ID_LIMITS.items():
        lead[name] = values.get(name, "")
        if len(lead[name]) > limit:
            reason = f"'{lead[name][:40]}' is longer than {limit} characters, so it is no id of that system."
            row.drop_identity(name, reason, "It is not kept.")
            lead[name] = ""

    if not any(lead[name] for name in IDENTITY_FIELDS) and not external_ids:
        # What was wrong with the cells that could have told the lead apart says why.
        reasons = " ".join(reason for _, reason in row.identity_problems)
        field_name = row.identity_problems[0][0] if row.identity_problems else "email"
        raise RowErrors([(field_name, f"{reasons} {IDENTITY_MISSING}".strip())])

    lead["properties"] = {}
    for target, raw in values.items():
        if target.startswith(PROPERTY_PREFIX) and raw.strip():
            key = target.removeprefix(PROPERTY_PREFIX)
            try:
                lead["properties"][key] = property_value(raw, options.properties.get(key, "text"), options)
            except ValueError as error:
                row.warn(target, f"{error} The property is left empty.")

    outcome = values.get("outcome", "").strip()
    lead["outcome"] = None
    if outcome:
        known = options.outcome_values.get(outcome.casefold()) or OUTCOME_WORDS.get(outcome.casefold())
        if known is None:
            row.warn(
                "outcome",
                f"'{outcome}' is not an outcome Accord knows, so the lead stays open; say in the mapping whether it"
                " is won, lost, disqualified or open.",
            )
        elif known != "open":
            lead["outcome"] = known

    employees = values.get("employees", "")
    lead["employees"] = None
    if employees:
        try:
            number = float(employees.replace(",", "").replace("\u00a0", "").replace(" ", ""))
            if number < 0 or not number.is_integer() or number > 2**31 - 1:
                raise ValueError
            lead["employees"] = int(number)
        except ValueError:
            row.warn("employees", f"'{employees}' is not a whole number of employees; the company size is left empty.")

    customer = values.get("is_customer", "").casefold()
    lead["is_customer"] = None
    if customer:
        if customer in YES_WORDS:
            lead["is_customer"] = True
        elif customer in NO_WORDS:
            lead["is_customer"] = False
        else:
            row.warn("is_customer", f"'{values['is_customer']}' is neither yes nor no; it is left unknown.")

    created = values.get("created_at", "")
    lead["created_at"] = None
    if created:
        try:
            moment = parse_datetime(
                created, day_first=options.day_first, time_zone=options.time_zone, pattern=options.date_pattern
            )
        except ValueError as error:
            row.warn("created_at", f"{error} The lead is dated at the import.")
        else:
            if moment > timezone.now():
                row.warn("created_at", f"'{created}' is in the future; the lead is dated at the import.")
            else:
                lead["created_at"] = moment

    accord_id = values.get("accord_id", "")
    lead["accord_id"] = None
    if accord_id:
        if accord_id.isdigit() and len(accord_id) < 19:
            lead["accord_id"] = int(accord_id)
        else:
            row.warn(
                "accord_id", f"'{accord_id[:40]}' is not an Accord ID (a whole number); the row is matched without it."
            )
    for name, limit in NAME_LIMITS.items():
        lead[name] = row.text(name, limit)

    if options.strict and row.warnings:
        raise RowErrors([(name, message) for name, message, _ in row.warnings])
    lead["warnings"] = row.warnings
    return lead


def _phone(row: _Row, country: str) -> str:
    """The row's phone in E.164, read in the row's own country when it names one Accord knows,
    then in the import's regions; "" (with a warning) when it still is not a valid number."""
    text = row.values.get("phone", "")
    if not text:
        return ""
    region = region_of(country) if country else None
    regions = tuple(dict.fromkeys((region, *row.options.phone_regions) if region else row.options.phone_regions))
    error = None
    for tried in regions:
        try:
            phone = normalize_phone(text, tried)
        except ValueError as failure:
            error = failure
            continue
        if country and region is None and not text.lstrip().startswith("+"):
            row.warn("country", f"'{country}' is not a country Accord knows; the phone {text} was read as {tried}'s.")
        return phone
    row.drop_identity("phone", str(error), "The lead has no phone.")
    return ""
