from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from alignment.admin import ReferenceDataAdminMixin
from alignment.exceptions import NotAllowed
from alignment.roles import is_marketing
from leads import selectors, services
from leads.duplicates import (
    duplicate_dismiss,
    duplicate_merge,
    duplicates_dismiss,
    may_resolve_duplicates,
    survivor_and_duplicate,
)
from leads.exceptions import LeadError
from leads.exports import export_rows, external_ids_text
from leads.imports import admin as import_admin  # noqa: F401  (registers the import pages)
from leads.models import (
    Activity,
    Campaign,
    DuplicateCandidate,
    EvaluationRun,
    Handoff,
    Lead,
    LeadEvent,
    Reminder,
    Source,
    Touch,
)
from leads.resources import CampaignResource, SourceResource
from leads.spreadsheets import csv_response, xlsx_response
from security.limits import NOTE_MAX_LENGTH


class TeamChoiceForm(forms.Form):
    team = forms.ModelChoiceField(
        queryset=selectors.sales_teams(), help_text="Each lead goes to the team's least-loaded active rep."
    )
    note = forms.CharField(
        required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )


class ReadOnlyAdminMixin:
    """For records written only by services and tasks: the admin shows them, nothing more."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAdminMixin:
    """The admin shows a person only the rows the workspace would show them; anything else is
    a 404, not a redirect."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if self.get_object(request, admin.utils.unquote(object_id)) is None:
            raise Http404("No such record, or it is not yours to see.")
        return super().change_view(request, object_id, form_url, extra_context)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LeadEventInline(ReadOnlyInline):
    model = LeadEvent
    # The actor's name as written at the time (alignment.actors), not the account's name today.
    fields = ("created_at", "kind", "from_stage", "to_stage", "actor_name", "details")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = "Event log"


