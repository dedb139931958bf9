"""The name a history row keeps for the person who acted.

Event logs (lead, definition and review events) store the actor's name as written at the time,
next to the link to the account, so the history still says who did what after the person
changes their name or leaves. Every place that writes an event row takes the name from here."""

from django.db.models import Case, CharField, OuterRef, Subquery, Value, When
from django.db.models.functions import Concat, Trim


def actor_name(user) -> str:
    """What the history shows for `user`: the full name, else the username; "" for Accord itself."""
    if user is None:
        return ""
    return user.get_full_name() or user.username


def actor_names_backfill(event_model, user_model) -> int:
    """Fill `actor_name` from the accounts' current names where it is empty (one UPDATE; the
    data migrations call it with their historical models)."""
    full = Trim(Concat("first_name", Value(" "), "last_name", output_field=CharField()))
    name = Case(When(first_name="", last_name="", then="username"), default=full, output_field=CharField())
    names = user_model.objects.filter(pk=OuterRef("actor_id")).annotate(name=name).values("name")[:1]
    return event_model.objects.filter(actor__isnull=False, actor_name="").update(actor_name=Subquery(names))
