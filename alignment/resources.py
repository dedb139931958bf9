"""Import and export of reference data from the admin (django-import-export): here the teams
with their business calendars, their memberships and the rejection reasons; leads.resources
adds sources and campaigns on the same base.

A file is read the way spreadsheets write it (UTF-8 with or without a byte-order mark, else
Windows-1252; comma, semicolon or tab), rows are matched on their natural key (a name, a code,
a username and a team) whatever its case, and every row is written by the app's service, so an
import obeys the rules the admin's forms obey. The admin's first step is a dry run whose writes
are rolled back; a row the service refuses is shown as that row's error."""

import re
from datetime import datetime, time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources, widgets
from import_export.formats import base_formats

import tabular
from alignment import services
from alignment.models import WEEKDAY_DIGITS, Membership, RejectionReason, Team


class SpreadsheetCSV(base_formats.CSV):
    """CSV as Excel, LibreOffice and Google Sheets save it. Read as bytes so the encoding can
    be chosen from the content: UTF-8 (a byte-order mark is dropped), else Windows-1252."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream, _ = tabular.decode(in_stream)  # undefined bytes raise: the form says so
        first_line = in_stream.split("\n", 1)[0].rstrip("\r")
        return super().create_dataset(in_stream, delimiter=tabular.sniff_delimiter(first_line), **kwargs)


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A related row named by a unique text field: the exact spelling first, else the one row
    that matches ignoring case. An unknown name is the row's error, naming what was not found."""

    def __init__(self, model, field: str, what: str, **kwargs):
        self.what = what
        super().__init__(model, field, **kwargs)

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not value:
            return None
        queryset = self.get_queryset(value, row, **kwargs)
        found = queryset.filter(**{self.field: value}).first()
        if found is None:
            matches = list(queryset.filter(**{f"{self.field}__iexact": value})[:2])
            if len(matches) > 1:
                raise ValueError(f"More than one {self.what} is called {value!r} in some spelling; write it exactly.")
            found = matches[0] if matches else None
        if found is None:
            raise ValueError(f"There is no {self.what} {value!r}.")
        return found


class ChoiceWidget(widgets.CharWidget):
    """A choice written as its value or its label, in any case; exported as its value."""

    def __init__(self, choices, **kwargs):
        self.choices = list(choices)
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            return ""
        for choice, label in self.choices:
            if text.casefold() in (str(choice).casefold(), str(label).casefold()):
                return choice
        allowed = ", ".join(str(choice) for choice, _ in self.choices)
        raise ValueError(f"{text!r} is not one of: {allowed}.")


class YesNoWidget(widgets.Widget):
    """yes/no, true/false, 1/0 in any case; a blank cell keeps the default."""

    def __init__(self, default: bool, **kwargs):
        self.default = default
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().casefold()
        if not text:
            return self.default
        if text in tabular.YES_WORDS:
            return True
        if text in tabular.NO_WORDS:
            return False
        raise ValueError(f"{value!r} is neither yes nor no.")

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return "yes" if value else "no"


class MoneyWidget(widgets.DecimalWidget):
    """An amount as ad platforms and spreadsheets write it: a currency sign, spaces and a
    thousands separator are dropped; the last of "," and "." is the decimal point when both
    appear, and a lone "," followed by one or two digits is a decimal comma."""

    def clean(self, value, row=None, **kwargs):
        if value is None or isinstance(value, int | float):
            return super().clean(value, row, **kwargs)
        text = re.sub(r"[\s$€£¥]|^[A-Z]{3}|[A-Z]{3}$", "", str(value))
        if "," in text and "." in text:
            decimal_point = "," if text.rfind(",") > text.rfind(".") else "."
            thousands = "." if decimal_point == "," else ","
            text = text.replace(thousands, "").replace(decimal_point, ".")
        elif re.fullmatch(r"-?\d+,\d{1,2}", text):
            text = text.replace(",", ".")
        else:
            text = text.replace(",", "")
        if not text:
            return None
        try:
            return super().clean(text, row, **kwargs)
        except ArithmeticError:  # decimal.InvalidOperation
            raise ValueError(f"{value!r} is not an amount.") from None


