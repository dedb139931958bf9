"""Workspace pages. Each view loads what the viewer may see (selectors), calls one service,
and redirects; rules live in services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from alignment import policies
from alignment.exceptions import AlignmentError
from alignment.models import QualificationDefinition, RejectionReason
from alignment.roles import is_marketing
from alignment.selectors import definition_problems
from alignment.services import may_draft
from config import navigation
from leads import evaluation, learning, notifications, selectors, services
from leads.exceptions import LeadError
from leads.exports import FORMATS, export_rows
from leads.filters import InboxFilter, LeadFilter, OutcomeFilter
from leads.forms import (
    ActivityForm,
    AdvanceForm,
    HandoffForm,
    NotificationPreferencesForm,
    OutcomePeriodForm,
    RejectForm,
    TouchForm,
)
from leads.models import ALLOWED_TRANSITIONS, MARKETING_STAGES, WORKING_STAGES, Handoff, Stage, Touch
from leads.spreadsheets import csv_response, xlsx_response
from leads.timeline import timeline
from security.limits import parse_id
from security.redirects import next_url

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# Who may open the inbox and the outcomes page is the one rule in alignment.policies (the
# navigation asks it too).
_works_in_sales = policies.works_in_sales
_follows_outcomes = policies.follows_outcomes


@login_required
def home(request):
    """Send each person to what their role needs first."""
    start = navigation.start_page(request.user)
    if start is not None:
        return redirect(start)
    return render(request, "leads/no_role.html")


# At most this many hand-offs are accepted in one go (two pages of the queue).
BULK_ACCEPT_MAX = 2 * PAGE_SIZE


def _queue_context(request) -> dict:
    """What every rendering of a work-queue row needs besides the row."""
    return {
        "before_reasons": [
            r for r in selectors.rejection_reasons_in_force() if r.phase == RejectionReason.Phase.BEFORE_WORKING
        ],
        "touch_kinds": Touch.Kind.choices,
        "touch_results": [(value, label) for value, label in Touch.Result.choices if value],
        "now": timezone.now(),
    }


def _queue_row(request, handoff_pk: int, *, done: str = "", **extra):
    """The answer to an inline action (htmx): the row as it is now, or, once it has left the
    queue, a line saying so; with the action's messages."""
    row = next(iter(selectors.queue_rows(selectors.inbox_for(user=request.user).filter(pk=handoff_pk))), None)
    if row is None and not done:
        done = " ".join(extra.get("reject_errors") or []) or "This lead is no longer in your queue."
    context = {**_queue_context(request), "handoff": row, "done_pk": handoff_pk, "done_text": done, **extra}
    return render(request, "leads/_queue_row_response.html", context)


@login_required
def inbox(request):
    _require(_works_in_sales(request.user))
    filterset = InboxFilter(request.GET, queryset=selectors.inbox_for(user=request.user))
    page = _page(request, filterset.qs)
    page.object_list = selectors.queue_rows(page.object_list)
    context = {
        **_queue_context(request),
        "filter": filterset,
        "page": page,
        "has_pending": any(
            h.status == Handoff.Status.PENDING and h.assigned_to_id == request.user.pk for h in page.object_list
        ),
        "reminders": selectors.reminders_for(user=request.user),
    }
    return render(request, "leads/inbox.html", context)


@login_required
@require_POST
def handoff_accept(request, pk: int):
    handoff = get_object_or_404(selectors.handoffs_visible_to(user=request.user), pk=pk)
    try:
        services.handoff_accept(handoff=handoff, by=request.user)
    except LeadError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You accepted {handoff.lead}. Log your first touch when you reach them.")
    if request.htmx:
        return _queue_row(request, handoff.pk, done=f"{handoff.lead} is no longer in your queue.")
    return redirect("inbox")


