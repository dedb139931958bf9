"""One row's cells → the values of a lead, or the reasons the row cannot become one.

Nothing is silently dropped or changed: a cell that cannot be read as its field (a malformed
email, a phone number that is not one, a date in an unknown form) rejects the row with the
field and the reason, rather than importing the lead without it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from leads.imports.layouts import EXTERNAL_ID_PREFIX, PROPERTY_PREFIX
from leads.matching import company_domain_of, normalize_email
from leads.models import Campaign, ExternalId, Lead, Source

# A leading character that makes a spreadsheet run a cell as a formula. Accord's export puts
# an apostrophe before such cells; reading its own export back takes the apostrophe off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})

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
# opportunity statuses, HubSpot lifecycle stages and lead statuses. "open" is no outcome yet: the
# lead stays open. A mapping's own table (ImportMapping.outcome_values) comes first.
OUTCOMES = ("won", "lost", "disqualified", "open")
OUTCOME_WORDS: dict[str, str] = {
    **dict.fromkeys(["won", "1", "true", "yes", "converted", "closed - converted", "closed won", "customer"], "won"),
    **dict.fromkeys(["lost", "0", "false", "no", "closed - not converted", "closed lost", "not converted"], "lost"),
    **dict.fromkeys(["disqualified", "unqualified", "junk", "junk lead", "bad fit"], "disqualified"),
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
        ],
        "open",
    ),
}


@dataclass(frozen=True)
class Options:
    day_first: bool = False
    phone_region: str = "US"
    time_zone: tzinfo | None = None
    # Declared lead properties: key → kind of value (alignment.LeadProperty.Kind).
    properties: Mapping[str, str] = field(default_factory=dict)
    outcome_values: Mapping[str, str] = field(default_factory=dict)


class RowErrors(Exception):
    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors)
        self.errors = errors


def unescape(cell: str) -> str:
    if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS and cell[1:2]:
        return cell[1:]
    return cell


def parse_datetime(text: str, *, day_first: bool, time_zone: tzinfo | None = None) -> datetime:
    """ISO 8601 (with ``Z`` or an offset, as Salesforce and HubSpot write it), else US
    month-first forms such as ``3/15/2024 2:30 PM`` or, when ``day_first``, forms such as
    ``15/03/2024`` and ``22.11.2026``. Times without an offset are in ``time_zone``."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        for pattern in DAY_FIRST_FORMATS if day_first else US_FORMATS:
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


def normalize_phone(text: str, region: str) -> str:
    """``text`` in E.164 form (+14155550132); numbers without a country code are read as
    ``region``'s. Raises ValueError when it is not a valid number."""
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
        if folded in TRUE_WORDS:
            return True
        if folded in FALSE_WORDS:
            return False
        raise ValueError(f"'{text}' is neither yes nor no.")
    if kind == "date":
        return parse_datetime(text, day_first=options.day_first, time_zone=options.time_zone).date().isoformat()
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


