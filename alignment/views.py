"""Workspace pages of the agreement: every version of the qualified-lead definition, readable
rule by rule; the editor of a draft, with its backtest beside it; any two versions side by
side; and the workflow buttons. Everyone signed in may read the agreement; what each person may
do is decided by alignment.services (selectors.actions_available shows exactly that)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alignment import routing, scoring, selectors, services
from alignment.backtest import OUTCOMES
from alignment.exceptions import AlignmentError, InvalidDefinition, NotAllowed
from alignment.forms import (
    CompareForm,
    DefinitionForm,
    EngagementRuleFormSet,
    FieldRuleFormSet,
    RoutingRuleFormSet,
    SignatureForm,
    field_choices,
    known_values,
)
from alignment.models import EngagementRule, FieldRule, RoutingRule, Team
from alignment.panels import definition_panels
from security.limits import parse_id


@login_required
def definition_list(request):
    versions = list(selectors.definitions())
    context = {
        "versions": versions,
        "can_draft": services.may_draft(request.user),
        "outcomes": OUTCOMES,
        "draft": next((v for v in versions if v.is_editable), None),
        "compare_form": CompareForm(versions=versions),
    }
    return render(request, "alignment/definition_list.html", context)


def _terms(definition, properties) -> scoring.Terms:
    return selectors.definition_terms(definition, labels={p.key: p.label for p in properties})


def _problems(definition, terms, routes, properties) -> list[str]:
    kinds = {p.key: p.kind for p in properties}
    return scoring.validate_terms(terms, kinds) + routing.routing_problems(routes, kinds)


@login_required
def definition_detail(request, pk: int):
    definition = get_object_or_404(selectors.with_evidence(selectors.definitions()), pk=pk)
    properties = selectors.properties_declared()
    terms = _terms(definition, properties)
    routes = selectors.definition_routes(definition)
    evidence = selectors.latest_evidence(definition)
    # Signatures count only while the version is proposed (each proposal is a new round).
    signed = selectors.approvals_in_round(definition) if definition.status == definition.Status.PROPOSED else {}
    context = {
        "definition": definition,
        "rules": selectors.rules_in_words(terms, evidence["result"] if evidence else None),
        "sales_ready": selectors.sales_ready_in_words(terms),
        "problems": _problems(definition, terms, routes, properties) if definition.is_editable else [],
        "approvals": signed,
        "history": [
            {"event": event, "words": selectors.EVENT_WORDS.get(event.kind, event.kind.replace("_", " ").capitalize())}
            for event in definition.events.exclude(kind="backtested")[:30]
        ],
        "reasons": definition.rejection_reasons.order_by("position"),
        "routes": [routing.describe(route, terms.labels) for route in routes],
        "actions": selectors.actions_available(definition, request.user, signed),
        "evidence": evidence,
    }
    return render(request, "alignment/definition_detail.html", context)


@login_required
def definition_figures(request, pk: int):
    """The figures other apps add to a version's page (leads per grade, hand-offs per version).
    They count over every lead, so the page loads them after itself (htmx); without JavaScript
    its link opens them as a page of their own."""
    definition = get_object_or_404(selectors.definitions(), pk=pk)
    context = {"definition": definition, "panels": definition_panels(definition, request.user)}
    template = "alignment/_definition_figures.html" if request.htmx else "alignment/definition_figures.html"
    return render(request, template, context)


# --- The editor ---------------------------------------------------------------------------------


def _editable(request, pk: int):
    """The draft ``pk`` for someone who may edit it; NotAllowed (403) for anyone else."""
    definition = get_object_or_404(selectors.with_evidence(selectors.definitions()), pk=pk)
    if not services.may_draft(request.user):
        raise NotAllowed("Only marketing and the leaders edit qualified-lead definitions.")
    return definition


def _not_a_draft(request, definition):
    messages.error(
        request,
        f"v{definition.version} is {definition.get_status_display().lower()} and cannot change;"
        " start a new draft from it instead.",
    )
    return redirect("definition_detail", pk=definition.pk)


def _with_added_row(data, prefix: str):
    """The posted data with one more blank row in the formset ``prefix`` (the "add a row" button,
    which works without JavaScript)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    total = parse_id(data.get(key)) or 0
    data[key] = str(min(total + 1, 200))
    return data