class WholeNumberWidget(widgets.IntegerWidget):
    """A whole number; "1.5" or "abc" is the row's error rather than a silent 1."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise ValueError(f"{value!r} is not a whole number.")
        return int(text)


class WhenWidget(widgets.DateTimeWidget):
    """A moment in ISO 8601 (with Z or an offset) or in the formats Django reads; without a
    time zone it is the server's time."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str) and value.strip():
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                pass
            else:
                return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
        return super().clean(value.strip() if isinstance(value, str) else value, row, **kwargs)


class DayWidget(widgets.DateWidget):
    """A date in ISO 8601, as 22.11.2026, or in the formats Django reads; exported as ISO."""

    def __init__(self, **kwargs):
        super().__init__(format=None, **kwargs)
        self.formats = ("%Y-%m-%d", "%d.%m.%Y", *(f for f in settings.DATE_INPUT_FORMATS if f != "%Y-%m-%d"))

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        return super().clean(value.strip() if isinstance(value, str) else value, row, **kwargs)


class TimeOfDayWidget(widgets.TimeWidget):
    """09:00 or 9:00:00; exported as HH:MM."""

    def __init__(self, **kwargs):
        super().__init__(format=None, **kwargs)
        self.formats = ("%H:%M", "%H:%M:%S")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.time()
        return super().clean(value.strip() if isinstance(value, str) else value, row, **kwargs)

    def render(self, value, obj=None, **kwargs):
        if isinstance(value, time) and not kwargs.get("force_native_type"):
            return value.strftime("%H:%M")
        return super().render(value, **kwargs)


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingDaysWidget(widgets.CharWidget):
    """Working days as day names ("Mon,Tue,Wed,Thu,Fri", "Mon-Fri", "Monday Tuesday") or as the
    model's digits ("01234"). Exported as names: a spreadsheet turns "01234" into 1234."""

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text or text.isdigit():
            return text
        digits = []
        for token in re.split(r"[\s,;/]+", text.casefold()):
            first, dash, last = token.partition("-")
            start, end = self._day(first), self._day(last) if dash else None
            if start is None or (dash and end is None):
                raise ValueError(f"{token!r} is not a weekday (write Mon, Tue … Sun, or a range such as Mon-Fri).")
            digits.extend(range(start, (end if dash else start) + 1))
        return "".join(str(day) for day in digits)

    @staticmethod
    def _day(token: str) -> int | None:
        return DAY_NAMES.index(token[:3]) if token[:3] in DAY_NAMES and len(token) >= 3 else None

    def render(self, value, obj=None, **kwargs):
        return ",".join(DAY_NAMES[int(day)].title() for day in (value or "") if day in WEEKDAY_DIGITS)


def text_field(name: str) -> fields.Field:
    """A text column; an empty cell (None in XLSX) is the empty string, as in a form."""
    return fields.Field(attribute=name, column_name=name, widget=widgets.CharWidget())


class ReferenceResource(resources.ModelResource):
    """The shared behaviour of the reference-data resources. Subclasses name their natural key
    in ``import_id_fields`` and write through their service in ``do_instance_save``."""

    def before_import(self, dataset, **kwargs):
        # "Holiday country " and "holiday_country" are the same column.
        dataset.headers = [re.sub(r"\s+", "_", str(h or "").strip().casefold()) for h in dataset.headers]

    def before_import_row(self, row, **kwargs):
        for key, value in row.items():
            if isinstance(value, str):
                # The text mark this export writes (and spreadsheets keep) comes off again.
                row[key] = tabular.unguard_formula(value.strip())

    def get_instance(self, instance_loader, row):
        (name,) = self.get_import_id_fields()
        field = self.fields[name]
        value = row.get(field.column_name)
        value = "" if value is None else str(value).strip()
        if not value:
            return None
        queryset = self.get_queryset()
        found = queryset.filter(**{field.attribute: value}).first()
        if found is None:
            matches = list(queryset.filter(**{f"{field.attribute}__iexact": value})[:2])
            if len(matches) > 1:
                raise ValidationError({field.attribute: f"More than one row is called {value!r} in some spelling."})
            found = matches[0] if matches else None
            if found is not None:
                row[field.column_name] = getattr(found, field.attribute)  # a match keeps its spelling
        return found

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not any(value not in (None, "") for value in row.values()):
            return True  # the empty lines spreadsheets leave at the end
        return super().skip_row(instance, original, row, import_validation_errors)

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return tabular.guard_formula(value) if isinstance(value, str) else value