def clean_row(values: dict[str, str], options: Options) -> dict:
    """The lead values of one row (text fields stripped, the email normalized, the phone in
    E.164, numbers and dates parsed), or RowErrors listing every field that failed."""
    errors: list[tuple[str, str]] = []
    lead: dict = {}
    for name, raw in values.items():
        values[name] = unescape(raw)
        if "\x00" in raw:  # no database stores it in text, and no person typed it
            errors.append((name, "The cell holds a NUL character (\\x00), which cannot be stored."))
    if errors:
        raise RowErrors(errors)

    first, last = values.get("first_name", ""), values.get("last_name", "")
    if not last and values.get("full_name"):
        split_first, last = split_full_name(values["full_name"])
        first = first or split_first
    lead["first_name"], lead["last_name"] = first, last

    email = values.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(("email", f"'{email}' is not a valid email address."))
    lead["email"] = email
    lead["email_normalized"] = normalize_email(email)
    lead["company_domain"] = company_domain_of(email)

    phone = values.get("phone", "")
    if phone:
        try:
            phone = normalize_phone(phone, options.phone_region)
        except ValueError as error:
            errors.append(("phone", str(error)))
    lead["phone"] = phone

    external_ids = []
    for target, value in values.items():
        if target.startswith(EXTERNAL_ID_PREFIX) and value.strip():
            system, value = target.removeprefix(EXTERNAL_ID_PREFIX), value.strip()
            if len(value) > EXTERNAL_ID_LIMIT:
                errors.append((target, f"'{value[:40]}…' is longer than {EXTERNAL_ID_LIMIT} characters."))
            external_ids.append((system, value))
    lead["external_ids"] = external_ids
    if (
        not email
        and not phone
        and not external_ids
        and not values.get("salesforce_id")
        and not values.get("hubspot_id")
    ):
        errors.append(
            ("email", "A lead needs an email, a phone or an id from the system it came from; this row has none.")
        )

    lead["properties"] = {}
    for target, raw in values.items():
        if target.startswith(PROPERTY_PREFIX) and raw.strip():
            key = target.removeprefix(PROPERTY_PREFIX)
            try:
                lead["properties"][key] = property_value(raw, options.properties.get(key, "text"), options)
            except ValueError as error:
                errors.append((target, str(error)))

    outcome = values.get("outcome", "").strip()
    lead["outcome"] = None
    if outcome:
        known = options.outcome_values.get(outcome.casefold()) or OUTCOME_WORDS.get(outcome.casefold())
        if known is None:
            errors.append(
                (
                    "outcome",
                    f"'{outcome}' is not an outcome Accord knows; say in the mapping whether it is won, lost,"
                    " disqualified or open.",
                )
            )
        elif known != "open":
            lead["outcome"] = known

    for name in ("title", "company", "country", "industry"):
        lead[name] = values.get(name, "")
    for name, limit in TEXT_LIMITS.items():
        if len(lead[name]) > limit:
            errors.append((name, f"Longer than {limit} characters ({len(lead[name])})."))

    employees = values.get("employees", "")
    lead["employees"] = None
    if employees:
        try:
            number = float(employees.replace(",", "").replace("\u00a0", "").replace(" ", ""))
            if number < 0 or not number.is_integer():
                raise ValueError
            lead["employees"] = int(number)
        except ValueError:
            errors.append(("employees", f"'{employees}' is not a whole number of employees."))

    customer = values.get("is_customer", "").casefold()
    lead["is_customer"] = None
    if customer:
        if customer in TRUE_WORDS:
            lead["is_customer"] = True
        elif customer in FALSE_WORDS:
            lead["is_customer"] = False
        else:
            errors.append(("is_customer", f"'{values['is_customer']}' is neither yes nor no."))

    created = values.get("created_at", "")
    lead["created_at"] = None
    if created:
        try:
            lead["created_at"] = parse_datetime(created, day_first=options.day_first, time_zone=options.time_zone)
            if lead["created_at"] > timezone.now():
                errors.append(("created_at", f"'{created}' is in the future."))
        except ValueError as error:
            errors.append(("created_at", str(error)))

    for name, limit in ID_LIMITS.items():
        lead[name] = values.get(name, "")
        if len(lead[name]) > limit:
            errors.append((name, f"'{lead[name]}' is longer than {limit} characters."))
    accord_id = values.get("accord_id", "")
    lead["accord_id"] = None
    if accord_id:
        if accord_id.isdigit():
            lead["accord_id"] = int(accord_id)
        else:
            errors.append(("accord_id", f"'{accord_id}' is not an Accord ID (a whole number)."))
    for name, limit in NAME_LIMITS.items():
        lead[name] = values.get(name, "")
        if len(lead[name]) > limit:
            errors.append((name, f"A {name} name is at most {limit} characters ({len(lead[name])})."))
    if errors:
        raise RowErrors(errors)
    return lead