@login_required
def definition_edit(request, pk: int):
    """A draft's rules, thresholds, sales-ready rule and service levels, in plain language, with
    its backtest beside it; saving recomputes the backtest."""
    definition = _editable(request, pk)
    if not definition.is_editable:
        return _not_a_draft(request, definition)
    properties = selectors.properties_declared()
    choices = field_choices([(p.key, p.label) for p in properties])
    field_rules = list(definition.field_rules.all())
    activity_rules = list(definition.engagement_rules.all())
    saved_notice = ""
    if request.method == "POST":
        data = request.POST
        for prefix in ("fit", "activity"):
            if f"add-{prefix}" in data:
                data = _with_added_row(data, prefix)
        form = DefinitionForm(data)
        rules = FieldRuleFormSet(data, prefix="fit", form_kwargs={"field_choices": choices})
        activities = EngagementRuleFormSet(data, prefix="activity")
        adding = data is not request.POST
        if not adding and form.is_valid() and rules.is_valid() and activities.is_valid():
            try:
                services.definition_save_draft(
                    definition=definition,
                    by=request.user,
                    fields=form.stored_fields(),
                    field_rules=rules.kept(),
                    engagement_rules=activities.kept(),
                )
            except (ValidationError, AlignmentError) as error:
                form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
            else:
                result, problem = services.definition_refresh_evidence(definition=definition, by=request.user)
                notice = f"v{definition.version} is saved." + (
                    " The backtest beside it is up to date." if result else f" No backtest: {problem}"
                )
                if not request.htmx:
                    messages.success(request, notice)
                    return redirect("definition_edit", pk=definition.pk)
                saved_notice = notice
                definition = _editable(request, pk)
                field_rules = list(definition.field_rules.all())
                activity_rules = list(definition.engagement_rules.all())
    if request.method != "POST" or saved_notice:
        form = DefinitionForm(initial=DefinitionForm.initial_of(definition))
        rules = FieldRuleFormSet(
            prefix="fit",
            initial=[{name: getattr(rule, name) for name in services.FIELD_RULE_FIELDS} for rule in field_rules],
            form_kwargs={"field_choices": choices},
        )
        activities = EngagementRuleFormSet(
            prefix="activity", initial=[{"activity": r.activity, "points": r.points} for r in activity_rules]
        )
    evidence = selectors.latest_evidence(definition)
    figures = selectors.rule_figures(evidence["result"] if evidence else None) if not form.is_bound else {}
    context = {
        "definition": definition,
        "form": form,
        "rules": rules,
        "rule_rows": [(f, figures.get(("field", i), [])) for i, f in enumerate(rules.forms)],
        "activities": activities,
        "activity_rows": [(f, figures.get(("engagement", i), [])) for i, f in enumerate(activities.forms)],
        "evidence": evidence,
        "saved_notice": saved_notice,
        "outcomes": OUTCOMES,
        "tab": "rules",
        "known_values": known_values(properties),
    }
    return render(request, "alignment/definition_edit.html", context)


def _routing_catalogues(properties) -> dict:
    return {
        "team": list(Team.objects.filter(kind=Team.Kind.SALES).values_list("pk", "name")),
        "source": routing.catalogue("source") or [],
        "campaign": routing.catalogue("campaign") or [],
        "property": [(p.key, p.label) for p in properties],
    }


@login_required
def definition_edit_routing(request, pk: int):
    """The draft's routing rules, in order: conditions picked from lists, a team, and whether the
    lead is handed off automatically."""
    definition = _editable(request, pk)
    if not definition.is_editable:
        return _not_a_draft(request, definition)
    properties = selectors.properties_declared()
    catalogues = _routing_catalogues(properties)
    if request.method == "POST":
        data = _with_added_row(request.POST, "route") if "add-route" in request.POST else request.POST
        routes = RoutingRuleFormSet(data, prefix="route", form_kwargs={"catalogues": catalogues})
        if data is request.POST and routes.is_valid():
            # In the order asked for (rows without one keep their place), renumbered 1, 2, 3 … by the service.
            ordered = sorted(
                enumerate(routes.kept()), key=lambda pair: (pair[1].get("position") or pair[0] + 1, pair[0])
            )
            kept = [{**{k: v for k, v in row.items() if k != "team"}, "team_id": row["team"]} for _, row in ordered]
            try:
                services.definition_save_draft(definition=definition, by=request.user, routing_rules=kept)
            except (ValidationError, AlignmentError) as error:
                messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            else:
                messages.success(request, f"The routing of v{definition.version} is saved.")
                return redirect("definition_edit_routing", pk=definition.pk)
    else:
        saved = definition.routing_rules.order_by("position", "id")
        routes = RoutingRuleFormSet(
            prefix="route",
            initial=[
                {
                    **{name: getattr(rule, name) for name in services.ROUTING_RULE_FIELDS if name != "team"},
                    "team": rule.team_id,
                }
                for rule in saved
            ],
            form_kwargs={"catalogues": catalogues},
        )
    context = {"definition": definition, "routes": routes, "tab": "routing"}
    return render(request, "alignment/definition_edit_routing.html", context)