class HandoffInline(ReadOnlyInline):
    model = Handoff
    fk_name = "lead"
    fields = (
        "created_at",
        "handed_off_by",
        "assigned_to",
        "definition",
        "override_reason",
        "status",
        "reason",
        "decision_note",
    )
    readonly_fields = fields
    ordering = ("-created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("handed_off_by", "assigned_to", "reason", "definition")


class TouchInline(ReadOnlyInline):
    model = Touch
    fields = ("happened_at", "kind", "by", "note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class ActivityInline(ReadOnlyInline):
    """What the lead did; logged through services.activity_log, which also grades the lead anew."""

    model = Activity
    fields = ("occurred_at", "kind", "note", "created_by")
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


@admin.register(Source)
class SourceAdmin(ReferenceDataAdminMixin, admin.ModelAdmin):
    resource_classes = [SourceResource]
    list_display = ("name", "channel", "interest", "lead_count")
    list_filter = ("interest",)
    search_fields = ("name", "channel")

    def get_queryset(self, request):
        count = (
            Lead.objects.filter(source=OuterRef("pk")).order_by().values("source").annotate(n=Count("id")).values("n")
        )
        return (
            super().get_queryset(request).annotate(lead_count=Coalesce(Subquery(count, output_field=IntegerField()), 0))
        )

    @admin.display(ordering="lead_count", description="Leads")
    def lead_count(self, obj):
        return obj.lead_count

    def save_model(self, request, obj, form, change):
        services.source_save(source=obj)


class CampaignAdminForm(forms.ModelForm):
    """Shows the rules of services.campaign_check on the form, as an import shows them on its row."""

    class Meta:
        model = Campaign
        fields = ("name", "source", "cost", "starts_on", "ends_on")

    def _post_clean(self):
        super()._post_clean()
        try:
            services.campaign_check(campaign=self.instance)
        except ValidationError as error:
            self._update_errors(error)


@admin.register(Campaign)
class CampaignAdmin(ReferenceDataAdminMixin, admin.ModelAdmin):
    resource_classes = [CampaignResource]
    form = CampaignAdminForm
    list_display = ("name", "source", "cost", "starts_on", "ends_on")
    list_select_related = ("source",)
    list_filter = ("source__interest", "source")
    search_fields = ("name", "source__name")
    autocomplete_fields = ("source",)

    def save_model(self, request, obj, form, change):
        services.campaign_save(campaign=obj)


class LeadAdminForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = ("first_name", "last_name", "email", "phone")

    def clean(self):
        data = super().clean()
        has_external_id = self.instance.pk is not None and self.instance.external_ids.exists()
        problem = services.identity_problem(
            email=data.get("email") or "", phone=data.get("phone") or "", has_external_id=has_external_id
        )
        if problem:
            raise forms.ValidationError(problem)
        return data


@admin.register(Lead)
class LeadAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = LeadAdminForm
    list_per_page = 50  # twelve columns a row: 50 rows keep the page quick to render and to read
    list_display = (
        "__str__",
        "email",
        "stage",
        "grade",
        "score",
        "bucket",
        "sales_ready",
        "priority",
        "source",
        "campaign",
        "owner",
        "cycle_count",
        "created_at",
    )
    list_select_related = ("source", "campaign", "owner")
    list_filter = ("stage", "grade", "bucket", "sales_ready", "source__interest", "source", "is_customer")
    search_fields = ("last_name", "first_name", "company", "email")
    autocomplete_fields = ("source", "campaign")
    show_full_result_count = False
    ordering = ("-created_at", "-id")
    fields = (
        ("first_name", "last_name"),
        ("email", "phone"),
        ("title", "company"),
        ("country", "is_customer"),
        ("industry", "employees"),
        ("source", "campaign"),
        ("salesforce_id", "hubspot_id", "sourced_by"),
        ("stage", "owner", "team"),
        ("cycle_count", "stage_changed_at", "created_at"),
        ("email_normalized", "company_domain"),
        ("grade", "fit_points", "score", "bucket", "sales_ready", "priority"),
        ("evaluated_with", "evaluated_at"),
        ("property_values", "external_id_list"),
    )
    readonly_fields = (
        "property_values",
        "external_id_list",
        "priority",
        "grade",
        "fit_points",
        "score",
        "bucket",
        "sales_ready",
        "evaluated_with",
        "evaluated_at",
        "stage",
        "owner",
        "team",
        "cycle_count",
        "stage_changed_at",
        "created_at",
        "email_normalized",
        "company_domain",
    )
    inlines = (HandoffInline, ActivityInline, TouchInline, LeadEventInline)
    actions = ("hand_off_to_team", "export_csv", "export_xlsx")

    def get_queryset(self, request):
        return selectors.leads_visible_to(user=request.user)

    def has_hand_off_permission(self, request):
        return request.user.is_superuser or is_marketing(request.user)

    @admin.action(permissions=["hand_off"], description="Hand off selected leads to a team…")
    def hand_off_to_team(self, request, queryset):
        """Intermediate page modelled on delete_selected: choose the team, then confirm."""
        form = TeamChoiceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            made, refused = services.handoff_create_many(
                leads=queryset, by=request.user, team=form.cleaned_data["team"], note=form.cleaned_data["note"]
            )
            if made:
                self.message_user(request, f"Handed {len(made)} lead(s) to {form.cleaned_data['team']}.")
            for lead, reason in refused.items():
                self.message_user(request, f"{lead}: {reason}", messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Hand off leads to a team",
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset.select_related("source"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/leads/lead/hand_off_to_team.html", context)

    @admin.action(description="Export selected leads as CSV")
    def export_csv(self, request, queryset):
        return csv_response(export_rows(queryset), "leads.csv")

    @admin.action(description="Export selected leads as XLSX")
    def export_xlsx(self, request, queryset):
        return xlsx_response(export_rows(queryset), "leads.xlsx", title="Leads")

    @admin.display(description="Properties")
    def property_values(self, obj):
        if obj.pk is None:
            return "—"
        return "; ".join(f"{label}: {value}" for label, value in selectors.property_values(lead=obj)) or "—"

    @admin.display(description="External ids")
    def external_id_list(self, obj):
        return (external_ids_text(obj) if obj.pk is not None else "") or "—"

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.LEAD_INPUT_FIELDS if name in form.cleaned_data}
        if change:
            services.lead_update(
                lead=obj, by=request.user, fields={name: data[name] for name in form.changed_data if name in data}
            )
        else:
            created = services.lead_create(by=request.user, **data)
            # The admin goes on with `obj` (log entry, redirect): make it the saved lead.
            vars(obj).update(vars(created))


@admin.register(Handoff)
class HandoffAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Hand-offs change only through the workspace's decisions; the admin shows them."""

    list_display = (
        "lead",
        "assigned_to",
        "team",
        "status",
        "reason",
        "definition",
        "grade",
        "bucket",
        "override",
        "created_at",
        "decided_at",
    )
    list_select_related = ("lead", "assigned_to", "team", "reason", "definition")
    list_filter = ("status", "team", "reason", "override")
    search_fields = ("lead__last_name", "lead__company", "lead__email", "assigned_to__username")
    show_full_result_count = False
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return selectors.handoffs_visible_to(user=request.user)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the sweeps sent, per breach and level: read-only, written only by the sweeps."""

    list_display = ("handoff", "breach", "level", "due_at", "created_at")
    list_select_related = ("handoff__lead",)
    list_filter = ("breach", "level")
    search_fields = ("handoff__lead__last_name", "handoff__lead__email")
    show_full_result_count = False
    ordering = ("-created_at", "-id")

    def get_queryset(self, request):
        visible = selectors.handoffs_visible_to(user=request.user)
        return super().get_queryset(request).filter(handoff__in=visible)


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Re-evaluations of every lead when a definition became active, with their progress:
    read-only, written only by the re-evaluation task."""

    list_display = ("definition", "status", "progress", "started_by", "started_at", "finished_at")
    list_select_related = ("definition", "started_by")
    list_filter = ("status", "definition")
    fields = ("definition", "status", "progress", "started_by", "started_at", "finished_at", "summary")
    readonly_fields = fields
    ordering = ("-started_at", "-id")

    @admin.display(description="Done")
    def progress(self, obj):
        return f"{obj.done:,} / {obj.total:,} ({obj.percent} %)"


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(admin.ModelAdmin):
    """Likely duplicates found on import: marketing merges each pair into the older lead or
    dismisses it, on a page that shows both leads side by side."""

    list_display = ("lead", "likely_duplicate_of", "similarity", "reason", "status", "found_at", "review")
    list_select_related = ("lead", "likely_duplicate_of")
    list_filter = ("status",)
    search_fields = ("lead__last_name", "lead__email", "likely_duplicate_of__last_name", "lead__company_domain")
    ordering = ("-found_at", "-id")
    show_full_result_count = False
    actions = ("dismiss_selected",)
    fields = ("lead", "likely_duplicate_of", "similarity", "reason", "status", "found_at", "resolved_by", "resolved_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return may_resolve_duplicates(request.user) and super().has_change_permission(request, obj)

    def get_urls(self):
        return [
            path("<int:pk>/merge/", self.admin_site.admin_view(self.merge_view), name="leads_duplicatecandidate_merge"),
            *super().get_urls(),
        ]

    @admin.display(description="")
    def review(self, obj):
        if obj.status != DuplicateCandidate.Status.OPEN:
            return ""
        return format_html('<a href="{}">Review…</a>', reverse("admin:leads_duplicatecandidate_merge", args=[obj.pk]))

    @admin.action(permissions=["change"], description="Not duplicates: dismiss selected pairs")
    def dismiss_selected(self, request, queryset):
        dismissed = duplicates_dismiss(candidates=queryset, by=request.user)
        self.message_user(request, f"Dismissed {dismissed} pair(s).")

    def merge_view(self, request, pk: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        candidate = (
            DuplicateCandidate.objects.select_related(
                "lead__source", "lead__campaign", "likely_duplicate_of__source", "likely_duplicate_of__campaign"
            )
            .filter(pk=pk)
            .first()
        )
        if candidate is None:
            raise Http404("No such pair.")
        changelist = reverse("admin:leads_duplicatecandidate_changelist")
        if request.method == "POST":
            try:
                if request.POST.get("action") == "merge":
                    survivor = duplicate_merge(candidate=candidate, by=request.user)
                    self.message_user(request, f"Merged into {survivor} (lead #{survivor.pk}).")
                else:
                    duplicate_dismiss(candidate=candidate, by=request.user)
                    self.message_user(request, "Recorded as two different people.")
            except (LeadError, NotAllowed) as error:
                self.message_user(request, str(error), messages.ERROR)
            return redirect(f"{changelist}?status__exact=open")
        survivor, duplicate = survivor_and_duplicate(candidate.lead, candidate.likely_duplicate_of)
        rows = [
            (label, getattr(survivor, name), getattr(duplicate, name))
            for name, label in (
                ("id", "Accord ID"),
                ("full_name", "Name"),
                ("email", "Email"),
                ("phone", "Phone"),
                ("title", "Title"),
                ("company", "Company"),
                ("country", "Country"),
                ("source", "Source"),
                ("campaign", "Campaign"),
                ("created_at", "Created"),
            )
        ]
        rows.append(("Stage", survivor.get_stage_display(), duplicate.get_stage_display()))
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge likely duplicates?",
            "opts": self.model._meta,
            "candidate": candidate,
            "survivor": survivor,
            "duplicate": duplicate,
            "rows": rows,
            "moves": {
                "hand-offs": duplicate.handoffs.count(),
                "touches": duplicate.touches.count(),
                "activities": duplicate.activities.count(),
                "events": duplicate.events.count(),
            },
        }
        return TemplateResponse(request, "admin/leads/duplicatecandidate/merge.html", context)
