"""The admin's import pages: upload → (map the columns) → preview → confirm → result, with a
progress bar while a worker previews or imports a large file. Registered by leads.admin."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html_join
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe

from alignment.roles import is_marketing
from config.forms import ValuesPerLineField
from leads.exceptions import LeadError
from leads.imports import jobs
from leads.imports.forms import ConfirmForm, MappingForm, UploadForm
from leads.imports.layouts import FIELDS, detect
from leads.models import ImportMapping, LeadImport
from leads.spreadsheets import csv_response

Status = LeadImport.Status


def _lines(pairs) -> str:
    """File value → what Accord makes of it, one per line."""
    rows = list(pairs)
    if not rows:
        return "—"
    return format_html_join(mark_safe("<br>"), "{} → {}", ((str(a), str(b)) for a, b in rows))


SHOWN_ERRORS = 200


class MarketingOnlyMixin:
    """Imports and mappings are marketing's: sales roles do not see them at all."""

    def has_module_permission(self, request):
        return self._marketing(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._marketing(request) and super().has_view_permission(request, obj)

    @staticmethod
    def _marketing(request) -> bool:
        return request.user.is_superuser or is_marketing(request.user)


class ImportMappingForm(forms.ModelForm):
    """The values that mean empty are edited one per line, not as JSON; stored as the same list."""

    empty_values = ValuesPerLineField(
        label="Values that mean empty",
        help_text='Cell values that mean "empty" in this layout, one per line (for example Select, then N/A).',
    )

    class Meta:
        model = ImportMapping
        fields = ("name", "empty_values", "day_first", "date_pattern", "phone_region")


@admin.register(ImportMapping)
class ImportMappingAdmin(MarketingOnlyMixin, admin.ModelAdmin):
    form = ImportMappingForm
    list_display = ("name", "columns_mapped", "day_first", "date_pattern", "phone_region", "created_by", "created_at")
    list_select_related = ("created_by",)
    fields = (
        "name",
        "column_list",
        "empty_values",
        "day_first",
        "date_pattern",
        "phone_region",
        "source_value_list",
        "outcome_value_list",
        "created_by",
        "created_at",
    )
    # The columns and the file's values are chosen on an import's own page, from the file itself.
    readonly_fields = ("column_list", "source_value_list", "outcome_value_list", "created_by", "created_at")
    search_fields = ("name",)

    @admin.display(description="Columns")
    def column_list(self, obj):
        return _lines((column, FIELDS.get(field, field)) for column, field in obj.columns.items())

    @admin.display(description="Source values")
    def source_value_list(self, obj):
        return _lines(obj.source_values.items())

    @admin.display(description="Outcome values")
    def outcome_value_list(self, obj):
        return _lines(obj.outcome_values.items())

    def has_add_permission(self, request):
        return False  # mappings are made on an import's page, from the file's own columns

    @admin.display(description="Columns")
    def columns_mapped(self, obj):
        return len(obj.columns)


@admin.register(LeadImport)
class LeadImportAdmin(MarketingOnlyMixin, admin.ModelAdmin):
    list_display = ("file_name", "status", "layout", "rows", "outcome", "uploaded_by", "created_at")
    list_select_related = ("uploaded_by",)
    list_filter = ("status", "layout")
    search_fields = ("file_name",)
    ordering = ("-created_at", "-id")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Rows")
    def rows(self, obj):
        return obj.total

    @admin.display(description="Outcome")
    def outcome(self, obj):
        figures = obj.result or obj.preview
        if not figures:
            return obj.failure or ""
        prefix = "" if obj.result else "would be: "
        return (
            f"{prefix}{figures['created']} created ({figures['flagged']} flagged), {figures['updated']} updated, "
            f"{figures['unchanged']} unchanged, {figures['rejected']} rejected"
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/rejected.csv", wrap(self.rejected_view), name="leads_leadimport_rejected"),
            *super().get_urls(),
        ]

    def _context(self, request, title: str, **extra) -> dict:
        return {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **extra}

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = jobs.lead_import_upload(
                    file_name=upload.name,
                    data=upload.read(),
                    by=request.user,
                    default_source=form.cleaned_data["default_source"],
                    mapping=form.cleaned_data["mapping"],
                    day_first=form.cleaned_data["day_first"],
                    strict=form.cleaned_data["strict"],
                )
            except LeadError as error:
                form.add_error("file", str(error))
            else:
                return redirect("admin:leads_leadimport_change", job.pk)
        return TemplateResponse(
            request, "admin/leads/leadimport/upload.html", self._context(request, "Import leads", form=form)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, admin.utils.unquote(object_id))
        if job is None or not self.has_view_permission(request, job):
            raise Http404("No such import.")
        if request.method == "POST":
            return self._act(request, job)
        if jobs.needs_mapping(job):
            header = jobs.header_of(job)
            detection = detect(header)
            # The upload's "dates are day first" and the best-guess layout are the starting point.
            form = MappingForm(
                header=header,
                guess=detection.guess,
                initial={"dates": "day_first"} if job.day_first else {},
            )
            return self._mapping_page(request, job, form, detection)
        return self._status_page(request, job)

    def _status_page(self, request, job, confirm_form: ConfirmForm | None = None):
        """The preview or the result; ``confirm_form`` is the confirmation as posted, with errors."""
        figures = job.result or job.preview
        context = self._context(
            request,
            job.file_name,
            job=job,
            figures=figures,
            errors=figures.get("errors", [])[:SHOWN_ERRORS],
            more_errors=max(0, len(figures.get("errors", [])) - SHOWN_ERRORS),
            working=job.status in (Status.PREVIEWING, Status.QUEUED, Status.RUNNING),
            warnings=figures.get("warnings", [])[:SHOWN_ERRORS],
            more_warnings=max(0, len(figures.get("warnings", [])) - SHOWN_ERRORS),
            may_confirm=job.status == Status.PREVIEWED and job.uploaded_by_id == request.user.pk,
            may_discard=job.status == Status.FAILED and job.uploaded_by_id == request.user.pk,
            fields=FIELDS,
        )
        if context["may_confirm"]:
            context["confirm_form"] = confirm_form or self._confirm_form(job, figures)
        return TemplateResponse(request, "admin/leads/leadimport/status.html", context)

    @staticmethod
    def _confirm_form(job, figures, data=None) -> ConfirmForm:
        needs_default = bool(figures.get("rows_without_source")) and job.default_source_id is None
        return ConfirmForm(data, figures=figures, needs_default=needs_default)

    def _mapping_page(self, request, job, form, detection=None):
        detection = detection or detect(jobs.header_of(job))
        context = self._context(request, f"Map the columns of {job.file_name}", job=job, form=form, detection=detection)
        return TemplateResponse(request, "admin/leads/leadimport/mapping.html", context)

    def _act(self, request, job):
        if job.uploaded_by_id != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "map" and jobs.needs_mapping(job):
                form = MappingForm(request.POST, header=jobs.header_of(job))
                if not form.is_valid():
                    return self._mapping_page(request, job, form)
                try:
                    jobs.lead_import_map(
                        job=job,
                        by=request.user,
                        name=form.cleaned_data["name"],
                        columns=form.columns(),
                        empty_values=form.empty_value_list(),
                        phone_region=form.cleaned_data["phone_region"],
                        **form.date_settings(),
                    )
                except LeadError as error:
                    form.add_error(None, str(error))
                    return self._mapping_page(request, job, form)
            elif action == "confirm":
                form = self._confirm_form(job, job.preview, request.POST)
                if not form.is_valid():
                    return self._status_page(request, job, confirm_form=form)
                job = jobs.lead_import_confirm(
                    job=job,
                    by=request.user,
                    default_source=form.cleaned_data["default_source"],
                    source_values=form.source_values(),
                )
                if job.status == Status.DONE:
                    self.message_user(request, f"{job.file_name} is imported.")
            elif action == "discard":
                jobs.lead_import_discard(job=job, by=request.user)
                self.message_user(request, f"{job.file_name} was discarded; nothing was imported.")
                return redirect("admin:leads_leadimport_changelist")
        except LeadError as error:
            self.message_user(request, str(error), messages.ERROR)
        return redirect("admin:leads_leadimport_change", job.pk)

    def rejected_view(self, request, pk: int):
        job = self.get_object(request, str(pk))
        if job is None or not self.has_view_permission(request, job):
            raise Http404("No such import.")
        stem = job.file_name.rsplit(".", 1)[0]
        response = csv_response(jobs.rejected_rows(job), f"{stem}-rejected.csv")
        # Uploaded files are named anything: quotes and non-Latin letters need RFC 6266's form.
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}-rejected.csv")
        return response
