"""Webhooks hear of lead events as soon as their transaction commits: each receiver asks for
one delivery run after it (webhooks.services.kick)."""

from webhooks import services


def lead_event_saved(sender, instance, created, **kwargs) -> None:
    if created:
        services.kick()


def leads_became_sales_ready(sender, **kwargs) -> None:
    services.kick()
