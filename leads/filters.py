import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, Subquery

from alignment import scoring
from alignment.models import LeadProperty, RejectionReason
from leads import selectors
from leads.models import MARKETING_STAGES, Handoff, Lead, LeadEvent, Source, Stage
from security.limits import SEARCH_MAX_LENGTH

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def _search_lead(queryset, prefix: str, value: str):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(**{f"{prefix}last_name__icontains": value})
        | Q(**{f"{prefix}first_name__icontains": value})
        | Q(**{f"{prefix}company__icontains": value})
        | Q(**{f"{prefix}email_normalized__startswith": value.casefold()})
    )


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search", max_length=SEARCH_MAX_LENGTH)
    stage = django_filters.ChoiceFilter(choices=Stage.choices, empty_label="Any")
    source = django_filters.ModelChoiceFilter(queryset=Source.objects.order_by("name"), empty_label="Any")
    interest = django_filters.ChoiceFilter(
        field_name="source__interest", choices=Source.Interest.choices, label="Interest", empty_label="Any"
    )
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Created from", widget=DATE_INPUT
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Created to", widget=DATE_INPUT
    )
    grade = django_filters.ChoiceFilter(choices=[(g, g) for g in scoring.GRADES], empty_label="Any")
    prop = django_filters.ChoiceFilter(label="Property", choices=[], method="no_filter", empty_label="Any")
    prop_value = django_filters.CharFilter(label="is", method="no_filter", max_length=SEARCH_MAX_LENGTH)
    # Narrowings the dashboard's tiles link to (insights.tiles), kept through the form as hidden
    # fields: the leads marketing found (no rep sourced them), and leads recycled this often.
    marketing = django_filters.BooleanFilter(field_name="sourced_by", lookup_expr="isnull", widget=forms.HiddenInput)
    min_cycles = django_filters.NumberFilter(field_name="cycle_count", lookup_expr="gte", widget=forms.HiddenInput)
    queue = django_filters.ChoiceFilter(
        label="Marketing queue",
        choices=[("waiting", "Sales-ready, not handed off"), ("no_rule", "No routing rule matched")],
        empty_label="Any",
        method="in_queue",
    )
    order = django_filters.ChoiceFilter(
        label="Order",
        choices=[("priority", "Priority, highest first")],
        empty_label="Newest first",
        method="ordered",
    )

    class Meta:
        model = Lead
        fields = ["q", "stage", "source", "interest"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.properties = {prop.key: prop for prop in LeadProperty.objects.all()}
        self.filters["prop"].extra["choices"] = [(key, prop.label) for key, prop in self.properties.items()]

    def search(self, queryset, name, value):
        return _search_lead(queryset, "", value)

    def no_filter(self, queryset, name, value):
        return queryset  # the property and its value filter together, in filter_queryset

    def in_queue(self, queryset, name, value):
        """Sales-ready leads marketing still holds; "no_rule": those whose latest routing
        decision found no rule (leads.routing)."""
        if not value:
            return queryset
        queryset = queryset.filter(stage__in=MARKETING_STAGES, sales_ready=True)
        if value != "no_rule":
            return queryset
        routed = LeadEvent.objects.filter(lead=OuterRef("pk"), kind=LeadEvent.Kind.ROUTED)
        latest = Subquery(routed.order_by("-created_at", "-id").values("pk")[:1])
        # details__rule_id=None is JSON null, the same on SQLite and PostgreSQL.
        found_none = LeadEvent.objects.filter(pk=OuterRef("latest_routing"), details__rule_id=None)
        return queryset.annotate(latest_routing=latest).filter(Exists(found_none))

    def ordered(self, queryset, name, value):
        if value == "priority":
            return queryset.order_by(F("priority").desc(nulls_last=True), "-id")
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        key, text = self.form.cleaned_data.get("prop"), (self.form.cleaned_data.get("prop_value") or "").strip()
        if not key or key not in self.properties:
            return queryset
        if not text:
            return queryset.filter(**{f"properties__{key}__isnull": False})
        kind = self.properties[key].kind
        if kind == LeadProperty.Kind.NUMBER:
            number = scoring.number_of(text)
            return queryset.filter(**{f"properties__{key}": number}) if number is not None else queryset.none()
        if kind == LeadProperty.Kind.YES_NO:
            answer = scoring.yes_no_of(text)
            return queryset.filter(**{f"properties__{key}": answer}) if answer is not None else queryset.none()
        return queryset.filter(**{f"properties__{key}__iexact": text})


class InboxFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search", max_length=SEARCH_MAX_LENGTH)
    status = django_filters.ChoiceFilter(
        choices=[(Handoff.Status.PENDING, "Waiting for a decision"), (Handoff.Status.ACCEPTED, "Accepted")],
        empty_label="Pending and accepted",
    )

    class Meta:
        model = Handoff
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return _search_lead(queryset, "lead__", value)


class OutcomeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search", max_length=SEARCH_MAX_LENGTH)
    status = django_filters.ChoiceFilter(choices=Handoff.Status.choices, label="Decision", empty_label="Any")
    reason = django_filters.ModelChoiceFilter(queryset=RejectionReason.objects.order_by("position"), empty_label="Any")
    team = django_filters.ModelChoiceFilter(queryset=selectors.sales_teams(), empty_label="Any")
    source = django_filters.ModelChoiceFilter(
        field_name="lead__source", queryset=Source.objects.order_by("name"), empty_label="Any"
    )
    mine = django_filters.ChoiceFilter(
        label="Handed off by", method="only_mine", choices=[("1", "Me")], empty_label="Anyone"
    )
    handed_off_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Handed off from", widget=DATE_INPUT
    )
    handed_off_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Handed off to", widget=DATE_INPUT
    )
    # Narrowings the dashboard's alerts link to: kept through the form as hidden fields and named
    # above the list from its rows (leads.views.handoff_outcomes), so they cost no query for
    # choices the way a select would.
    campaign = django_filters.NumberFilter(field_name="lead__campaign_id", widget=forms.HiddenInput)
    rep = django_filters.NumberFilter(field_name="assigned_to_id", widget=forms.HiddenInput)
    definition = django_filters.NumberFilter(field_name="definition_id", widget=forms.HiddenInput)
    override = django_filters.BooleanFilter(
        label="Sales-ready",
        widget=forms.Select(choices=[("", "Any"), ("false", "Sales-ready"), ("true", "Overridden")]),
    )
    late = django_filters.BooleanFilter(
        label="Service level",
        method="service_level",
        widget=forms.Select(choices=[("", "Any"), ("true", "Breached")]),
    )

    class Meta:
        model = Handoff
        fields = ["q", "status", "reason", "team", "source"]

    def service_level(self, queryset, name, value):
        return queryset.filter(selectors.service_level_breached()) if value else queryset

    def search(self, queryset, name, value):
        return _search_lead(queryset, "lead__", value)

    def only_mine(self, queryset, name, value):
        return queryset.filter(handed_off_by=self.request.user) if value == "1" else queryset
