from datetime import timedelta

from django import forms

from alignment.models import Team

MAX_PERIOD_DAYS = 731


class DashboardFilter(forms.Form):
    """The period (both days included; the last 90 days when left empty) and one team among
    those the viewer may see."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="All teams I see")

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The period must end on or after its first day.")
            if end - start > timedelta(days=MAX_PERIOD_DAYS):
                raise forms.ValidationError(f"Choose a period of at most {MAX_PERIOD_DAYS} days.")
        return data
