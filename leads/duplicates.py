"""Likely duplicates, reviewed by a person: merged into the older lead, or dismissed.

Merging moves everything the duplicate carries (hand-offs, touches, activities, its event log)
to the older lead, fills the older lead's empty fields from the duplicate, marks the duplicate
"merged" and logs the merge on both. A lead that sales is working is not merged away: its owner
would lose it mid-conversation.
"""

from django.db import transaction
from django.utils import timezone

from alignment.actors import actor_name
from alignment.exceptions import NotAllowed
from alignment.roles import is_marketing
from leads.evaluation import lead_evaluate
from leads.exceptions import MergeRefused
from leads.matching import company_domain_of, normalize_email
from leads.models import ALLOWED_TRANSITIONS, Activity, DuplicateCandidate, Handoff, Lead, LeadEvent, Stage, Touch

# Fields the older lead takes from the duplicate when it has none of its own.
FILLABLE = (
    "first_name",
    "email",
    "phone",
    "title",
    "company",
    "country",
    "industry",
    "employees",
    "salesforce_id",
    "hubspot_id",
    "campaign",
)


def may_resolve_duplicates(user) -> bool:
    return user.is_superuser or is_marketing(user)


def _open_candidate(candidate_id: int) -> DuplicateCandidate:
    candidate = DuplicateCandidate.objects.select_for_update().filter(pk=candidate_id).first()
    if candidate is None:
        raise MergeRefused("This pair no longer exists.")
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise MergeRefused(f"This pair was already resolved ({candidate.get_status_display().lower()}).")
    return candidate


def survivor_and_duplicate(first: Lead, second: Lead) -> tuple[Lead, Lead]:
    """The older lead survives; on a tie, the one created first in the database."""
    return tuple(sorted((first, second), key=lambda lead: (lead.created_at, lead.pk)))


def duplicate_merge(*, candidate: DuplicateCandidate, by) -> Lead:
    """Merge the pair's newer lead into the older one and return the survivor. Raises
    MergeRefused (nothing changes) when the pair is resolved or the newer lead is being worked."""
    if not may_resolve_duplicates(by):
        raise NotAllowed("Only marketing merges duplicate leads.")
    now = timezone.now()
    with transaction.atomic():
        candidate = _open_candidate(candidate.pk)
        leads = Lead.objects.select_for_update().filter(pk__in=[candidate.lead_id, candidate.likely_duplicate_of_id])
        survivor, duplicate = survivor_and_duplicate(*leads)
        for lead in (survivor, duplicate):
            if lead.stage == Stage.MERGED:
                raise MergeRefused(f"{lead} was already merged into another lead.")
        if Stage.MERGED not in ALLOWED_TRANSITIONS[duplicate.stage]:
            raise MergeRefused(
                f"{duplicate} is {duplicate.get_stage_display().lower()}: only a lead marketing holds (new, "
                "nurturing, MQL) or a disqualified one can be merged into another."
            )
        filled = {}
        for name in FILLABLE:
            theirs = getattr(duplicate, name)
            if theirs not in ("", None) and getattr(survivor, name) in ("", None):
                filled[name] = theirs
        moved = {
            "handoffs": Handoff.objects.filter(lead=duplicate).update(lead=survivor),
            "touches": Touch.objects.filter(lead=duplicate).update(lead=survivor),
            "activities": Activity.objects.filter(lead=duplicate).update(lead=survivor),
            "events": LeadEvent.objects.filter(lead=duplicate).update(lead=survivor),
        }
        # External ids are unique: the duplicate gives its ids up before the survivor takes them.
        Lead.objects.filter(pk=duplicate.pk).update(
            stage=Stage.MERGED, stage_changed_at=now, salesforce_id="", hubspot_id="", updated_at=now
        )
        for name, value in filled.items():
            setattr(survivor, name, value)
        survivor.email_normalized = normalize_email(survivor.email)
        survivor.company_domain = company_domain_of(survivor.email)
        survivor.save()
        LeadEvent.objects.bulk_create(
            [
                LeadEvent(
                    lead=survivor,
                    kind=LeadEvent.Kind.MERGED,
                    actor=by,
                    actor_name=actor_name(by),
                    created_at=now,
                    details={
                        "merged_lead": duplicate.pk,
                        "merged_name": str(duplicate),
                        "moved": moved,
                        "filled": {name: str(getattr(value, "pk", value)) for name, value in filled.items()},
                    },
                ),
                LeadEvent(
                    lead=duplicate,
                    kind=LeadEvent.Kind.MERGED,
                    actor=by,
                    actor_name=actor_name(by),
                    created_at=now,
                    from_stage=duplicate.stage,
                    to_stage=Stage.MERGED,
                    details={"merged_into": survivor.pk, "merged_into_name": str(survivor)},
                ),
            ]
        )
        DuplicateCandidate.objects.filter(pk=candidate.pk).update(
            status=DuplicateCandidate.Status.MERGED, resolved_by=by, resolved_at=now
        )
        # Other open pairs that name the merged-away lead are settled by this merge.
        DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN).filter(lead=duplicate).update(
            status=DuplicateCandidate.Status.DISMISSED, resolved_by=by, resolved_at=now
        )
        DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN, likely_duplicate_of=duplicate).update(
            status=DuplicateCandidate.Status.DISMISSED, resolved_by=by, resolved_at=now
        )
        lead_evaluate(lead=Lead.objects.select_related("source").get(pk=survivor.pk))
    return survivor


def duplicate_dismiss(*, candidate: DuplicateCandidate, by) -> DuplicateCandidate:
    """Record that the pair are two different people."""
    if not duplicates_dismiss(candidates=DuplicateCandidate.objects.filter(pk=candidate.pk), by=by):
        _open_candidate(candidate.pk)  # raises with the reason the pair is not open
    candidate.refresh_from_db()
    return candidate


def duplicates_dismiss(*, candidates, by) -> int:
    """Record that each open pair among ``candidates`` are two different people (one UPDATE);
    returns how many were open."""
    if not may_resolve_duplicates(by):
        raise NotAllowed("Only marketing resolves duplicate leads.")
    return candidates.filter(status=DuplicateCandidate.Status.OPEN).update(
        status=DuplicateCandidate.Status.DISMISSED, resolved_by=by, resolved_at=timezone.now()
    )