@login_required
@require_POST
def definition_new(request):
    """A new draft: a copy of the active version when there is one, else empty; then its editor."""
    if not services.may_draft(request.user):
        raise NotAllowed("Only marketing and the leaders draft qualified-lead definitions.")
    active = selectors.active_definition()
    try:
        definition = services.definition_create(
            by=request.user, name=active.name if active else "Qualified lead", based_on=active
        )
    except (ValidationError, AlignmentError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("definition_list")
    services.definition_refresh_evidence(definition=definition, by=request.user)
    copied = " copied from the active version" if active else ""
    messages.success(request, f"v{definition.version} is a new draft{copied}.")
    return redirect("definition_edit", pk=definition.pk)


@login_required
@require_POST
def definition_refresh_backtest(request, pk: int):
    """Backtest the version again on the outcomes known now."""
    definition = get_object_or_404(selectors.definitions(), pk=pk)
    if not services.may_draft(request.user):
        raise NotAllowed("Only marketing and the leaders run backtests.")
    result, problem = services.definition_refresh_evidence(definition=definition, by=request.user)
    if result:
        messages.success(request, f"v{definition.version} is backtested on the outcomes known now.")
    else:
        messages.error(request, f"No backtest: {problem}")
    target = "definition_edit" if definition.is_editable else "definition_detail"
    return redirect(target, pk=definition.pk)


# --- Compare ------------------------------------------------------------------------------------


@login_required
def definition_compare(request):
    """Two versions side by side. The choice is validated: an empty or bad one shows the form
    with its errors."""
    a_pk, b_pk = parse_id(request.GET.get("a")), parse_id(request.GET.get("b"))
    wanted = [pk for pk in (a_pk, b_pk) if pk]
    rules = {
        "field_rules": FieldRule.objects.filter(definition_id__in=wanted),
        "engagement_rules": EngagementRule.objects.filter(definition_id__in=wanted),
        "routing_rules": RoutingRule.objects.filter(definition_id__in=wanted).select_related("team"),
    }
    versions = list(
        selectors.with_evidence(selectors.definitions()).prefetch_related(
            *(Prefetch(name, queryset=queryset) for name, queryset in rules.items()),
            Prefetch("rejection_reasons"),
        )
    )
    form = CompareForm(request.GET if request.GET else None, versions=versions)
    context = {"form": form, "versions": versions}
    if form.is_valid():
        by_pk = {v.pk: v for v in versions}
        a, b = by_pk[form.cleaned_data["a"]], by_pk[form.cleaned_data["b"]]
        properties = selectors.properties_declared()
        labels = {p.key: p.label for p in properties}
        context.update(
            {
                "a": a,
                "b": b,
                "rows": selectors.compare(a, b, labels=labels),
                "evidence": [(a, selectors.latest_evidence(a)), (b, selectors.latest_evidence(b))],
                "can_draft": services.may_draft(request.user),
            }
        )
    return render(request, "alignment/definition_compare.html", context)


# --- Workflow -----------------------------------------------------------------------------------


def _refuse(request, pk: int, form):
    """Back to the version's page with what was wrong with the form."""
    get_object_or_404(selectors.definitions(), pk=pk)
    for field, errors in form.errors.items():
        messages.error(request, f"{field.capitalize()}: {' '.join(errors)}")
    return redirect("definition_detail", pk=pk)


def _act(request, pk: int, action, success: str, then: str = "definition_detail"):
    """Run one workflow step on a version and come back to its page with the outcome."""
    definition = get_object_or_404(selectors.definitions(), pk=pk)
    try:
        result = action(definition)
    except InvalidDefinition as error:
        for problem in error.problems:
            messages.error(request, problem)
        return redirect("definition_detail", pk=pk)
    except AlignmentError as error:
        messages.error(request, str(error))
        return redirect("definition_detail", pk=pk)
    messages.success(request, success.format(definition=result))
    return redirect(then, pk=result.pk)


@login_required
@require_POST
def definition_propose(request, pk: int):
    return _act(
        request,
        pk,
        lambda d: services.definition_propose(definition=d, by=request.user),
        "v{definition.version} is proposed; both leaders have been asked to approve it.",
    )


@login_required
@require_POST
def definition_approve(request, pk: int):
    form = SignatureForm(request.POST)
    if not form.is_valid():
        return _refuse(request, pk, form)
    return _act(
        request,
        pk,
        lambda d: services.definition_approve(
            definition=d, by=request.user, side=form.cleaned_data["side"], comment=form.cleaned_data["comment"]
        ),
        "You approved v{definition.version}.",
    )


@login_required
@require_POST
def definition_request_changes(request, pk: int):
    form = SignatureForm(request.POST)
    if not form.is_valid():
        return _refuse(request, pk, form)
    return _act(
        request,
        pk,
        lambda d: services.definition_request_changes(
            definition=d, by=request.user, comment=form.cleaned_data["comment"]
        ),
        "v{definition.version} went back to draft with your comment.",
    )


def _new_draft_from(request, definition):
    created = services.definition_create(by=request.user, name=definition.name, based_on=definition)
    services.definition_refresh_evidence(definition=created, by=request.user)
    return created


@login_required
@require_POST
def definition_new_draft(request, pk: int):
    return _act(
        request,
        pk,
        lambda d: _new_draft_from(request, d),
        "v{definition.version} is a new draft copied from this version; edit it here.",
        then="definition_edit",
    )
