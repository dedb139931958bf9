"""Workspace pages of the weekly lead review. Each view loads what the viewer may see
(selectors), calls one service and redirects; the rules live in services."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from alignment.models import RejectionReason
from alignment.roles import is_leader
from leads.spreadsheets import csv_response
from reviews import selectors, services
from reviews.exceptions import ItemsRefused, ReviewError
from reviews.forms import OpenMeetingForm, OutcomeForm, RepUpdateForm
from reviews.ics import meeting_invite

User = get_user_model()

PAGE_SIZE = 50
# The manager's page carries seven inputs per row; 25 rows keep it well under 100 ms.
MEETING_PAGE_SIZE = 25
MEETINGS_PAGE_SIZE = 25
MINUTES_PAGE_SIZE = 100


class KnownCountPaginator(Paginator):
    """A paginator told the count it would otherwise query for (the rep picker counted it)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _meeting(request, pk: int):
    return get_object_or_404(
        selectors.meetings_visible_to(user=request.user).select_related("team", "opened_by", "closed_by"), pk=pk
    )


def _here(request) -> str:
    return request.get_full_path()


@login_required
def meeting_list(request):
    _require(selectors.takes_part(user=request.user))
    teams = selectors.teams_run_by(user=request.user)
    page = Paginator(selectors.meeting_list(user=request.user), MEETINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "open_form": OpenMeetingForm(teams=teams),
        "runs_teams": teams.exists(),
        "sees_coverage": request.user.is_superuser or is_leader(request.user) or teams.exists(),
    }
    return render(request, "reviews/meeting_list.html", context)


@login_required
@require_POST
def meeting_open(request):
    teams = selectors.teams_run_by(user=request.user)
    form = OpenMeetingForm(request.POST, teams=teams)
    if not form.is_valid():
        raise PermissionDenied
    try:
        meeting = services.review_meeting_open(team=form.cleaned_data["team"], by=request.user)
    except ReviewError as error:
        messages.error(request, str(error))
        return redirect("review_list")
    messages.success(request, f"Opened {meeting} with {meeting.items.count()} leads on the agenda.")
    return redirect("review_meeting", pk=meeting.pk)


def _outcome_choices(meeting):
    """The reasons and reps every row offers, read once for the page."""
    reasons = [
        (reason.pk, f"{reason.label} ({reason.get_disposition_display().lower()})")
        for reason in selectors.give_up_reasons()
    ]
    reps = [(rep.pk, rep.get_full_name() or rep.username) for rep in selectors.team_reps(team=meeting.team)]
    return reasons, reps


def _refused_key(meeting) -> str:
    return f"review-close-refused-{meeting.pk}"


def _item_url(meeting, item_id: int, place) -> str:
    query = f"?rep={place.rep_id}" + (f"&page={place.page}" if place.page > 1 else "")
    return f"{reverse('review_meeting', args=[meeting.pk])}{query}#item-{item_id}"


@login_required
def meeting_detail(request, pk: int):
    """The manager's page: one rep at a time (rep picker), their items with the rep's update and
    a row of outcome fields each. Each row saves on its own (inline with htmx, or the same button
    posting the page without JavaScript); the page's button saves every changed row."""
    meeting = _meeting(request, pk)
    if not selectors.sees_every_item(meeting=meeting, user=request.user):
        _require(request.method != "POST")
        return redirect("review_my_items", pk=meeting.pk)
    can_run = meeting.is_open and services.may_run(team=meeting.team, user=request.user)
    if request.method == "POST" and not can_run:
        raise PermissionDenied
    reps, total = selectors.meeting_reps(meeting=meeting)
    wanted = request.GET.get("rep", "")
    current = next((row for row in reps if str(row.rep.pk) == wanted), reps[0] if reps else None)
    page, forms = None, []
    focus = None
    if current is not None:
        items = selectors.items_of_rep(meeting=meeting, rep=current.rep.pk)
        paginator = KnownCountPaginator(items, MEETING_PAGE_SIZE, count=current.coverage.total)
        page = paginator.get_page(request.GET.get("page"))
        if can_run:
            choices = _outcome_choices(meeting)
            forms = [_outcome_form(request.POST or None, item, choices) for item in page.object_list]
            if request.method == "POST":
                response = _post_outcomes(request, meeting, forms, choices)
                if response is not None:
                    return response
                focus = next((form.item.pk for form in forms if form.errors), None)
            elif _refused_key(meeting) in request.session:
                # A refused close sent the manager here: each failing item shows why beside it.
                refused = request.session.pop(_refused_key(meeting))
                for form in forms:
                    if str(form.item.pk) in refused:
                        form.show_refusal(refused[str(form.item.pk)])
                focus = next((form.item.pk for form in forms if str(form.item.pk) in refused), None)
    context = {
        "meeting": meeting,
        "reps": reps,
        "current": current,
        "total": total,
        "page": page,
        "rows": list(zip(page.object_list, forms, strict=True)) if forms else [(i, None) for i in page or []],
        "can_run": can_run,
        "focus": focus,
    }
    return render(request, "reviews/meeting_detail.html", context)


