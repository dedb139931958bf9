"""Reads of the API app."""

from django.db.models import QuerySet

from alignment import policies
from api.models import ApiRequest, Integration, IntegrationKey
from leads.models import SALES_STAGES, ExternalId, Handoff, Lead

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


def leads_answered(*, lead_ids: list[int], readable: QuerySet[Lead]) -> list[Lead]:
    """What the API answers about leads, in at most three queries: the leads, each carrying its
    external ids (``answer_external_ids``) and its open hand-off or None (``open_handoff``; a lead
    only has one in a sales stage)."""
    leads = list(readable.filter(pk__in=lead_ids))
    external_ids: dict[int, list[dict]] = {}
    rows = ExternalId.objects.filter(lead_id__in=lead_ids).order_by("id").values_list("lead_id", "system", "value")
    for lead_id, system, value in rows:
        external_ids.setdefault(lead_id, []).append({"system": system, "id": value})
    in_sales = [lead.pk for lead in leads if lead.stage in SALES_STAGES]
    handoffs = handoffs_open_of(in_sales) if in_sales else {}
    for lead in leads:
        lead.answer_external_ids = external_ids.get(lead.pk, [])
        lead.open_handoff = handoffs.get(lead.pk)
    return leads
