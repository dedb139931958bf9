"""Forms of the agreement's workspace pages (and the list fields the admin shares). They only
read and shape input; every write goes through alignment.services."""

from django import forms

from alignment import scoring
from alignment.models import ACTIVITY_KINDS, BUCKETS, ENGAGEMENT_SIGNALS, GRADES, LeadProperty, QualificationDefinition
from alignment.regions import REGION_CHOICES, country_choices
from security.limits import NOTE_MAX_LENGTH


class SignatureForm(forms.Form):
    """A leader's answer to a proposed version: the side they sign for (the service checks it)
    and a comment."""

    side = forms.CharField(required=False, max_length=20)
    comment = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)


class LinesField(forms.CharField):
    """A list of values, one per line (so a value may hold commas)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def has_changed(self, initial, data):
        try:
            return self.to_python(initial) != self.to_python(data)
        except forms.ValidationError:
            return True

    def prepare_value(self, value):
        return "\n".join(str(item) for item in value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return [str(item).strip() for item in value if str(item).strip()]
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class PointsTableField(forms.CharField):
    """A points table, one "value = points" per line; "(empty)" stands for an empty value."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "Working Professional = 40\n(empty) = -5"})

    def has_changed(self, initial, data):
        try:
            return self.to_python(initial) != self.to_python(data)
        except forms.ValidationError:
            return True

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(f"{entry or '(empty)'} = {points}" for entry, points in value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return [list(entry) for entry in value]
        table = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            entry, equals, points = line.rpartition("=")
            try:
                if not equals:
                    raise ValueError
                points = int(points.strip())
            except ValueError:
                raise forms.ValidationError(
                    f'Line {number} ("{line.strip()}") is not "value = points" with whole points.'
                ) from None
            entry = entry.strip()
            table.append(["" if entry == "(empty)" else entry, points])
        return table


# --- The definition editor ----------------------------------------------------------------------


def value_labels() -> dict[str, dict[str, str]]:
    """The standard fields whose values are codes: each code's label. The editor shows a rule's
    values by these labels and reads them back as the codes (a code typed as such is kept)."""
    from leads.models import Source

    return {"seniority": scoring.SENIORITY_LABELS, "source_interest": dict(Source.Interest.choices)}


def known_values(properties) -> dict[str, list[str]]:
    """What a rule over each field may list, to pick from: the labels of the coded fields and the
    values each choice property declares (``properties``: LeadProperty rows)."""
    known = {field: list(labels.values()) for field, labels in value_labels().items()}
    for prop in properties:
        if prop.kind == LeadProperty.Kind.CHOICE and prop.choices:
            known[f"{scoring.PROPERTY_PREFIX}{prop.key}"] = [str(value) for value in prop.choices]
    return known


def field_choices(properties: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What a rule may test, by its label: the lead's standard fields, then the declared
    properties (``properties``: key, label)."""
    return [(code, label) for code, (label, _kind) in scoring.STANDARD_FIELDS.items()] + [
        (f"{scoring.PROPERTY_PREFIX}{key}", f"{label} (property)") for key, label in properties
    ]


class DefinitionForm(forms.Form):
    """A draft's name, thresholds, sales-ready rule and service levels. Grades, buckets and
    activities are ticked, never typed; they are stored as the model keeps them."""

    name = forms.CharField(max_length=120)
    notes = forms.CharField(
        required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}), label="What it changes"
    )
    grade_a_min = forms.IntegerField(label="Grade A from (fit points)")
    grade_b_min = forms.IntegerField(label="Grade B from")
    grade_c_min = forms.IntegerField(label="Grade C from")
    half_life_days = forms.IntegerField(min_value=0, label="Engagement points halve every (days, 0: never)")
    hot_min = forms.IntegerField(min_value=0, label="Hot from (score)")
    warm_min = forms.IntegerField(min_value=0, label="Warm from")
    cold_min = forms.IntegerField(min_value=0, label="Cold from")
    priority_low = forms.IntegerField(label="Priority 0 at (fit points plus score)")
    priority_high = forms.IntegerField(label="Priority 100 at")
    ready_grades = forms.MultipleChoiceField(
        required=False,
        choices=[(grade, f"Grade {grade}") for grade in GRADES],
        widget=forms.CheckboxSelectMultiple,
        label="Sales-ready grades",
    )
    ready_buckets = forms.MultipleChoiceField(
        required=False, choices=BUCKETS, widget=forms.CheckboxSelectMultiple, label="…and buckets"
    )
    ready_activities = forms.MultipleChoiceField(
        required=False,
        choices=ACTIVITY_KINDS,
        widget=forms.CheckboxSelectMultiple,
        label="Or sales-ready on any of these activities",
    )
    accept_within_hours = forms.IntegerField(min_value=0, label="Accept within (business hours)")
    first_touch_within_hours = forms.IntegerField(min_value=0, label="First touch within (business hours)")
    touches_before_unresponsive = forms.IntegerField(min_value=0, max_value=1000, label="Touches before unresponsive")
    expiry_action = forms.ChoiceField(
        choices=QualificationDefinition.ExpiryAction.choices, label="When the accept time runs out"
    )

    @staticmethod
    def initial_of(definition: QualificationDefinition) -> dict:
        initial = {name: getattr(definition, name) for name in DefinitionForm.base_fields}
        initial["ready_grades"] = [grade for grade in GRADES if grade in definition.ready_grades.upper()]
        saved_buckets = {part.strip() for part in definition.ready_buckets.split(",")}
        initial["ready_buckets"] = [bucket for bucket, _ in BUCKETS if bucket in saved_buckets]
        saved_kinds = {part.strip() for part in definition.ready_activities.split(",")}
        initial["ready_activities"] = [kind for kind, _ in ACTIVITY_KINDS if kind in saved_kinds]
        return initial

    def stored_fields(self) -> dict:
        """The cleaned data as services.definition_update takes it."""
        data = dict(self.cleaned_data)
        data["ready_grades"] = "".join(grade for grade in GRADES if grade in data["ready_grades"])
        data["ready_buckets"] = ",".join(bucket for bucket, _ in BUCKETS if bucket in data["ready_buckets"])
        data["ready_activities"] = ",".join(kind for kind, _ in ACTIVITY_KINDS if kind in data["ready_activities"])
        return data


class FieldRuleForm(forms.Form):
    """One rule over a field of the lead, in the editor's words."""

    part = forms.ChoiceField(choices=list(scoring.PARTS.items()), label="Counts towards")
    field = forms.ChoiceField(choices=(), label="Field")
    test = forms.ChoiceField(choices=list(scoring.TESTS.items()), label="Test")
    values = LinesField(required=False, label="Values (one per line)")
    minimum = forms.FloatField(required=False, label="From (at least)")
    maximum = forms.FloatField(required=False, label="To (under)")
    expected = forms.TypedChoiceField(
        required=False,
        choices=[("", "—"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
        label="Matches",
    )
    table = PointsTableField(required=False, label='Points per value ("value = points", one per line)')
    other_points = forms.IntegerField(required=False, initial=0, label="Any other value")
    points = forms.IntegerField(required=False, initial=0, label="Points")

    def __init__(self, *args, field_choices: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", "— choose a field —"), *field_choices]
        self.fields["test"].choices = [("", "— choose a test —"), *scoring.TESTS.items()]
        self.fields["part"].initial = "fit"
        labels = value_labels().get(self.initial.get("field"))
        if labels and self.initial.get("values"):
            # Coded values are shown by their labels (VP, Active interest), never by their codes.
            self.initial["values"] = [labels.get(v, v) for v in self.initial["values"]]

    def has_changed(self):
        # A row counts once a field or a test is chosen: the blank row's default points (0, or
        # nothing after a re-display) never add a rule.
        return bool(self["field"].value() or self["test"].value())

    def clean(self):
        data = super().clean()
        labels = value_labels().get(data.get("field"))
        if labels:
            codes = {label.casefold(): code for code, label in labels.items()}
            data["values"] = [codes.get(value.casefold(), value) for value in data.get("values") or []]
        for name in ("points", "other_points"):
            if data.get(name) is None:
                data[name] = 0
        return data


class EngagementRuleForm(forms.Form):
    activity = forms.ChoiceField(choices=ENGAGEMENT_SIGNALS, label="Activity")
    points = forms.IntegerField(label="Points each")

    def has_changed(self):
        return bool(self["activity"].value())


class BaseRuleFormSet(forms.BaseFormSet):
    """Rows in order; a row left blank or ticked for removal is dropped."""

    def __init__(self, *args, form_kwargs=None, **kwargs):
        super().__init__(*args, form_kwargs=form_kwargs or {}, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def kept(self) -> list[dict]:
        return [
            {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            for form in self.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


FieldRuleFormSet = forms.formset_factory(FieldRuleForm, formset=BaseRuleFormSet, extra=1, can_delete=True)
EngagementRuleFormSet = forms.formset_factory(EngagementRuleForm, formset=BaseRuleFormSet, extra=1, can_delete=True)


class RoutingRuleForm(forms.Form):
    """One routing rule: conditions picked from lists, a team, hand off automatically or not."""

    position = forms.IntegerField(required=False, min_value=1, max_value=1000, label="Order")
    name = forms.CharField(max_length=120, label="Name")
    team = forms.TypedChoiceField(choices=(), coerce=int, empty_value=None, label="Goes to team")
    automatic = forms.BooleanField(required=False, initial=True, label="Hand off automatically")
    countries = forms.MultipleChoiceField(required=False, choices=(), label="Countries")
    regions = forms.MultipleChoiceField(
        required=False, choices=REGION_CHOICES, widget=forms.CheckboxSelectMultiple, label="Regions"
    )
    employees_min = forms.IntegerField(required=False, min_value=0, label="At least (employees)")
    employees_max = forms.IntegerField(required=False, min_value=0, label="At most (employees)")
    industries = LinesField(required=False, label="Industries (one per line)")
    sources = forms.MultipleChoiceField(
        required=False, choices=(), widget=forms.CheckboxSelectMultiple, label="Sources"
    )
    campaigns = forms.MultipleChoiceField(
        required=False, choices=(), widget=forms.CheckboxSelectMultiple, label="Campaigns"
    )
    property_key = forms.ChoiceField(required=False, choices=(), label="Property")
    property_values = LinesField(required=False, label="Property values (one per line; none: any value)")

    def __init__(self, *args, catalogues: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        catalogues = catalogues or {}
        self.fields["team"].choices = [("", "—"), *catalogues.get("team", [])]
        self.fields["countries"].choices = country_choices()
        self.fields["countries"].widget.attrs["size"] = 6
        self.fields["sources"].choices = _with_saved(catalogues.get("source", []), self.initial.get("sources"))
        self.fields["campaigns"].choices = _with_saved(catalogues.get("campaign", []), self.initial.get("campaigns"))
        self.fields["property_key"].choices = [("", "—"), *catalogues.get("property", [])]

    def has_changed(self):
        # The blank row ("hand off automatically" ticked by default) adds nothing until named.
        return bool(self["name"].value() or self["team"].value())

    def clean(self):
        data = super().clean()
        low, high = data.get("employees_min"), data.get("employees_max")
        if low is not None and high is not None and low > high:
            self.add_error("employees_max", f"At most {high:,} is below at least {low:,}: no company would fit.")
        if data.get("property_values") and not data.get("property_key"):
            self.add_error("property_key", "Name the property these values are for.")
        if self.has_changed() and data.get("team") is None and not data.get("DELETE"):
            self.add_error("team", "Choose the sales team that receives the leads.")
        return data


def _with_saved(names: list[str], saved) -> list[tuple[str, str]]:
    """Choices of ``names`` plus any saved value no longer among them, so a rule keeps it."""
    extra = [value for value in saved or () if value not in names]
    return [(name, name) for name in [*names, *extra]]


RoutingRuleFormSet = forms.formset_factory(RoutingRuleForm, formset=BaseRuleFormSet, extra=1, can_delete=True)


class CompareForm(forms.Form):
    """Two different versions the person may see."""

    a = forms.TypedChoiceField(choices=(), coerce=int, label="Compare version")
    b = forms.TypedChoiceField(choices=(), coerce=int, label="with version")

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(v.pk, f"v{v.version} {v.name} ({v.get_status_display().lower()})") for v in versions]
        self.fields["a"].choices = [("", "— choose a version —"), *choices]
        self.fields["b"].choices = [("", "— choose a version —"), *choices]
        self.fields["a"].error_messages["required"] = "Choose the first version."
        self.fields["b"].error_messages["required"] = "Choose the version to compare it with."

    def clean(self):
        data = super().clean()
        if data.get("a") is not None and data.get("a") == data.get("b"):
            self.add_error("b", "Choose two different versions.")
        return data