class TeamResource(ReferenceResource):
    name = text_field("name")
    kind = fields.Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Team.Kind.choices))
    manager = fields.Field(
        attribute="manager",
        column_name="manager",
        widget=NaturalKeyWidget(get_user_model(), "username", "user with the username"),
    )
    time_zone = text_field("time_zone")
    working_days = fields.Field(attribute="working_days", column_name="working_days", widget=WorkingDaysWidget())
    work_starts = fields.Field(attribute="work_starts", column_name="work_starts", widget=TimeOfDayWidget())
    work_ends = fields.Field(attribute="work_ends", column_name="work_ends", widget=TimeOfDayWidget())
    holiday_country = text_field("holiday_country")

    class Meta:
        model = Team
        fields = (
            "name",
            "kind",
            "manager",
            "time_zone",
            "working_days",
            "work_starts",
            "work_ends",
            "holiday_country",
        )
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Team.objects.select_related("manager")

    def do_instance_save(self, instance, is_create):
        services.team_save(team=instance)


class MembershipResource(ReferenceResource):
    """One row per person and team: the username, the team's name, and when the membership
    ended (blank while it lasts). A row matches the person's current membership of the team,
    or, for a row with an end date, their latest one; otherwise the person joins."""

    team = fields.Field(attribute="team", column_name="team", widget=NaturalKeyWidget(Team, "name", "team"))
    user = fields.Field(
        attribute="user",
        column_name="username",
        widget=NaturalKeyWidget(get_user_model(), "username", "user with the username"),
    )
    joined_at = fields.Field(attribute="joined_at", column_name="joined_at", widget=WhenWidget(), readonly=True)
    ended_at = fields.Field(attribute="ended_at", column_name="ended_at", widget=WhenWidget())

    class Meta:
        model = Membership
        fields = ("team", "user", "joined_at", "ended_at")
        import_id_fields = ("team", "user")
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Membership.objects.select_related("team", "user")

    def get_instance(self, instance_loader, row):
        try:
            team = self.fields["team"].clean(row)
            user = self.fields["user"].clean(row)
            ends = self.fields["ended_at"].clean(row) if "ended_at" in row else None
        except (KeyError, ValueError):
            return None  # reported with the row's other errors when the fields are read
        if team is None or user is None:
            return None
        memberships = self.get_queryset().filter(team=team, user=user)
        current = memberships.filter(ended_at__isnull=True).first()
        if current is not None or ends is None:
            return current
        return memberships.order_by("-ended_at", "-pk").first()

    def do_instance_save(self, instance, is_create):
        services.membership_save(membership=instance)


class RejectionReasonResource(ReferenceResource):
    code = text_field("code")
    label = text_field("label")
    phase = fields.Field(attribute="phase", column_name="phase", widget=ChoiceWidget(RejectionReason.Phase.choices))
    disposition = fields.Field(
        attribute="disposition",
        column_name="disposition",
        widget=ChoiceWidget(RejectionReason.Disposition.choices),
    )
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=YesNoWidget(default=True))
    position = fields.Field(attribute="position", column_name="position", widget=WholeNumberWidget())

    class Meta:
        model = RejectionReason
        fields = ("code", "label", "phase", "disposition", "is_active", "position")
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True

    def do_instance_save(self, instance, is_create):
        services.rejection_reason_save(reason=instance)
