"""One small form per agenda row. Choices (reasons, reps) are read once per page and passed
in, so a page of 50 rows runs no query per row."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict, flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from leads.models import Stage
from reviews.models import Outcome, ReviewItem
from reviews.services.common import outcomes_allowed
from security.limits import NOTE_MAX_LENGTH


class QuickSelect(forms.Select):
    """A select built in Python. The default widget renders a template per option, about 1,700
    of them on a page of 50 rows with three selects each; this keeps the page fast."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, mark_safe(" selected") if str(key) == chosen else "", label) for key, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class QuickInput:
    """Mixin: an <input> built in Python rather than from a template, for the same reason."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = {"type": self.input_type, **self.build_attrs(self.attrs, attrs), "name": name}
        formatted = self.format_value(value)
        if formatted not in (None, ""):
            final_attrs["value"] = formatted
        return format_html("<input{}>", flatatt(final_attrs))


class QuickTextInput(QuickInput, forms.TextInput):
    pass


class QuickDateInput(QuickInput, forms.DateInput):
    pass


class QuickCheckbox(forms.CheckboxInput):
    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs.update(type="checkbox", name=name)
        if self.check_test(value):
            final_attrs["checked"] = True
        return format_html("<input{}>", flatatt(final_attrs))


class QuickTextarea(forms.Textarea):
    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        return format_html("<textarea{}>\r\n{}</textarea>", flatatt(final_attrs), self.format_value(value) or "")


OUTCOME_CHOICES = [("", "Outcome…"), *Outcome.choices]
DATE_WIDGET = QuickDateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d")
SMALL = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}
CHECKBOX = QuickCheckbox(attrs={"class": "form-check-input"})


def _prefix(item: ReviewItem) -> str:
    return f"item-{item.pk}"


class RepUpdateForm(forms.Form):
    update = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Update",
        widget=QuickTextarea(attrs={**SMALL, "rows": 2, "placeholder": "Where it stands"}),
    )
    proposed_outcome = forms.ChoiceField(
        choices=OUTCOME_CHOICES, required=False, label="Proposed outcome", widget=QuickSelect(attrs=SMALL_SELECT)
    )
    next_step = forms.CharField(
        max_length=200,
        required=False,
        label="Next step",
        widget=QuickTextInput(attrs={**SMALL, "placeholder": "Next step"}),
    )
    next_step_due = forms.DateField(required=False, label="Due", widget=DATE_WIDGET)
    step_done = forms.BooleanField(required=False, label="Done", widget=CHECKBOX)

    def __init__(self, *args, item: ReviewItem, **kwargs):
        self.item = item
        initial = {
            "update": item.update,
            "proposed_outcome": item.proposed_outcome,
            "next_step": item.next_step,
            "next_step_due": item.next_step_due,
            "step_done": item.step_done,
        }
        super().__init__(*args, prefix=_prefix(item), initial=initial, **kwargs)


class OutcomeForm(forms.Form):
    discussed = forms.BooleanField(required=False, label="Discussed", widget=CHECKBOX)
    outcome = forms.ChoiceField(
        choices=OUTCOME_CHOICES,
        required=False,
        label="Outcome",
        widget=QuickSelect(attrs=SMALL_SELECT),
        error_messages={"invalid_choice": "Choose one of the listed outcomes."},
    )
    reason = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Reason", widget=QuickSelect(attrs=SMALL_SELECT)
    )
    reassign_to = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Reassign to", widget=QuickSelect(attrs=SMALL_SELECT)
    )
    next_step = forms.CharField(
        max_length=200,
        required=False,
        label="Next step",
        widget=QuickTextInput(attrs={**SMALL, "placeholder": "Next step"}),
    )
    next_step_due = forms.DateField(required=False, label="Due", widget=DATE_WIDGET)
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Note",
        widget=QuickTextInput(attrs={**SMALL, "placeholder": "Note"}),
    )
    step_done = forms.BooleanField(required=False, label="Done", widget=CHECKBOX)

    def __init__(self, *args, item: ReviewItem, reason_choices, rep_choices, **kwargs):
        self.item = item
        initial = {
            "discussed": item.discussed_at is not None,
            "outcome": item.outcome,
            "reason": item.reason_id,
            "reassign_to": item.reassign_to_id,
            "next_step": item.next_step,
            "next_step_due": item.next_step_due,
            "note": item.outcome_note,
            "step_done": item.step_done,
        }
        super().__init__(*args, prefix=_prefix(item), initial=initial, **kwargs)
        # The field knows every outcome, the widget offers only what the lead's stage allows
        # (the rule the recording service refuses by), so a stale page gets a plain message.
        self.allowed = outcomes_allowed(item)
        self.fields["outcome"].widget.choices = self._offered(item)
        self.fields["reason"].choices = reason_choices
        self.fields["reassign_to"].choices = rep_choices

    def _offered(self, item: ReviewItem) -> list[tuple[str, str]]:
        choices = [("", "Outcome…"), *((outcome.value, outcome.label) for outcome in self.allowed)]
        if item.outcome and item.outcome not in self.allowed:
            # Recorded before the lead changed stage: shown, marked, until it is changed.
            choices.append((item.outcome, f"{Outcome(item.outcome).label} (no longer possible)"))
        return choices

    def show_refusal(self, message: str) -> None:
        """Show why a refused close could not apply this item, beside it, on a page not posted."""
        self._errors = ErrorDict({NON_FIELD_ERRORS: self.error_class([message], error_class="nonfield")})

    def clean_outcome(self) -> str:
        outcome = self.cleaned_data["outcome"]
        if outcome and outcome not in self.allowed:
            stage = Stage(self.item.lead.stage).label
            raise forms.ValidationError(f"“{Outcome(outcome).label}” is not possible for a lead in stage “{stage}”.")
        return outcome


class OpenMeetingForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
