"""Integrations in the admin, for marketing ops: make one (its key is shown once), change its
scopes, rotate its key, revoke it, and read its request log. Every change goes through
api.services."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join

from api import selectors, services
from api.models import ApiRequest, Integration, Scope
from leads.admin import ReadOnlyAdminMixin


class IntegrationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Integration
        fields = ("name", "scopes", "default_source")


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ("name", "scope_list", "default_source", "last_used_at", "revoked_at")
    list_select_related = ("default_source",)
    readonly_fields = ("created_by", "created_at", "last_used_at", "revoked_at", "recent_requests")
    actions = ("rotate_key", "revoke")

    def get_readonly_fields(self, request, obj=None):
        # The name is what its events and log say it was: it is given once.
        return (*self.readonly_fields, "name") if obj else ()

    def get_fields(self, request, obj=None):
        fields = ["name", "scopes", "default_source"]
        return [*fields, *self.readonly_fields] if obj else fields

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        labels = dict(Scope.choices)
        return ", ".join(labels.get(scope, scope) for scope in obj.scopes)

    @admin.display(description="Last requests")
    def recent_requests(self, obj):
        rows = selectors.integration_requests(integration=obj, limit=20)
        return (
            format_html_join(
                "\n",
                "<div>{} {} {} → {} ({} ms)</div>",
                ((r.at, r.method, r.path, r.status, r.duration_ms) for r in rows),
            )
            or "No requests yet."
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                services.integration_update(
                    integration=obj, scopes=data["scopes"], default_source=data["default_source"]
                )
                return
            created, key = services.integration_create(
                name=data["name"], scopes=data["scopes"], by=request.user, default_source=data["default_source"]
            )
        except services.IntegrationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        obj.pk = created.pk
        self.message_user(request, f"The key of {created}, shown this once: {key}", messages.WARNING)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: its log and the leads it sent name it

    @admin.action(permissions=["change"], description="Rotate the key (the old one stops working)")
    def rotate_key(self, request, queryset):
        for integration in queryset:
            try:
                key = services.integration_key_rotate(integration=integration)
            except services.IntegrationError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, f"The new key of {integration}, shown this once: {key}", messages.WARNING)

    @admin.action(permissions=["change"], description="Revoke (its keys stop working)")
    def revoke(self, request, queryset):
        for integration in queryset:
            services.integration_revoke(integration=integration)
        self.message_user(request, f"Revoked {queryset.count()} integration(s).")


@admin.register(ApiRequest)
class ApiRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "integration", "method", "path", "status", "duration_ms")
    list_filter = ("integration", "status")
    list_select_related = ("integration",)
    show_full_result_count = False
