"""Demo data for the dashboard: every demo campaign has a cost; some of the leads reps work
were found by the reps themselves, so the rep-skills figure has both sides; and the demo
hand-offs record the active definition, some of them as overrides, so definition effectiveness
has both columns. Idempotent: campaigns with a cost, leads already marked as self-sourced, and
hand-offs that record a definition are left alone.

Called from `seed_demo` through the demo_data_loaded signal."""

import random
from decimal import Decimal

from alignment.models import QualificationDefinition
from leads.models import Campaign, Handoff, Lead

# What a campaign without a recorded cost is given, per lead it brought.
DEMO_COST_PER_LEAD = Decimal("40")
# About one in twelve of the leads reps accepted is marked as found by the rep.
SELF_SOURCED_SHARE = 1 / 12
# About one demo hand-off in six went to sales although the lead was not sales-ready.
OVERRIDE_SHARE = 1 / 6


def ensure_dashboard_demo(*, seed: int = 11) -> str:
    costed = 0
    for campaign in Campaign.objects.filter(cost=0):
        campaign.cost = DEMO_COST_PER_LEAD * max(1, campaign.leads.count())
        campaign.save(update_fields=["cost"])
        costed += 1
    marked = 0
    if not Lead.objects.filter(sourced_by__isnull=False).exists():
        rng = random.Random(seed)
        accepted = list(
            Handoff.objects.filter(status=Handoff.Status.ACCEPTED)
            .order_by("id")
            .values_list("lead_id", "assigned_to_id")
        )
        chosen = [(lead, rep) for lead, rep in accepted if rng.random() < SELF_SOURCED_SHARE]
        by_rep: dict[int, list[int]] = {}
        for lead, rep in chosen:
            by_rep.setdefault(rep, []).append(lead)
        for rep, leads in by_rep.items():
            marked += Lead.objects.filter(pk__in=leads).update(sourced_by_id=rep)
    recorded = _record_definition(rng=random.Random(seed + 1))
    done = []
    if costed:
        done.append(f"gave {costed} demo campaigns a cost")
    if marked:
        done.append(f"marked {marked} demo leads as found by their rep")
    if recorded:
        done.append(f"recorded the definition on {recorded} demo hand-offs")
    return ("Dashboard demo: " + ", ".join(done) + ".") if done else ""


def _record_definition(*, rng: random.Random) -> int:
    active = QualificationDefinition.objects.filter(status=QualificationDefinition.Status.ACTIVE).first()
    if active is None or Handoff.objects.filter(definition__isnull=False).exists():
        return 0
    ids = list(Handoff.objects.order_by("id").values_list("id", flat=True))
    overridden = [pk for pk in ids if rng.random() < OVERRIDE_SHARE]
    Handoff.objects.filter(pk__in=ids).update(definition=active)
    Handoff.objects.filter(pk__in=overridden).update(
        override=True, override_reason="The account team asked for it although the lead was not sales-ready."
    )
    return len(ids)