def _outcome_form(data, item, choices) -> OutcomeForm:
    reason_choices, rep_choices = choices
    return OutcomeForm(
        data,
        item=item,
        reason_choices=[("", "Reason (to recycle or disqualify)…"), *reason_choices],
        rep_choices=[("", "Reassign to…"), *rep_choices],
    )


def _post_outcomes(request, meeting, forms, choices):
    """Save the posted rows: one row when its own button was pressed (save_item), else every
    changed row. Returns the response, or None when the page must be shown again with the
    refused rows marked."""
    only = request.POST.get("save_item", "")
    targets = [form for form in forms if str(form.item.pk) == only] if only else forms
    changed = [form for form in targets if form.has_changed()]
    inline = bool(request.htmx and only and targets)
    outcome = None
    if all(form.is_valid() for form in changed):
        outcome = _record(request, meeting, changed, quiet=inline)
    else:
        if not inline:
            messages.error(request, "Nothing was saved: fix the rows marked below.")
    if inline:
        form = targets[0]
        context = {"can_run": True, "status": outcome.text if outcome else ""}
        if outcome is not None and outcome.saved:
            item = selectors.items_of_rep(meeting=meeting, rep=form.item.rep_id).get(pk=form.item.pk)
            form = _outcome_form(None, item, choices)
            # The rep's tab count and the coverage lines change with the row: they come with it.
            reps, context["total"] = selectors.meeting_reps(meeting=meeting)
            context["current"] = next((row for row in reps if row.rep.pk == item.rep_id), None)
        context.update(item=form.item, form=form, focus=form.item.pk if form.errors else None)
        return render(request, "reviews/_meeting_item_response.html", context)
    if outcome is not None and outcome.done:
        return redirect(_here(request) + (f"#item-{only}" if only and targets else ""))
    return None


@dataclass(frozen=True)
class RecordOutcome:
    """How saving went: done (nothing to show again), saved (the service wrote the rows), and
    what an inline row says about it."""

    done: bool
    saved: bool = False
    text: str = ""


def _record(request, meeting, forms, *, quiet: bool = False) -> RecordOutcome:
    """Save the changed rows of the manager's page. Not done when they must be shown again
    (the refusal is written beside each row). `quiet` leaves the page's messages alone (an
    inline save shows its result in the row)."""
    reason_ids = {form.cleaned_data["reason"] for form in forms if form.cleaned_data["reason"]}
    rep_ids = {form.cleaned_data["reassign_to"] for form in forms if form.cleaned_data["reassign_to"]}
    reasons = RejectionReason.objects.in_bulk(reason_ids) if reason_ids else {}
    people = User.objects.in_bulk(rep_ids) if rep_ids else {}
    outcomes = {
        form.item.pk: services.ItemOutcome(
            discussed=form.cleaned_data["discussed"],
            outcome=form.cleaned_data["outcome"],
            reason=reasons.get(form.cleaned_data["reason"]),
            reassign_to=people.get(form.cleaned_data["reassign_to"]),
            next_step=form.cleaned_data["next_step"],
            next_step_due=form.cleaned_data["next_step_due"],
            note=form.cleaned_data["note"],
            step_done=form.cleaned_data["step_done"],
        )
        for form in forms
    }
    if not outcomes:
        if not quiet:
            messages.info(request, "Nothing changed.")
        return RecordOutcome(done=True, text="Nothing changed.")
    try:
        saved = services.review_items_record(meeting=meeting, by=request.user, outcomes=outcomes)
    except ItemsRefused as refusal:
        for form in forms:
            if form.item.pk in refusal.errors:
                form.add_error(None, refusal.errors[form.item.pk])
        if not quiet:
            messages.error(request, "Nothing was saved: fix the rows marked below.")
        return RecordOutcome(done=False)
    except ReviewError as error:
        if not quiet:
            messages.error(request, str(error))
        else:
            forms[0].add_error(None, str(error))
        return RecordOutcome(done=not quiet)
    if not quiet:
        messages.success(request, f"Saved {saved} item(s).")
    return RecordOutcome(done=True, saved=True, text="Saved.")


