from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from alignment import services
from alignment.exceptions import AlignmentError, NotAllowed
from alignment.models import (
    DefinitionApproval,
    EngagementRule,
    FieldRule,
    LeadProperty,
    Membership,
    QualificationDefinition,
    RejectionReason,
    RoutingRule,
    Team,
)
from alignment.regions import REGION_CHOICES, country_choices
from alignment.resources import MembershipResource, RejectionReasonResource, SpreadsheetCSV, TeamResource
from alignment.routing import catalogue
from config.forms import ValuesPerLineField


class ReferenceDataAdminMixin(ImportExportMixin):
    """Import and export buttons on the changelist (django-import-export: upload, preview as a
    dry run with each row's errors, confirm). Importing creates and changes rows, so it takes
    the model's add and change permissions, which alignment.roles grants per role; exporting
    takes its view permission. Anyone else gets 403 on the import and export pages."""

    import_formats = [SpreadsheetCSV, base_formats.XLSX]
    export_formats = [base_formats.CSV, base_formats.XLSX]
    to_encoding = "utf-8-sig"  # Excel reads non-ASCII text in a CSV only after a byte-order mark

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


class MembershipForm(forms.ModelForm):
    """Shows the rules of services.membership_check on the form, as an import shows them on
    its row."""

    class Meta:
        model = Membership
        fields = ("team", "user", "ended_at", "away_until")

    def _post_clean(self):
        super()._post_clean()
        try:
            services.membership_check(membership=self.instance)
        except ValidationError as error:
            self._update_errors(error)


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    fields = ("user", "joined_at", "ended_at", "away_until", "last_assigned_at")
    readonly_fields = ("joined_at", "last_assigned_at")
    autocomplete_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Team)
