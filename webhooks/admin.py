"""Webhook subscriptions and their delivery log, for marketing ops (alignment.roles grants the
permissions). Every change goes through webhooks.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from alignment.exceptions import NotAllowed
from webhooks import selectors, services
from webhooks.addresses import RefusedAddress, check_url
from webhooks.models import Delivery, DeliveryAttempt, EventType, Subscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https", help_text="http or https only.")
    events = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Subscription
        fields = ("name", "url", "events", "sources", "campaigns")
        help_texts = {
            "sources": "Only leads from these sources; none chosen: every source.",
            "campaigns": "Only leads from these campaigns; none chosen: every campaign.",
        }

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except RefusedAddress as error:
            raise ValidationError(str(error)) from None
        return url


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "status", "event_list", "pending_count", "failed_count", "consecutive_failures")
    list_filter = ("status",)
    search_fields = ("name", "url")
    autocomplete_fields = ("sources", "campaigns")
    readonly_fields = ("signing_secret", "status", "paused_reason", "consecutive_failures", "created_by", "created_at")
    actions = ("pause_selected", "resume_selected", "rotate_secret")

    def get_queryset(self, request):
        return selectors.subscriptions_with_counts()

    def get_fieldsets(self, request, obj=None):
        main = ("name", "url", "events", "sources", "campaigns")
        if obj is None:
            return [(None, {"fields": main})]
        return [(None, {"fields": main}), ("State", {"fields": self.readonly_fields})]

    def has_delete_permission(self, request, obj=None):
        return False  # pause instead: the delivery log stays

    @admin.display(description="Events")
    def event_list(self, obj):
        labels = dict(EventType.choices)
        return ", ".join(labels.get(event, event) for event in obj.events)

    @admin.display(description="Pending")
    def pending_count(self, obj):
        return obj.pending_count

    @admin.display(description="Failed")
    def failed_count(self, obj):
        return obj.failed_count

    @admin.display(description="Signing secret")
    def signing_secret(self, obj):
        return f"{obj.secret_hint} (shown in full once, when made or rotated)"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "url": data["url"],
            "events": data["events"],
            "sources": data["sources"],
            "campaigns": data["campaigns"],
        }
        if change:
            services.subscription_update(subscription=obj, by=request.user, **fields)
            return
        created, secret = services.subscription_create(by=request.user, **fields)
        obj.pk, obj._state.adding = created.pk, False
        self.message_user(
            request,
            f"The signing secret of “{created.name}” is {secret} . Copy it into the receiver now: it is not shown "
            "again (rotate it to get a new one).",
            messages.WARNING,
        )

    def save_related(self, request, form, formsets, change):
        pass  # the services set the sources and campaigns

    @admin.action(description="Pause the selected subscriptions", permissions=["change"])
    def pause_selected(self, request, queryset):
        paused = sum(services.subscription_pause(subscription=s, by=request.user) for s in queryset)
        self.message_user(request, f"Paused {paused} subscription(s).")

    @admin.action(description="Resume the selected subscriptions (send what waits)", permissions=["change"])
    def resume_selected(self, request, queryset):
        resumed = sum(services.subscription_resume(subscription=s, by=request.user) for s in queryset)
        self.message_user(request, f"Resumed {resumed} subscription(s).")

    @admin.action(description="Rotate the signing secret", permissions=["change"])
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            try:
                secret = services.subscription_rotate_secret(subscription=subscription, by=request.user)
            except NotAllowed as error:
                self.message_user(request, f"{subscription}: {error}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"The new signing secret of “{subscription.name}” is {secret} . The old one no longer verifies; "
                "it is not shown again.",
                messages.WARNING,
            )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("at", "kind", "status_code", "duration_ms", "error", "response_excerpt", "by")
    readonly_fields = fields
    ordering = ("-at", "-id")
    verbose_name_plural = "Delivery log"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event_id",
        "type",
        "subscription",
        "lead_link",
        "status",
        "attempts",
        "last_status",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "type", "subscription")
    search_fields = ("event_id",)
    show_full_result_count = False
    ordering = ("-id",)
    inlines = (DeliveryAttemptInline,)
    actions = ("send_again",)
    fields = (
        "subscription",
        "event_id",
        "type",
        "lead_link",
        "status",
        "attempts",
        "first_attempt_at",
        "next_attempt_at",
        "last_status",
        "last_error",
        "created_at",
        "delivered_at",
        "payload",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.delivery_log()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("webhooks.change_delivery")

    @admin.display(description="Lead")
    def lead_link(self, obj):
        return format_html('<a href="{}">#{}</a>', reverse("admin:leads_lead_change", args=[obj.lead_id]), obj.lead_id)

    @admin.action(description="Send the selected deliveries again", permissions=["resend"])
    def send_again(self, request, queryset):
        queued = services.deliveries_resend(deliveries=queryset, by=request.user)
        skipped = queryset.count() - queued
        self.message_user(
            request,
            f"Queued {queued} deliver{'y' if queued == 1 else 'ies'} again"
            + (f"; {skipped} still pending were left as they are." if skipped > 0 else "."),
        )
