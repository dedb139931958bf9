from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from alignment.models import Membership, RejectionReason, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "joined_at", "ended_at", "last_assigned_at")
    readonly_fields = ("joined_at", "last_assigned_at")
    autocomplete_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "manager", "time_zone", "member_count")
    list_select_related = ("manager",)
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("manager",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "manager")}),
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


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "phase", "disposition", "is_active", "position")
    list_filter = ("phase", "disposition", "is_active")
    search_fields = ("label", "code")
    ordering = ("position",)
