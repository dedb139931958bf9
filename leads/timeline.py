"""A lead's history as a person reads it: one sentence per LeadEvent, with people's full names
and, where one exists, a link to what the event is about (the hand-off, the import, the review
meeting, the definition version, the other lead of a merge).

The one place that turns an event into words: one function per LeadEvent.Kind in ``SENTENCES``
(a kind without one would fail the test that renders every kind). Names are resolved for all the
events of a page at once (:func:`timeline`): one query for the people, whatever the number of
events; the definition versions come with the events (selectors.lead_events)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse

from alignment.models import ACTIVITY_KINDS, RejectionReason
from leads.models import Lead, LeadEvent, Stage, Touch

# Keys of event details that hold a username.
_USERNAME_KEYS = ("assigned_to", "from", "to", "reassigned_to", "rep")

_DISPOSITION_WORDS = {
    RejectionReason.Disposition.RECYCLE: "back to nurture",
    RejectionReason.Disposition.DISQUALIFY: "disqualified",
    RejectionReason.Disposition.DUPLICATE: "set aside as a duplicate",
}

_REVIEW_OUTCOMES = {
    "progressing": "progressing",
    "stalled": "stalled",
    "recycle": "back to nurture",
    "disqualify": "disqualified",
    "won": "won",
    "lost": "lost",
    "reassign": "reassigned",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    sentence: str
    note: str = ""
    link: str = ""
    link_label: str = ""


@dataclass
class _Names:
    """What the sentences need to know beyond the event: people by username, the lead's
    hand-offs by id, and whether the viewer may open admin pages."""

    people: dict[str, str]
    handoffs: dict[int, object]
    staff: bool

    def person(self, details: dict, key: str) -> str:
        """The person the details name under ``key``: by the name written at the time
        (``<key>_name``), else (older events) by their name now."""
        if details.get(f"{key}_name"):
            return str(details[f"{key}_name"])
        username = details.get(key)
        if not username:
            return "someone"
        return self.people.get(str(username), str(username))


def _actor(event: LeadEvent) -> str:
    return event.actor_name or "Accord"


def _stage(value: str) -> str:
    return Stage(value).label if value in Stage.values else value


def _where(details: dict) -> str:
    return _DISPOSITION_WORDS.get(details.get("disposition"), "")


def _handoff_link(details: dict) -> tuple[str, str]:
    pk = details.get("handoff")
    return (f"#handoff-{pk}", "See the hand-off") if isinstance(pk, int) else ("", "")


def _created(event, names):
    details = event.details
    if details.get("via"):
        return f"Arrived through the {details['via']}" + (f" “{details['form']}”" if details.get("form") else "") + "."
    if details.get("file"):
        return f"{_actor(event)} imported this lead from {details['file']} (row {details.get('row', '?')})."
    return f"{_actor(event)} created this lead."


def _import_link(event, names) -> tuple[str, str]:
    pk = event.details.get("import")
    if names.staff and isinstance(pk, int):
        return reverse("admin:leads_leadimport_change", args=[pk]), "See the import"
    return "", ""


def _updated(event, names):
    changes = event.details.get("changes") or {}
    fields = [_field_label(name) for name in changes]
    if not fields:
        return f"{_actor(event)} updated the lead."
    return f"{_actor(event)} changed the {_and_list(fields)}."


def _imported(event, names):
    details = event.details
    changes = details.get("changes") or {}
    what = f": {_and_list([_field_label(name) for name in changes])}" if changes else ""
    source = details.get("file") or details.get("via") or "a file"
    return f"{_actor(event)} updated it from {source} (row {details.get('row', '?')}){what}."


def _stage_changed(event, names):
    if event.from_stage:
        return f"{_actor(event)} moved it from {_stage(event.from_stage)} to {_stage(event.to_stage)}."
    return f"{_actor(event)} moved it to {_stage(event.to_stage)}."


def _handed_off(event, names):
    details = event.details
    handoff = names.handoffs.get(details.get("handoff"))
    who = _actor(event)
    if not event.actor_name and details.get("rule"):
        who = f"Accord (routing rule “{details['rule']}”)"
    team = f" ({details['team']})" if details.get("team") else ""
    grading = ""
    if handoff is not None and handoff.grade:
        grading = f" as {handoff.grade} · {handoff.bucket}" if handoff.bucket else f" as grade {handoff.grade}"
    return f"{who} handed this lead to {names.person(details, 'assigned_to')}{team}{grading}."


def _accepted(event, names):
    return f"{_actor(event)} accepted it."


def _rejected(event, names):
    where = _where(event.details)
    label = event.details.get("reason_label") or "no reason given"
    return f"{_actor(event)} rejected it: {label}" + (f" — {where}." if where else ".")


def _given_up(event, names):
    where = _where(event.details)
    label = event.details.get("reason_label") or "no reason given"
    return f"{_actor(event)} gave it up after working it: {label}" + (f" — {where}." if where else ".")


def _touched(event, names):
    details = event.details
    kind = Touch.Kind(details["kind"]).label.lower() if details.get("kind") in Touch.Kind.values else "touch"
    result = details.get("result")
    outcome = f": {Touch.Result(result).label.lower()}" if result and result in Touch.Result.values else ""
    article = "an" if kind[:1] in "aeiou" else "a"
    return f"{_actor(event)} logged {article} {kind}{outcome}."


def _reassigned(event, names):
    details = event.details
    why = details.get("reason") or ""
    return f"{_actor(event)} gave it to {names.person(details, 'to')} instead of {names.person(details, 'from')}" + (
        f": {why}." if why else "."
    )


def _inherited(event, names):
    details = event.details
    return (
        f"{names.person(details, 'to')} took it over from {names.person(details, 'from')}, who left"
        f" the team or was deactivated."
    )


def _expired(event, names):
    return "Nobody accepted or rejected it in time: it went back to the marketing queue."


def _returned(event, names):
    return "It went back to the marketing queue: nobody is left in its sales team."


def _reviewed(event, names):
    details = event.details
    outcome = _REVIEW_OUTCOMES.get(details.get("outcome"), details.get("outcome") or "no outcome")
    sentence = f"{_actor(event)} reviewed it in the weekly meeting: {outcome}."
    if details.get("next_step"):
        due = f" (by {details['next_step_due']})" if details.get("next_step_due") else ""
        sentence += f" Next step: {str(details['next_step']).rstrip('.')}{due}."
    return sentence


def _review_link(event, names) -> tuple[str, str]:
    pk = event.details.get("meeting")
    return (reverse("review_meeting", args=[pk]), "See the meeting") if isinstance(pk, int) else ("", "")


def _activity(event, names):
    kinds = dict(ACTIVITY_KINDS)
    kind = kinds.get(event.details.get("kind"), "an activity")
    return f"{_actor(event)} logged that the lead did this: {str(kind).lower()}."


def _merged(event, names):
    details = event.details
    if details.get("merged_into"):
        return f"{_actor(event)} merged this lead into {details.get('merged_into_name') or 'another lead'}."
    return f"{_actor(event)} merged {details.get('merged_name') or 'a duplicate'} into this lead."


def _merge_link(event, names) -> tuple[str, str]:
    other = event.details.get("merged_into") or event.details.get("merged_lead")
    return (reverse("lead_detail", args=[other]), "See the other lead") if isinstance(other, int) else ("", "")


def _sales_ready(event, names):
    version = event.details.get("version")
    return f"It became sales-ready under definition v{version}." if version else "It became sales-ready."


def _definition_link(event, names) -> tuple[str, str]:
    # The version's id comes with the event (selectors.lead_events), not from a query per event.
    pk = getattr(event, "definition_pk", None)
    return (reverse("definition_detail", args=[pk]), "See the definition") if pk else ("", "")


def _routed(event, names):
    details = event.details
    if not details.get("rule"):
        return "No routing rule matched: it waits in the marketing queue."
    team = f" to {details['team']}" if details.get("team") else ""
    rep = f", for {names.person(details, 'rep')}" if details.get("rep") else ""
    waiting = f"; it stays with marketing: {details['waiting']}" if details.get("waiting") else ""
    return f"Routing rule “{details['rule']}” sent it{team}{rep}{waiting}."


# Kind → (sentence, link). Every LeadEvent.Kind has one.
SENTENCES: dict[str, tuple[Callable, Callable | None]] = {
    LeadEvent.Kind.CREATED: (_created, _import_link),
    LeadEvent.Kind.UPDATED: (_updated, _import_link),
    LeadEvent.Kind.STAGE_CHANGED: (_stage_changed, None),
    LeadEvent.Kind.HANDED_OFF: (_handed_off, lambda event, names: _handoff_link(event.details)),
    LeadEvent.Kind.ACCEPTED: (_accepted, lambda event, names: _handoff_link(event.details)),
    LeadEvent.Kind.REJECTED: (_rejected, lambda event, names: _handoff_link(event.details)),
    LeadEvent.Kind.TOUCHED: (_touched, None),
    LeadEvent.Kind.REASSIGNED: (_reassigned, None),
    LeadEvent.Kind.INHERITED: (_inherited, None),
    LeadEvent.Kind.GIVEN_UP: (_given_up, None),
    LeadEvent.Kind.EXPIRED: (_expired, None),
    LeadEvent.Kind.RETURNED: (_returned, None),
    LeadEvent.Kind.REVIEWED: (_reviewed, _review_link),
    LeadEvent.Kind.ACTIVITY: (_activity, None),
    LeadEvent.Kind.IMPORTED: (_imported, _import_link),
    LeadEvent.Kind.MERGED: (_merged, _merge_link),
    LeadEvent.Kind.SALES_READY: (_sales_ready, _definition_link),
    LeadEvent.Kind.ROUTED: (_routed, None),
}


def _field_label(name: str) -> str:
    try:
        return str(Lead._meta.get_field(name).verbose_name)
    except Exception:  # a field since removed: say its name in words
        return name.replace("_", " ")


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def entry_of(event: LeadEvent, names: _Names) -> Entry:
    sentence, link = SENTENCES.get(event.kind, (None, None))
    text = sentence(event, names) if sentence else f"{event.get_kind_display()}."
    url, label = link(event, names) if link else ("", "")
    note = event.details.get("note") or ""
    return Entry(at=event.created_at, kind=event.kind, sentence=text, note=str(note), link=url, link_label=label)


def timeline(events: Iterable[LeadEvent], *, handoffs: Iterable = (), viewer=None) -> list[Entry]:
    """The events as entries, in the order given: one query for the people they name (none when
    they name nobody). Events read through selectors.lead_events link to their definition."""
    events = list(events)
    usernames = {
        str(event.details[key])
        for event in events
        for key in _USERNAME_KEYS
        if event.details.get(key) and not event.details.get(f"{key}_name")
    }
    people = {}
    if usernames:
        for user in get_user_model().objects.filter(username__in=usernames):
            people[user.username] = user.get_full_name() or user.username
    names = _Names(
        people=people,
        handoffs={handoff.pk: handoff for handoff in handoffs},
        staff=bool(viewer is not None and viewer.is_staff),
    )
    return [entry_of(event, names) for event in events]