@login_required
@require_POST
def handoffs_accept_bulk(request):
    """Accept the ticked hand-offs. Ids that are not numbers, or not hand-offs waiting on this
    person's decision, change nothing: the whole selection is refused with a message."""
    _require(_works_in_sales(request.user))
    raw = request.POST.getlist("handoff")
    ids = [parse_id(value) for value in raw]
    if not raw:
        messages.error(request, "Tick the leads to accept first; nothing was accepted.")
        return redirect("inbox")
    if None in ids or len(ids) > BULK_ACCEPT_MAX:
        messages.error(
            request, f"The selection could not be read (at most {BULK_ACCEPT_MAX} leads at once); nothing was accepted."
        )
        return redirect("inbox")
    handoffs = list(selectors.pending_handoffs_of(user=request.user, ids=ids).order_by("id"))
    if len(handoffs) != len(set(ids)):
        messages.error(
            request,
            "Some of the selected leads are not waiting for your decision (already decided, or not yours);"
            " nothing was accepted. Reload the queue and select again.",
        )
        return redirect("inbox")
    accepted, refused = services.handoffs_accept(handoffs=handoffs, by=request.user)
    if accepted:
        names = ", ".join(str(h.lead) for h in accepted)
        messages.success(request, f"You accepted {len(accepted)} lead(s): {names}. Log your first touch on each.")
    for lead, why in refused.items():
        messages.error(request, f"{lead} was not accepted: {why}")
    return redirect("inbox")