class TeamAdmin(ReferenceDataAdminMixin, admin.ModelAdmin):
    resource_classes = [TeamResource]
    list_display = ("name", "kind", "manager", "time_zone", "member_count")
    list_select_related = ("manager",)
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("manager",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "manager", "slack_webhook_url")}),
        (
            "Business calendar",
            {
                "description": "SLA clocks for hand-offs to this team count only its working hours.",
                "fields": ("time_zone", "working_days", ("work_starts", "work_ends"), "holiday_country"),
            },
        ),
    )
    inlines = (MembershipInline,)

    def get_queryset(self, request):
        current = (
            Membership.objects.filter(team=OuterRef("pk"), ended_at__isnull=True)
            .order_by()
            .values("team")
            .annotate(n=Count("id"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Coalesce(Subquery(current, output_field=IntegerField()), 0))
        )

    @admin.display(ordering="member_count", description="Current members")
    def member_count(self, obj):
        return obj.member_count

    def save_model(self, request, obj, form, change):
        services.team_save(team=obj)


@admin.register(Membership)
class MembershipAdmin(ReferenceDataAdminMixin, admin.ModelAdmin):
    """Who is in which team, for onboarding many people at once by import; a membership ends
    (ended_at) rather than being deleted."""

    resource_classes = [MembershipResource]
    form = MembershipForm
    list_display = ("user", "team", "joined_at", "ended_at")
    list_select_related = ("user", "team")
    list_filter = ("team", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__first_name", "user__last_name", "team__name")
    autocomplete_fields = ("team", "user")
    fields = ("team", "user", "joined_at", "ended_at", "away_until", "last_assigned_at")
    readonly_fields = ("joined_at", "last_assigned_at")
    ordering = ("team__name", "user__username")
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        services.membership_save(membership=obj)


@admin.register(RejectionReason)
class RejectionReasonAdmin(ReferenceDataAdminMixin, admin.ModelAdmin):
    resource_classes = [RejectionReasonResource]
    list_display = ("label", "code", "phase", "disposition", "is_active", "position")
    list_filter = ("phase", "disposition", "is_active")
    search_fields = ("label", "code")
    ordering = ("position",)

    def save_model(self, request, obj, form, change):
        services.rejection_reason_save(reason=obj)


class DraftOnlyInline(admin.TabularInline):
    """Rules change only while their version is a draft."""

    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class LinesField(forms.CharField):
    """A list of values, one per line (so a value may hold commas)."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 28})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class PointsTableField(forms.CharField):
    """A points table, one "value = points" per line; "(empty)" stands for an empty value."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 32, "placeholder": "Working Professional = 40\n(empty) = -5"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{entry or '(empty)'} = {points}" for entry, points in value)
        return value

    def to_python(self, value):
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


class FieldRuleForm(forms.ModelForm):
    values = LinesField(required=False, help_text="One per line.")
    table = PointsTableField(required=False, help_text='One "value = points" per line.')

    class Meta:
        model = FieldRule
        fields = services.FIELD_RULE_FIELDS


class FieldRuleInline(DraftOnlyInline):
    model = FieldRule
    form = FieldRuleForm
    fields = FieldRuleForm.Meta.fields


class EngagementRuleInline(DraftOnlyInline):
    model = EngagementRule
    fields = ("activity", "points", "position")


def _with_saved(names: list[str], saved) -> list[tuple[str, str]]:
    """Choices of ``names`` plus any saved value no longer among them, so a rule keeps it."""
    extra = [value for value in saved or () if value not in names]
    return [(name, name) for name in [*names, *extra]]


class RoutingRuleForm(forms.ModelForm):
    """Countries, regions, sources and campaigns are picked, not typed; the choices are read once
    per page by RoutingRuleInline.get_formset and given to every row."""

    countries = forms.MultipleChoiceField(
        required=False, choices=(), widget=FilteredSelectMultiple("countries", is_stacked=False)
    )
    regions = forms.MultipleChoiceField(required=False, choices=REGION_CHOICES, widget=forms.CheckboxSelectMultiple)
    industries = LinesField(required=False, help_text="One per line, as leads carry them.")
    sources = forms.MultipleChoiceField(required=False, choices=(), widget=forms.CheckboxSelectMultiple)
    campaigns = forms.MultipleChoiceField(required=False, choices=(), widget=forms.CheckboxSelectMultiple)
    property_key = forms.ChoiceField(required=False, choices=(), label="Property")
    property_values = LinesField(required=False, label="Property values", help_text="One per line; none: any value.")
    team = forms.TypedChoiceField(required=False, choices=(), coerce=int, empty_value=None)

    catalogues: dict = {}  # set per page: "source", "campaign", "property", "team" → choices

    class Meta:
        model = RoutingRule
        fields = services.ROUTING_RULE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = self.instance if self.instance.pk else None
        self.fields["countries"].choices = country_choices()
        self.fields["sources"].choices = _with_saved(self.catalogues.get("source", []), saved and saved.sources)
        self.fields["campaigns"].choices = _with_saved(self.catalogues.get("campaign", []), saved and saved.campaigns)
        self.fields["property_key"].choices = [("", "—"), *self.catalogues.get("property", [])]
        self.fields["team"].choices = [("", "—"), *[(pk, name) for pk, name in self.catalogues.get("team", {}).items()]]

    def clean_team(self):
        team_id = self.cleaned_data["team"]
        if team_id is None:
            raise forms.ValidationError("Choose the sales team that receives the leads.")
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise forms.ValidationError("That team no longer exists.")
        return team


class RoutingRuleInline(DraftOnlyInline):
    """Where sales-ready leads go, in order (the first rule that matches wins)."""

    model = RoutingRule
    form = RoutingRuleForm
    template = "admin/edit_inline/stacked.html"
    verbose_name = "routing rule"
    verbose_name_plural = "routing rules (in order: the first that matches hands the lead off)"
    fieldsets = (
        (None, {"fields": (("position", "name"), ("team", "automatic"))}),
        (
            "Conditions (all must hold; none: every lead)",
            {
                "fields": (
                    "countries",
                    "regions",
                    ("employees_min", "employees_max"),
                    "industries",
                    "sources",
                    "campaigns",
                    ("property_key", "property_values"),
                )
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("team")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Read once for every row; names come from the leads app's catalogues (alignment.routing).
        formset.form = type(
            "RoutingRuleForm",
            (formset.form,),
            {
                "catalogues": {
                    "source": catalogue("source") or [],
                    "campaign": catalogue("campaign") or [],
                    "property": list(LeadProperty.objects.values_list("key", "label")),
                    "team": dict(Team.objects.filter(kind=Team.Kind.SALES).values_list("pk", "name")),
                }
            },
        )
        return formset


class DefinitionApprovalInline(admin.TabularInline):
    model = DefinitionApproval
    fields = ("created_at", "round", "side", "decision", "by", "comment")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QualificationDefinition)
class QualificationDefinitionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "created_by", "created_at", "proposed_at", "activated_at", "retired_at")
    list_select_related = ("created_by",)
    list_filter = ("status",)
    search_fields = ("name", "notes")
    filter_horizontal = ("rejection_reasons",)
    inlines = (FieldRuleInline, EngagementRuleInline, RoutingRuleInline, DefinitionApprovalInline)
    actions = ("new_draft_from", "propose", "approve")
    fieldsets = (
        (None, {"fields": ("name", "notes")}),
        ("Fit → grade (minimum fit points)", {"fields": (("grade_a_min", "grade_b_min", "grade_c_min"),)}),
        ("Engagement → bucket", {"fields": ("half_life_days", ("hot_min", "warm_min", "cold_min"))}),
        ("Priority (fit points plus score)", {"fields": (("priority_low", "priority_high"),)}),
        ("Sales-ready", {"fields": ("ready_grades", "ready_buckets", "ready_activities")}),
        (
            "Service levels (business hours)",
            {
                "fields": (
                    ("accept_within_hours", "first_touch_within_hours"),
                    "touches_before_unresponsive",
                    "expiry_action",
                )
            },
        ),
        ("Rejection reasons in force", {"fields": ("rejection_reasons",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            # Active and retired versions are kept as agreed.
            return [field for fieldset in self.fieldsets for row in fieldset[1]["fields"] for field in _flat(row)]
        return ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.DEFINITION_FIELDS if name in form.cleaned_data}
        try:
            if change:
                services.definition_update(definition=obj, by=request.user, fields=fields)
            else:
                created = services.definition_create(by=request.user, name=fields.pop("name"))
                created = services.definition_update(definition=created, by=request.user, fields=fields)
                vars(obj).update(vars(created))  # the admin goes on with `obj` (inlines, log, redirect)
        except AlignmentError as error:
            raise PermissionDenied(str(error)) from error

    def save_related(self, request, form, formsets, change):
        services.definition_check_editable(definition=form.instance)
        super().save_related(request, form, formsets, change)

    def _each(self, request, queryset, action, success):
        for definition in queryset:
            try:
                action(definition)
            except (AlignmentError, NotAllowed) as error:
                self.message_user(request, f"v{definition.version}: {error}", messages.ERROR)
            else:
                self.message_user(request, success(definition))

    @admin.action(description="New draft from the selected version")
    def new_draft_from(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda d: services.definition_create(by=request.user, name=d.name, based_on=d),
            lambda d: f"New draft made from v{d.version}.",
        )

    @admin.action(description="Propose to both leaders")
    def propose(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda d: services.definition_propose(definition=d, by=request.user),
            lambda d: f"v{d.version} proposed; both leaders are notified.",
        )

    @admin.action(description="Approve for my side")
    def approve(self, request, queryset):
        sides = services.sides_of(request.user)
        if not sides:
            self.message_user(request, "Only the marketing and sales leaders approve.", messages.ERROR)
            return
        self._each(
            request,
            queryset,
            lambda d: services.definition_approve(definition=d, by=request.user, side=sides[0]),
            lambda d: f"v{d.version} approved for {sides[0]}.",
        )


def _flat(row):
    return row if isinstance(row, tuple) else (row,)


class LeadPropertyForm(forms.ModelForm):
    """A choice property's values are edited one per line, never as JSON or a comma-separated
    string; they are stored as the same list."""

    choices = ValuesPerLineField(
        label="Values",
        help_text="For a choice: one value per line, as leads carry it (e.g. Retail)."
        " Imports add the values they meet.",
    )

    class Meta:
        model = LeadProperty
        fields = ("key", "label", "kind", "choices", "help_text", "part", "learn_from", "position")
        labels = {"key": "Key (used in imports and the API)"}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("choices") and cleaned.get("kind") not in (None, LeadProperty.Kind.CHOICE):
            self.add_error("choices", "Only a choice property has values; leave this empty or make it a choice.")
        return cleaned


@admin.register(LeadProperty)
class LeadPropertyAdmin(admin.ModelAdmin):
    form = LeadPropertyForm
    list_display = ("label", "key", "kind", "part", "learn_from", "position")
    list_filter = ("kind", "part", "learn_from")
    search_fields = ("key", "label")
    list_editable = ("position",)
