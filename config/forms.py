"""Form pieces every app's forms share."""

from django import forms
from django.core.exceptions import ValidationError


class ValuesPerLineField(forms.CharField):
    """A list of short values typed one per line in a text box (never comma-separated: a value may
    hold a comma). Cleans to a list of the distinct, stripped, non-empty lines, in order."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, *, max_value_length: int = 100, **kwargs):
        self.max_value_length = max_value_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        values: list[str] = []
        for line in (super().to_python(value) or "").splitlines():
            line = line.strip()
            if not line or line in values:
                continue
            if len(line) > self.max_value_length:
                raise ValidationError(
                    f"Each value is at most {self.max_value_length} characters; “{line[:30]}…” is longer."
                )
            values.append(line)
        return values