@login_required
@require_POST
def meeting_close(request, pk: int):
    meeting = _meeting(request, pk)
    _require(services.may_run(team=meeting.team, user=request.user))
    try:
        services.review_meeting_close(meeting=meeting, by=request.user)
    except ItemsRefused as refusal:
        # Straight to the first failing item, on its rep's tab, each failing row saying why.
        places = selectors.item_places(meeting=meeting, item_ids=list(refusal.errors), page_size=MEETING_PAGE_SIZE)
        links = [(_item_url(meeting, pk, places[pk]), message) for pk, message in refusal.errors.items()]
        request.session[_refused_key(meeting)] = {str(pk): message for pk, message in refusal.errors.items()}
        messages.error(
            request,
            format_html(
                "The meeting was not closed and no outcome was applied. Change these first: {}",
                format_html_join(" ", '<a href="{}" class="alert-link">{}</a>', links),
            ),
        )
        return redirect(links[0][0])
    except ReviewError as error:
        messages.error(request, str(error))
        return redirect("review_meeting", pk=meeting.pk)
    messages.success(request, f"{meeting} is closed; outcomes applied and the minutes are on their way.")
    return redirect("review_minutes", pk=meeting.pk)


@login_required
def my_items(request, pk: int):
    """The rep's page: one row per lead on the agenda under their name, fast to fill."""
    meeting = _meeting(request, pk)
    items = selectors.items_of_rep(meeting=meeting, rep=request.user)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    editable = meeting.is_open
    if request.method == "POST" and not editable:
        messages.error(request, "This meeting is closed; its minutes are read-only.")
        return redirect(_here(request))
    forms = [RepUpdateForm(request.POST or None, item=item) for item in page.object_list] if editable else []
    if request.method == "POST":
        changed = [form for form in forms if form.has_changed()]
        if all(form.is_valid() for form in changed):
            updates = {
                form.item.pk: services.RepUpdate(
                    update=form.cleaned_data["update"],
                    proposed_outcome=form.cleaned_data["proposed_outcome"],
                    next_step=form.cleaned_data["next_step"],
                    next_step_due=form.cleaned_data["next_step_due"],
                    step_done=form.cleaned_data["step_done"],
                )
                for form in changed
            }
            try:
                saved = (
                    services.review_items_update(meeting=meeting, by=request.user, updates=updates) if updates else 0
                )
            except ItemsRefused as refusal:
                for form in changed:
                    if form.item.pk in refusal.errors:
                        form.add_error(None, refusal.errors[form.item.pk])
                messages.error(request, "Nothing was saved: fix the rows marked below.")
            except ReviewError as error:
                messages.error(request, str(error))
                return redirect(_here(request))
            else:
                messages.success(request, f"Saved your update on {saved} lead(s)." if saved else "Nothing changed.")
                return redirect(_here(request))
    context = {
        "meeting": meeting,
        "page": page,
        "rows": list(zip(page.object_list, forms, strict=True)) if forms else [(i, None) for i in page],
        "editable": editable,
    }
    return render(request, "reviews/my_items.html", context)


