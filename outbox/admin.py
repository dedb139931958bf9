from django.contrib import admin

from outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Every task and email as the outbox holds it: read-only, for superusers and the leaders
    (view permission), to see what is still unsent and why."""

    list_display = ("key", "kind", "created_at", "sent_at", "given_up_at", "attempts", "next_attempt_at", "short_error")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter), ("given_up_at", admin.EmptyFieldListFilter))
    search_fields = ("key",)
    ordering = ("-id",)
    show_full_result_count = False
    fields = (
        "kind",
        "key",
        "payload",
        "created_at",
        "sent_at",
        "given_up_at",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_error",
    )
    readonly_fields = fields

    @admin.display(description="Last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
