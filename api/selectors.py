"""Reads of the API app."""

from django.db.models import QuerySet

from alignment import policies
from api.models import ApiRequest, Integration, IntegrationKey
from leads.models import SALES_STAGES, Handoff, Lead

# A key's secret part is 32 characters after an 8-character prefix and a dot.
KEY_LENGTH = 41


def key_in_use(key: str) -> IntegrationKey | None:
    """The unrevoked key of an unrevoked integration that ``key`` is, else None."""
    prefix, dot, _ = key.partition(".")
    if len(key) != KEY_LENGTH or not dot:
        return None
    try:
        found = IntegrationKey.objects.select_related("integration__default_source").get(
            prefix=prefix, revoked=False, integration__revoked_at__isnull=True
        )  # the prefix is unique: no ordering to compile, as first() would add
    except IntegrationKey.DoesNotExist:
        return None
    return found if found.is_valid(key) else None


def integration_requests(*, integration: Integration, limit: int = 50) -> QuerySet[ApiRequest]:
    return integration.requests.all()[:limit]


def leads_readable(*, user, integration: Integration | None) -> QuerySet[Lead]:
    """An integration reads every lead (it works for the whole organisation); a person the leads
    their role lets them see."""
    leads = Lead.objects.select_related("source", "campaign", "team", "owner")
    return leads if integration is not None else policies.visible(leads, user, team="team", person="owner")


def handoffs_readable(*, user, integration: Integration | None) -> QuerySet[Handoff]:
    handoffs = Handoff.objects.select_related("lead", "team", "assigned_to", "reason")
    if integration is None:
        handoffs = policies.visible(handoffs, user, team="team", person="assigned_to")
    return handoffs


def handoffs_open_of(lead_ids: list[int]) -> dict[int, Handoff]:
    """Each lead's open (pending or accepted and not closed) hand-off, if it has one."""
    handoffs = (
        Handoff.objects.open()
        .filter(lead_id__in=lead_ids)
        .select_related("team", "assigned_to")
        .order_by("lead_id", "-created_at")
    )
    found: dict[int, Handoff] = {}
    for handoff in handoffs:
        found.setdefault(handoff.lead_id, handoff)
    return found


def leads_answered(*, lead_ids: list[int], readable: QuerySet[Lead], columns: list[str]) -> list[dict]:
    """What the API answers about leads: for each, a row of ``columns`` (ORM paths, "id" and
    "stage" among them) with its external ids (``answer_external_ids``) and its open hand-off or
    None (``open_handoff``; a lead only has one in a sales stage). At most two queries, the
    leads joined with their external ids and the hand-offs; rows rather than model instances,
    since building a lead and its four related models cost more than reading them."""
    leads: dict[int, dict] = {}
    rows = (
        readable.filter(pk__in=lead_ids)
        .order_by("id", "external_ids__id")
        .values(*columns, "external_ids__system", "external_ids__value")
    )
    for row in rows:
        system, value = row.pop("external_ids__system"), row.pop("external_ids__value")
        lead = leads.setdefault(row["id"], {**row, "answer_external_ids": []})
        if system is not None:
            lead["answer_external_ids"].append({"system": system, "id": value})
    in_sales = [pk for pk, lead in leads.items() if lead["stage"] in SALES_STAGES]
    handoffs = handoffs_open_of(in_sales) if in_sales else {}
    for pk, lead in leads.items():
        lead["open_handoff"] = handoffs.get(pk)
    return list(leads.values())
