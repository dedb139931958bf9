from datetime import datetime

import phonenumbers
from django import forms

from config.forms import ValuesPerLineField
from leads.imports.layouts import EXTERNAL_ID, EXTERNAL_ID_PREFIX, KNOWN_LAYOUTS, Layout, header_key, mapping_targets
from leads.models import ImportMapping, Source

MAX_UPLOAD_MB = 50


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or XLSX.")
    default_source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        help_text="For new leads whose row names no source. Needed only when some row does; the preview says so.",
    )
    mapping = forms.ModelChoiceField(
        queryset=ImportMapping.objects.all(),
        required=False,
        empty_label="Recognise the layout (" + ", ".join(layout.name for layout in KNOWN_LAYOUTS) + ")",
        help_text="A saved column mapping, for files from other tools.",
    )
    day_first = forms.BooleanField(required=False, label="Dates are written day first (22/11/2026)")
    strict = forms.BooleanField(
        required=False,
        label="Strict: reject every row with a warning, and import nothing if any row is rejected",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_MB} MB; split it into several files.")
        return upload


def suggested_field(header: str, guess: Layout | None = None) -> str:
    """The field the best-guess layout (else any known layout) reads this column into, as a
    starting point for the mapping."""
    key = header_key(header)
    for layout in (guess, *KNOWN_LAYOUTS) if guess else KNOWN_LAYOUTS:
        if key in layout.columns:
            target = layout.columns[key]
            # A tool's own id is an external id of the mapping's system.
            return EXTERNAL_ID if target.startswith(EXTERNAL_ID_PREFIX) else target
    return ""


class MappingForm(forms.Form):
    """One choice per column of the file, named after its position (headers may repeat), and how
    the file writes dates and phones."""

    DATES = [
        ("month_first", "Month first, as in the US (3/15/2024); ISO dates are always read"),
        ("day_first", "Day first (15/03/2024 or 15.03.2024)"),
        ("pattern", "In this exact pattern:"),
    ]

    name = forms.CharField(max_length=80, help_text="Saved under this name for the next file of this kind.")
    empty_values = ValuesPerLineField(
        label="Values that mean empty",
        help_text='Cell values that mean "empty" in this file, one per line (for example Select, then N/A).',
    )
    dates = forms.ChoiceField(
        choices=DATES, initial="month_first", required=False, widget=forms.RadioSelect, label="Dates are written"
    )
    date_pattern = forms.CharField(
        required=False,
        max_length=60,
        label="Date pattern",
        help_text="%d day, %m month, %b month name (Apr), %Y year, %H:%M:%S time; for example %d %b, %Y %H:%M:%S"
        " reads 15 Apr, 2021 00:03:00.",
    )
    phone_region = forms.CharField(
        required=False,
        max_length=2,
        label="Phones are from",
        help_text="Two-letter country code (US, MX, AU …) for phones without a country code in rows that name no "
        "country of their own; blank: the installation's default.",
    )

    def __init__(self, *args, header: list[str], guess: Layout | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        choices = [("", "— not imported —"), *mapping_targets().items()]
        for index, column in enumerate(header):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"(column {index + 1} has no name)",
                choices=choices,
                required=False,
                initial=suggested_field(column, guess),
            )
        if guess is not None:
            self.fields["date_pattern"].initial = guess.date_pattern
            if guess.date_pattern:
                self.fields["dates"].initial = "pattern"

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.header))]

    def clean_date_pattern(self):
        pattern = self.cleaned_data["date_pattern"].strip()
        if pattern:
            if not any(code in pattern for code in ("%d", "%j")) or not any(
                code in pattern for code in ("%m", "%b", "%B")
            ):
                raise forms.ValidationError("A date pattern names the day (%d) and the month (%m, %b or %B).")
            if "%Y" not in pattern and "%y" not in pattern:
                raise forms.ValidationError("A date pattern names the year (%Y, or %y for two digits).")
            try:
                datetime.strptime(datetime(2024, 3, 15, 14, 30).strftime(pattern), pattern)
            except ValueError as error:
                raise forms.ValidationError(f"The pattern cannot be read back: {error}.") from error
        return pattern

    def clean_phone_region(self):
        region = self.cleaned_data["phone_region"].strip().upper()
        if region and region not in phonenumbers.SUPPORTED_REGIONS:
            raise forms.ValidationError(f"'{region}' is not a two-letter country code Accord knows.")
        return region

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("dates") == "pattern" and not cleaned.get("date_pattern"):
            self.add_error("date_pattern", "Write the pattern, or choose day first or month first.")
        return cleaned

    def date_settings(self) -> dict:
        """day_first and date_pattern, as the mapping stores them."""
        dates = self.cleaned_data["dates"] or "month_first"
        return {
            "day_first": dates == "day_first",
            "date_pattern": self.cleaned_data["date_pattern"] if dates == "pattern" else "",
        }

    def columns(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"column_{index}"]
            for index, column in enumerate(self.header)
            if column and self.cleaned_data[f"column_{index}"]
        }

    def empty_value_list(self) -> list[str]:
        return self.cleaned_data["empty_values"]


class ConfirmForm(forms.Form):
    """What the person confirms with an import: for each source value the file brings that Accord
    does not know, the existing source it means or a new one (with its interest), and the
    default source when some new lead's row names none."""

    NEW = {f"new:{value}": f"A new source '{{name}}', {label.lower()}" for value, label in Source.Interest.choices}
    # Beyond this many unknown values the rest become new passive-interest sources, as listed.
    SHOWN = 50

    default_source = forms.ModelChoiceField(
        queryset=Source.objects.all(), required=False, label="Source of the rows that name none"
    )

    def __init__(self, *args, figures: dict, needs_default: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.values = list(figures.get("new_sources", []))[: self.SHOWN]
        proposals = figures.get("source_proposals", {})
        existing = [(str(pk), name) for pk, name in Source.objects.values_list("pk", "name")]
        for index, value in enumerate(self.values):
            proposal = proposals.get(value)
            choices = [(key, label.format(name=value)) for key, label in self.NEW.items()]
            self.fields[f"source_{index}"] = forms.ChoiceField(
                label=value,
                required=False,  # not sent: what the page proposed
                choices=[("New", choices), ("Existing sources", existing)],
                initial=str(proposal["source"]) if proposal else f"new:{Source.Interest.PASSIVE}",
                help_text=f"Closest existing source: {proposal['name']} ({proposal['similarity']} % alike)"
                if proposal
                else "No existing source is alike.",
            )
        self.fields["default_source"].required = needs_default
        if not needs_default:
            self.fields["default_source"].widget = forms.HiddenInput()

    def source_fields(self):
        return [self[f"source_{index}"] for index in range(len(self.values))]

    def source_values(self) -> dict[str, int | str]:
        """File value → an existing source's id, or the interest of a new source."""
        table = {}
        for index, value in enumerate(self.values):
            choice = self.cleaned_data[f"source_{index}"] or self.fields[f"source_{index}"].initial
            table[value] = choice.removeprefix("new:") if choice.startswith("new:") else int(choice)
        return table