@login_required
def handoff_reject(request, pk: int):
    handoff = get_object_or_404(selectors.handoffs_visible_to(user=request.user).select_related("lead__source"), pk=pk)
    _require(handoff.assigned_to_id == request.user.pk)
    form = RejectForm(request.POST or None, handoff=handoff)
    if request.method == "POST" and form.is_valid():
        try:
            services.handoff_reject(
                handoff=handoff,
                by=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except LeadError as error:
            form.add_error(None, str(error))
        else:
            reason = form.cleaned_data["reason"]
            messages.success(request, f"You rejected {handoff.lead}: {reason.label}.")
            if request.htmx:
                where = reason.get_disposition_display().lower()
                return _queue_row(request, handoff.pk, done=f"{handoff.lead}: rejected ({reason.label}, {where}).")
            return redirect("inbox")
    if request.htmx:
        if request.method != "POST":  # "Reject…" in the queue: the row with its form open
            return _queue_row(request, handoff.pk, open_form="reject")
        errors = [error for errors in form.errors.values() for error in errors]
        return _queue_row(request, handoff.pk, reject_errors=errors, reject_note=request.POST.get("note", ""))
    return render(request, "leads/reject.html", {"handoff": handoff, "form": form})


@login_required
def touch_log(request, pk: int):
    lead = get_object_or_404(selectors.leads_visible_to(user=request.user).select_related("source"), pk=pk)
    _require(lead.owner_id == request.user.pk)
    form = TouchForm(request.POST or None)
    logged = False
    if request.method == "POST" and form.is_valid():
        try:
            touch = services.touch_log(
                lead=lead,
                by=request.user,
                kind=form.cleaned_data["kind"],
                result=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
                happened_at=form.cleaned_data["happened_at"],
            )
        except LeadError as error:
            form.add_error(None, str(error))
        else:
            logged = True
            messages.success(
                request, f"{touch.get_kind_display()} logged on {lead}: {touch.get_result_display().lower()}."
            )
            if not request.htmx:
                return redirect(next_url(request, "inbox"))
    if request.htmx:
        row = selectors.inbox_for(user=request.user).filter(lead=lead).values_list("pk", flat=True).first()
        if row is not None and request.method != "POST":  # "Log touch" in the queue: the row with its form open
            return _queue_row(request, row, open_form="touch")
        if row is not None:
            return _queue_row(request, row, touch_form=None if logged else form)
    return render(request, "leads/touch_form.html", {"lead": lead, "form": form})


@login_required
def lead_list(request):
    filterset = LeadFilter(
        request.GET,
        queryset=selectors.leads_visible_to(user=request.user)
        .select_related("source", "campaign", "owner")
        .order_by("-created_at", "-id"),
    )
    context = {
        "filter": filterset,
        "page": _page(request, filterset.qs),
        "can_hand_off": request.user.is_superuser or is_marketing(request.user),
        "marketing_stages": MARKETING_STAGES,
        "export_versions": QualificationDefinition.objects.exclude(status=QualificationDefinition.Status.ACTIVE),
    }
    return render(request, "leads/lead_list.html", context)


@login_required
def lead_export(request, file_format: str):
    """The lead list as filtered on the page (the same query string), as CSV or XLSX."""
    if file_format not in FORMATS:
        raise Http404("Leads export as csv or xlsx.")
    filterset = LeadFilter(request.GET, queryset=selectors.leads_visible_to(user=request.user))
    if not filterset.is_valid():
        messages.error(request, "The filters are not valid, so nothing was exported.")
        return redirect("lead_list")
    definition = None
    if request.GET.get("definition"):
        # Any version, a draft included: marketing sees what it would do to real leads.
        definition = QualificationDefinition.objects.filter(pk=parse_id(request.GET["definition"])).first()
        if definition is None:
            messages.error(request, "That definition version does not exist, so nothing was exported.")
            return redirect("lead_list")
        problems = definition_problems(definition)
        if problems:
            messages.error(request, f"v{definition.version} cannot grade leads yet: {' '.join(problems)}")
            return redirect("lead_list")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    suffix = f"-v{definition.version}" if definition else ""
    rows = export_rows(filterset.qs, definition)
    if file_format == "xlsx":
        return xlsx_response(rows, f"accord-leads-{stamp}{suffix}.xlsx", title="Leads")
    return csv_response(rows, f"accord-leads-{stamp}{suffix}.csv")


@login_required
def lead_detail(request, pk: int):
    lead = get_object_or_404(
        selectors.leads_visible_to(user=request.user).select_related("source", "campaign", "owner", "team"),
        pk=pk,
    )
    handoffs = list(lead.handoffs.select_related("assigned_to", "handed_off_by", "reason").order_by("-created_at"))
    context = {
        "lead": lead,
        "handoffs": handoffs,
        "touches": lead.touches.select_related("by"),
        "entries": timeline(selectors.lead_events(lead=lead), handoffs=handoffs, viewer=request.user),
        "pending_handoff": next((h for h in handoffs if h.status == Handoff.Status.PENDING), None),
        "now": timezone.now(),
        "can_hand_off": (request.user.is_superuser or is_marketing(request.user)) and lead.stage in MARKETING_STAGES,
        "can_log_activity": request.user.is_superuser or is_marketing(request.user),
        "can_touch": lead.owner_id == request.user.pk and lead.stage in WORKING_STAGES,
        "next_stages": [
            Stage(stage)
            for stage in (Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON, Stage.LOST)
            if stage in ALLOWED_TRANSITIONS[lead.stage]
        ]
        if lead.stage in WORKING_STAGES and services.may_work_on(lead=lead, user=request.user)
        else [],
        "open_handoff": next(
            (h for h in handoffs if h.status == Handoff.Status.ACCEPTED and h.closed_at is None), None
        ),
        "lead_properties": selectors.property_values(lead=lead),
    }
    return render(request, "leads/lead_detail.html", context)


@login_required
def activity_log(request, pk: int):
    """Marketing records something the lead did; the lead is graded anew."""
    _require(request.user.is_superuser or is_marketing(request.user))
    lead = get_object_or_404(selectors.leads_visible_to(user=request.user).select_related("source"), pk=pk)
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_log(
                lead=lead,
                by=request.user,
                kind=form.cleaned_data["kind"],
                occurred_at=form.cleaned_data["occurred_at"],
                note=form.cleaned_data["note"],
            )
        except LeadError as error:
            form.add_error(None, str(error))
        else:
            lead.refresh_from_db()
            grade = f"grade {lead.grade}, score {lead.score} ({lead.bucket})" if lead.grade else "not graded"
            messages.success(request, f"Activity logged on {lead}: now {grade}.")
            return redirect("lead_detail", pk=lead.pk)
    return render(request, "leads/activity_form.html", {"lead": lead, "form": form})


@login_required
@require_POST
def lead_advance(request, pk: int):
    lead = get_object_or_404(selectors.leads_visible_to(user=request.user), pk=pk)
    form = AdvanceForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field.replace('_', ' ').capitalize()}: {' '.join(errors)}")
        return redirect("lead_detail", pk=lead.pk)
    to_stage = form.cleaned_data["to_stage"]
    try:
        services.lead_advance(lead=lead, by=request.user, to_stage=to_stage, note=form.cleaned_data["note"])
    except LeadError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{lead} moved to {Stage(to_stage).label}.")
    return redirect("lead_detail", pk=lead.pk)


