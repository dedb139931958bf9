from django import forms

from leads.imports.layouts import KNOWN_LAYOUTS, header_key, mapping_targets
from leads.models import ImportMapping, Source

MAX_UPLOAD_MB = 50


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or XLSX.")
    default_source = forms.ModelChoiceField(
        queryset=Source.objects.all(), help_text="For rows that name no source of their own."
    )
    mapping = forms.ModelChoiceField(
        queryset=ImportMapping.objects.all(),
        required=False,
        empty_label="Recognise the layout (Salesforce, HubSpot, Accord export)",
        help_text="A saved column mapping, for files from other tools.",
    )
    day_first = forms.BooleanField(required=False, label="Dates are written day first (22/11/2026)")
    strict = forms.BooleanField(required=False, label="Import nothing if any row fails")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_MB} MB; split it into several files.")
        return upload


def suggested_field(header: str) -> str:
    """The field a known layout reads this column into, as a starting point for the mapping."""
    key = header_key(header)
    for layout in KNOWN_LAYOUTS:
        if key in layout.columns:
            return layout.columns[key]
    return ""


class MappingForm(forms.Form):
    """One choice per column of the file, named after its position (headers may repeat)."""

    name = forms.CharField(max_length=80, help_text="Saved under this name for the next file of this kind.")
    empty_values = forms.CharField(
        required=False,
        help_text='Cell values that mean "empty" in this file, separated by commas (for example: Select, N/A).',
    )
    day_first = forms.BooleanField(required=False, label="Dates are written day first (22/11/2026)")

    def __init__(self, *args, header: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        choices = [("", "— not imported —"), *mapping_targets().items()]
        for index, column in enumerate(header):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"(column {index + 1} has no name)",
                choices=choices,
                required=False,
                initial=suggested_field(column),
            )

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.header))]

    def columns(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"column_{index}"]
            for index, column in enumerate(self.header)
            if column and self.cleaned_data[f"column_{index}"]
        }

    def empty_value_list(self) -> list[str]:
        return [value.strip() for value in self.cleaned_data["empty_values"].split(",") if value.strip()]
