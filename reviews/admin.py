"""Meetings and items change only through the workspace and the services (opening, updates,
outcomes, close); the admin shows them, scoped like the workspace, and can close a meeting."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from alignment import policies
from alignment.exceptions import NotAllowed
from alignment.roles import Role, has_role
from leads.admin import ReadOnlyAdminMixin
from reviews import selectors, services
from reviews.exceptions import ReviewError
from reviews.models import ReviewEvent, ReviewItem, ReviewMeeting


class ReadOnlyScopedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if self.get_object(request, admin.utils.unquote(object_id)) is None:
            raise Http404("No such record, or it is not yours to see.")
        return super().change_view(request, object_id, form_url, extra_context)


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    # The actor's name as written at the time (alignment.actors), not the account's name today.
    fields = ("created_at", "kind", "actor_name", "details")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "Event log"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(ReadOnlyScopedAdmin):
    list_display = ("__str__", "team", "week", "status", "item_count", "updated_count", "discussed_count", "closed_at")
    list_select_related = ("team",)
    list_filter = ("status", "team")
    search_fields = ("team__name",)
    ordering = ("-week_start", "team__name")
    date_hierarchy = "week_start"
    fields = (
        ("team", "week_start", "status"),
        ("scheduled_at", "duration_minutes"),
        ("opened_at", "opened_by"),
        ("closed_at", "closed_by", "minutes_sent_at"),
    )
    readonly_fields = (
        "team",
        "week_start",
        "status",
        "scheduled_at",
        "duration_minutes",
        "opened_at",
        "opened_by",
        "closed_at",
        "closed_by",
        "minutes_sent_at",
    )
    inlines = (ReviewEventInline,)
    actions = ("close_meetings",)

    def get_queryset(self, request):
        def count(condition=None):
            return Coalesce(
                Subquery(
                    ReviewItem.objects.filter(condition or Q(), meeting=OuterRef("pk"))
                    .order_by()
                    .values("meeting")
                    .annotate(n=Count("id"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )

        return (
            selectors.meetings_visible_to(user=request.user)
            .select_related("opened_by", "closed_by")
            .annotate(
                item_count=count(),
                updated_count=count(Q(updated_at__isnull=False)),
                discussed_count=count(Q(discussed_at__isnull=False)),
            )
        )

    @admin.display(ordering="week_start", description="Week")
    def week(self, obj):
        return obj.week

    @admin.display(ordering="item_count", description="Items")
    def item_count(self, obj):
        return obj.item_count

    @admin.display(ordering="updated_count", description="With update")
    def updated_count(self, obj):
        return obj.updated_count

    @admin.display(ordering="discussed_count", description="Discussed")
    def discussed_count(self, obj):
        return obj.discussed_count

    def has_close_permission(self, request):
        # Who may close which meeting is the service's rule (the team's manager or a sales leader).
        user = request.user
        return user.is_superuser or has_role(user, Role.SALES_LEADER, Role.SALES_MANAGER)

    @admin.action(permissions=["close"], description="Close selected meetings (apply their outcomes)")
    def close_meetings(self, request, queryset):
        closed = 0
        for meeting in queryset.select_related("team"):
            try:
                services.review_meeting_close(meeting=meeting, by=request.user)
            except (ReviewError, NotAllowed) as error:
                self.message_user(request, f"{meeting}: {error}", messages.WARNING)
            else:
                closed += 1
        if closed:
            self.message_user(request, f"Closed {closed} meeting(s) and applied their outcomes.")


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyScopedAdmin):
    list_display = (
        "lead",
        "meeting",
        "rep",
        "stage",
        "days_in_stage",
        "sla_status",
        "inherited",
        "carried_weeks",
        "has_update",
        "outcome",
        "next_step_due",
    )
    list_select_related = ("lead", "meeting__team", "rep")
    list_filter = ("outcome", "sla_status", "inherited", "stage", "meeting__status", "meeting__team")
    search_fields = ("lead__last_name", "lead__company", "lead__email", "rep__username", "next_step")
    ordering = ("-meeting__week_start", "rep_id", "id")
    readonly_fields = [field.name for field in ReviewItem._meta.fields if field.name != "id"]

    def get_queryset(self, request):
        visible = selectors.meetings_visible_to(user=request.user)
        items = ReviewItem.objects.filter(meeting__in=visible.values("pk"))
        return policies.visible(items, request.user, team="meeting__team", person="rep")

    @admin.display(boolean=True, description="Update")
    def has_update(self, obj):
        return obj.updated_at is not None