@login_required
def handoff_create(request, lead_pk: int):
    _require(request.user.is_superuser or is_marketing(request.user))
    lead = get_object_or_404(
        selectors.leads_visible_to(user=request.user).select_related("source", "campaign"), pk=lead_pk
    )
    # A lead a routing rule sent to a team for marketing to hand off: that team is proposed.
    initial = {} if request.method == "POST" else {"team": selectors.routed_team_of(lead=lead)}
    form = HandoffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            handoff = services.handoff_create(
                lead=lead,
                by=request.user,
                rep=form.cleaned_data["rep"],
                team=form.cleaned_data["team"],
                note=form.cleaned_data["note"],
                override=form.cleaned_data["override"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except LeadError as error:
            form.add_error(None, str(error))
        else:
            receiver = handoff.assigned_to.get_full_name() or handoff.assigned_to
            messages.success(request, f"{lead} was handed to {receiver}.")
            return redirect("lead_list")
    context = {
        "lead": lead,
        "form": form,
        "evaluation": evaluation.explain(lead=lead),
        "lead_properties": selectors.property_values(lead=lead),
        "unreachable": None if lead.is_reachable else services.UNREACHABLE,
    }
    return render(request, "leads/handoff_form.html", context)


@login_required
def handoff_outcomes(request):
    _require(_follows_outcomes(request.user))
    filterset = OutcomeFilter(request.GET, queryset=selectors.outcome_feed(user=request.user), request=request)
    page = _page(request, filterset.qs)
    return render(
        request,
        "leads/outcomes.html",
        {
            "filter": filterset,
            "page": page,
            "statuses": Handoff.Status,
            "narrowed_to": _narrowed_to(filterset, page.object_list),
            "unnarrowed": _without(request.GET, NARROWINGS),
        },
    )


NARROWINGS = ("campaign", "rep", "definition")


def _narrowed_to(filterset, rows) -> list[str]:
    """The hidden narrowings a dashboard alert linked with, named from the first row shown (every
    row shares them)."""
    filterset.is_valid()  # the valid fields apply even when another one is wrong
    data = getattr(filterset.form, "cleaned_data", {})
    first = rows[0] if rows else None
    named = {
        "campaign": lambda h: f"of campaign {h.lead.campaign.name}",
        "rep": lambda h: f"handed to {h.assigned_to.get_full_name() or h.assigned_to.username}",
        "definition": lambda h: f"under {h.definition}",
    }
    return [
        named[key](first) if first is not None else f"{key} #{data[key]}"
        for key in NARROWINGS
        if data.get(key) is not None
    ]


def _without(query, keys) -> str:
    kept = query.copy()
    for key in keys:
        kept.pop(key, None)
    kept.pop("page", None)
    return kept.urlencode()


@login_required
def notification_list(request):
    notes = selectors.notifications_for(user=request.user)
    return render(request, "leads/notifications.html", {"page": _page(request, notes)})


@login_required
@require_POST
def notifications_read(request):
    """Mark one notification read (``notification``: its id) or all of them. With htmx, answer
    with the notice (or the list) as it is now and the header's unread count; without, redirect."""
    one = request.POST.get("notification")
    note_id = parse_id(one) if one is not None else None
    if one is not None and note_id is None:
        messages.error(request, "That notification does not exist; nothing was marked read.")
        return redirect("notifications")
    marked = services.notifications_mark_read(user=request.user, ids=None if note_id is None else [note_id])
    if request.htmx:
        unread = selectors.unread_notification_count(user=request.user)
        context = {"unread_notifications": unread, "oob": True}
        if note_id is not None:
            note = selectors.notifications_for(user=request.user).filter(pk=note_id).first()
            if note is None:
                raise Http404
            return render(request, "leads/_notification_read.html", {**context, "note": note})
        page = _page(request, selectors.notifications_for(user=request.user))
        return render(request, "leads/_notification_list.html", {**context, "page": page})
    if note_id is None:
        messages.success(request, f"{marked} notification(s) marked read.")
    return redirect(next_url(request, default=reverse("notifications")))


@login_required
def notification_preferences(request):
    """Each person chooses, per kind, how Accord tells them: in the app, by email, in the daily
    digest, or not at all."""
    rows = notifications.preference_rows(user=request.user)
    form = NotificationPreferencesForm(request.POST or None, rows=rows)
    if request.method == "POST":
        if form.is_valid():
            services.notification_preferences_save(user=request.user, choices=form.cleaned_data)
            messages.success(request, "Your notification choices are saved.")
            return redirect("notification_preferences")
        messages.error(request, "Some choices were not understood; nothing was saved.")
    return render(request, "leads/notification_preferences.html", {"form": form})


# --- Evidence for the agreement ---------------------------------------------------------------


@login_required
def definition_backtest(request, pk: int):
    """How a version (a draft included) would have ranked the leads whose outcome is known. The
    people who draft and sign definitions see it, with the outcome and period they choose."""
    _require(may_draft(request.user))
    definition = get_object_or_404(QualificationDefinition, pk=pk)
    form = OutcomePeriodForm(request.GET or None)
    result = None
    if form.is_valid():
        try:
            result = learning.definition_backtest(
                definition=definition,
                outcome=form.cleaned_data["outcome"] or "won",
                since=form.cleaned_data["since"],
                until=form.cleaned_data["until"],
            )
        except LeadError as error:
            messages.error(request, str(error))
    tables = []
    if result is not None:
        for title, key in (("grade", "grade"), ("bucket", "bucket")):
            rows = [{**row, "label": str(row[key]).capitalize()} for row in result[f"{key}s"]]
            tables.append((title, rows, key, result[f"{key}s_monotone"], result[f"{key}_violations"]))
    context = {"definition": definition, "form": form, "result": result, "tables": tables}
    return render(request, "leads/definition_backtest.html", context)


@login_required
@require_POST
def definition_suggest(request):
    """Fit a new draft to the known outcomes and open it; it still needs both signatures."""
    _require(may_draft(request.user))
    form = OutcomePeriodForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("definition_list")
    asked = {
        "outcome": form.cleaned_data["outcome"] or "won",
        "since": form.cleaned_data["since"],
        "until": form.cleaned_data["until"],
    }
    try:
        if learning.suggestion_runs_in_background(**asked):
            handed_over = learning.definition_suggest_later(by=request.user, **asked)
            messages.info(
                request,
                "Many outcomes are known, so a worker fits the suggestion;"
                " you will be notified when the draft is ready."
                + (
                    ""
                    if handed_over
                    else " The background worker cannot be reached right now: the request is kept and the draft"
                    " is fitted when it is back."
                ),
            )
            return redirect("definition_list")
        definition, card, result = learning.definition_suggest(by=request.user, **asked)
    except (LeadError, AlignmentError) as error:
        messages.error(request, str(error))
        return redirect("definition_list")
    auc = "n/a" if result["auc"] is None else f"{result['auc']:.2f}"
    messages.success(
        request,
        f"v{definition.version} is a new draft fitted to {card.leads:,} leads with a known outcome"
        f" ({card.successes:,} successes): {len(card.rules)} rules, ROC-AUC {auc}. Read it, edit it,"
        " then propose it to both leaders.",
    )
    return redirect(f"{reverse('definition_backtest', args=[definition.pk])}?outcome={result['outcome']}")
