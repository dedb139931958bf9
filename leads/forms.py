from django import forms
from django.utils import timezone

from alignment.models import ACTIVITY_KINDS, RejectionReason
from leads import selectors
from leads.learning import OUTCOMES
from leads.models import Handoff, Notification, Stage, Touch
from security.limits import NOTE_MAX_LENGTH


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class HandoffForm(forms.Form):
    rep = PersonChoiceField(
        queryset=selectors.active_reps(),
        required=False,
        label="To a rep",
        help_text="Hand the lead to this person.",
    )
    team = forms.ModelChoiceField(
        queryset=selectors.sales_teams(),
        required=False,
        label="Or to a team",
        help_text="Accord routes it to the team's least-loaded active rep.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Note for the rep",
    )
    override = forms.BooleanField(
        required=False,
        label="Hand off anyway",
        help_text="Only for a lead that is not sales-ready under the agreed definition.",
    )
    override_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Why it goes to sales although it is not sales-ready",
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("rep")) == bool(data.get("team")):
            raise forms.ValidationError("Choose either a rep or a team to receive the lead.")
        return data


class RejectForm(forms.Form):
    reason = forms.ModelChoiceField(
        queryset=RejectionReason.objects.none(),
        error_messages={"required": "Choose a reason for rejecting the lead."},
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=NOTE_MAX_LENGTH)

    def __init__(self, *args, handoff: Handoff, **kwargs):
        super().__init__(*args, **kwargs)
        phase = (
            RejectionReason.Phase.AFTER_WORKING
            if handoff.status == Handoff.Status.ACCEPTED
            else RejectionReason.Phase.BEFORE_WORKING
        )
        self.fields["reason"].queryset = selectors.rejection_reasons_in_force().filter(phase=phase)


class TouchForm(forms.Form):
    kind = forms.ChoiceField(choices=Touch.Kind.choices, label="What happened")
    # Asked every time: the unresponsive rule counts only attempts that reached nobody.
    result = forms.ChoiceField(
        choices=[("", "Choose…"), *[(value, label) for value, label in Touch.Result.choices if value]],
        label="Result",
        error_messages={"required": "Choose what came of the touch."},
    )
    happened_at = forms.DateTimeField(
        required=False,
        label="When",
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=NOTE_MAX_LENGTH)

    def clean_happened_at(self):
        value = self.cleaned_data.get("happened_at")
        if value and value > timezone.now():
            raise forms.ValidationError("A touch cannot be logged in the future.")
        return value


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=ACTIVITY_KINDS, label="What the lead did")
    occurred_at = forms.DateTimeField(
        required=False,
        label="When",
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(required=False, max_length=500)


class AdvanceForm(forms.Form):
    """Moving a worked lead on (the buttons on its page)."""

    to_stage = forms.ChoiceField(choices=Stage.choices)
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)


class OutcomePeriodForm(forms.Form):
    """Which outcome counts as success, and which leads (by the day they were created)."""

    outcome = forms.ChoiceField(choices=list(OUTCOMES.items()), required=False, initial="won", label="Success is")
    since = forms.DateField(required=False, label="Leads created from", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The period starts after it ends.")
        return data


class NotificationPreferencesForm(forms.Form):
    """How the person hears of each kind of notification: one choice per kind."""

    def __init__(self, *args, rows: list[tuple[str, str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label, channel in rows:
            self.fields[kind] = forms.ChoiceField(
                label=label, choices=Notification.Channel.choices, initial=channel, required=True
            )