@login_required
def minutes(request, pk: int):
    """Decided items first, rep by rep; the items nobody discussed folded away under their count."""
    meeting = _meeting(request, pk)
    reps, total = selectors.meeting_reps(meeting=meeting)
    full = selectors.sees_every_item(meeting=meeting, user=request.user)
    if not full:
        reps = [row for row in reps if row.rep.pk == request.user.pk]
    discussed = sum(row.coverage.discussed for row in reps)
    not_discussed = sum(row.coverage.total for row in reps) - discussed
    decided = selectors.minutes_for_viewer(meeting=meeting, user=request.user, discussed=True)
    page = KnownCountPaginator(decided, MINUTES_PAGE_SIZE, count=discussed).get_page(request.GET.get("page"))
    undiscussed = []
    if not_discussed and page.number == 1:
        undiscussed = selectors.minutes_for_viewer(meeting=meeting, user=request.user, discussed=False)[
            :MINUTES_PAGE_SIZE
        ]
    context = {
        "meeting": meeting,
        "page": page,
        "total": total,
        "reps": reps,
        "full": full,
        "discussed": discussed,
        "not_discussed": not_discussed,
        "undiscussed": undiscussed,
        "undiscussed_limit": MINUTES_PAGE_SIZE,
        "events": meeting.events.select_related("actor")[:20] if full else [],
    }
    return render(request, "reviews/minutes.html", context)


CSV_HEADER = [
    "week",
    "team",
    "rep",
    "lead",
    "company",
    "stage at opening",
    "days in stage",
    "last touch",
    "SLA",
    "inherited",
    "carried step",
    "carried weeks",
    "carried step done",
    "rep update",
    "proposed outcome",
    "next step",
    "next step due",
    "discussed",
    "outcome",
    "reason",
    "reassigned to",
    "note",
    "applied at",
]


def _csv_rows(meeting, items):
    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    yield CSV_HEADER
    for item in items.iterator(chunk_size=2000):
        yield [
            value
            for value in (
                meeting.week,
                meeting.team.name,
                item.rep.get_full_name() or item.rep.username,
                item.lead.full_name,
                item.lead.company,
                item.get_stage_display(),
                item.days_in_stage,
                when(item.last_touch_at),
                item.get_sla_status_display(),
                "yes" if item.inherited else "",
                item.carried_step,
                item.carried_weeks or "",
                "yes" if item.step_done else "",
                item.update,
                item.get_proposed_outcome_display() if item.proposed_outcome else "",
                item.next_step,
                item.next_step_due.isoformat() if item.next_step_due else "",
                "yes" if item.discussed_at else "",
                item.get_outcome_display() if item.outcome else "",
                item.reason.label if item.reason else "",
                (item.reassign_to.get_full_name() or item.reassign_to.username) if item.reassign_to else "",
                item.outcome_note,
                when(item.applied_at),
            )
        ]


@login_required
def minutes_csv(request, pk: int):
    meeting = _meeting(request, pk)
    items = selectors.items_for_viewer(meeting=meeting, user=request.user)
    filename = f"lead-review-{meeting.team.name}-{meeting.week}.csv".replace(" ", "-").lower()
    return csv_response(_csv_rows(meeting, items), filename)


@login_required
def invite_ics(request, pk: int):
    meeting = _meeting(request, pk)
    url = request.build_absolute_uri(reverse("review_meeting", args=[meeting.pk]))
    body = meeting_invite(meeting=meeting, attendees=selectors.attendees(meeting=meeting), url=url)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lead-review-{meeting.team_id}.ics"'
    return response


@login_required
def coverage(request):
    """Per rep over time: share of items with an update, discussed, carried two weeks or more."""
    user = request.user
    teams = selectors.sales_teams() if (user.is_superuser or is_leader(user)) else selectors.teams_run_by(user=user)
    teams = list(teams)
    _require(bool(teams))
    wanted = request.GET.get("team", "")
    team = next((t for t in teams if str(t.pk) == wanted), teams[0])
    weeks, rows = selectors.coverage_over_time(team=team, weeks=8)
    context = {
        "teams": teams,
        "team": team,
        "weeks": weeks,
        "week_ends": [w + timedelta(days=6) for w in weeks],
        "rows": [(rep, [cells.get(week) for week in weeks]) for rep, cells in rows],
    }
    return render(request, "reviews/coverage.html", context)
