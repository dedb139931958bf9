"""Reads of the webhooks app. Subscriptions and their deliveries are marketing's (the admin's
role permissions decide who sees them at all); these shape what the pages show."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from webhooks.models import Delivery, DeliveryAttempt, Subscription


def _count(status: str) -> Coalesce:
    counted = (
        Delivery.objects.filter(subscription=OuterRef("pk"), status=status)
        .order_by()
        .values("subscription")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def subscriptions_with_counts() -> QuerySet[Subscription]:
    """Every subscription with its pending and failed deliveries counted in the same query."""
    return Subscription.objects.select_related("created_by").annotate(
        pending_count=_count(Delivery.Status.PENDING), failed_count=_count(Delivery.Status.FAILED)
    )


def delivery_log() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("subscription")


def attempts_of(delivery: Delivery) -> QuerySet[DeliveryAttempt]:
    return DeliveryAttempt.objects.filter(delivery=delivery).select_related("by").order_by("-at", "-id")
