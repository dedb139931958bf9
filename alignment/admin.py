from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
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
from alignment.resources import MembershipResource, RejectionReasonResource, SpreadsheetCSV, TeamResource
from alignment.routing import describe
from alignment.selectors import field_rule_terms, property_labels, route_of
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


class ReadOnlyRuleInline(admin.TabularInline):
    """Rules are shown here as they stand; they are written in the workspace's definition editor
    (alignment.views.definition_edit), in plain language, never in the admin."""

    extra = 0
    max_num = 0
    can_delete = False

    def labels(self) -> dict[str, str]:
        # Inlines are made afresh for each request: the property labels are read once per page.
        if not hasattr(self, "_labels"):
            self._labels = property_labels()
        return self._labels

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FieldRuleInline(ReadOnlyRuleInline):
    model = FieldRule
    fields = ("position", "in_words")
    readonly_fields = fields
    verbose_name_plural = "field rules (edit them in the definition editor)"

    @admin.display(description="Rule")
    def in_words(self, rule):
        return field_rule_terms(rule).describe(self.labels())


class EngagementRuleInline(ReadOnlyRuleInline):
    model = EngagementRule
    fields = ("position", "activity", "points")
    readonly_fields = fields
    verbose_name_plural = "activity rules (edit them in the definition editor)"


class RoutingRuleInline(ReadOnlyRuleInline):
    model = RoutingRule
    fields = ("position", "in_words")
    readonly_fields = fields
    verbose_name = "routing rule"
    verbose_name_plural = "routing rules (edit them in the definition editor)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("team")

    @admin.display(description="Rule")
    def in_words(self, rule):
        return describe(route_of(rule), self.labels())


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
        # Drafts are written in the workspace's editor; here every version is shown as it stands.
        return [field for fieldset in self.fieldsets for row in fieldset[1]["fields"] for field in _flat(row)]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        definition = self.get_object(request, object_id)
        if definition is not None and definition.is_editable and services.may_draft(request.user):
            self.message_user(
                request,
                format_html(
                    'Drafts are edited in the <a href="{}">definition editor</a>, in plain language.',
                    reverse("definition_edit", args=[definition.pk]),
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        raise PermissionDenied("Drafts are edited in the definition editor.")

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
