"""Workspace pages of the agreement: every version of the qualified-lead definition, readable
rule by rule, and any two versions side by side. Everyone signed in may read the agreement;
drafting and signing happen in the admin, through alignment.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alignment import routing, selectors, services
from alignment.backtest import OUTCOMES
from alignment.exceptions import AlignmentError, InvalidDefinition
from alignment.forms import SignatureForm
from alignment.models import ACTIVITY_KINDS
from alignment.panels import definition_panels
from security.limits import parse_id


@login_required
def definition_list(request):
    versions = list(selectors.definitions())
    context = {"versions": versions, "can_draft": services.may_draft(request.user), "outcomes": OUTCOMES}
    return render(request, "alignment/definition_list.html", context)


@login_required
def definition_detail(request, pk: int):
    definition = get_object_or_404(selectors.definitions(), pk=pk)
    terms = selectors.definition_terms(definition)
    context = {
        "definition": definition,
        "fit_rules": [rule.describe(terms.labels) for rule in terms.fit_rules],
        "engagement_rules": [rule.describe(terms.labels) for rule in selectors.engagement_rules_of(terms)],
        "problems": selectors.definition_problems(definition) if definition.is_editable else [],
        "approvals": selectors.approvals_in_round(definition),
        "history": definition.events.select_related("actor")[:30],
        "reasons": definition.rejection_reasons.order_by("position"),
        "routes": [routing.describe(route, terms.labels) for route in selectors.definition_routes(definition)],
        "my_sides": services.sides_of(request.user),
        "panels": definition_panels(definition, request.user),
        "ready_activity_labels": [dict(ACTIVITY_KINDS).get(kind, kind) for kind in terms.ready_activities],
        "can_draft": services.may_draft(request.user),
    }
    return render(request, "alignment/definition_detail.html", context)


@login_required
def definition_compare(request):
    versions = selectors.definitions()
    try:
        a = versions.get(pk=parse_id(request.GET["a"]))
        b = versions.get(pk=parse_id(request.GET["b"]))
    except (KeyError, versions.model.DoesNotExist):
        raise Http404("Choose two versions to compare.") from None
    context = {"a": a, "b": b, "rows": selectors.compare(a, b), "can_draft": services.may_draft(request.user)}
    return render(request, "alignment/definition_compare.html", context)


def _refuse(request, pk: int, form):
    """Back to the version's page with what was wrong with the form."""
    get_object_or_404(selectors.definitions(), pk=pk)
    for field, errors in form.errors.items():
        messages.error(request, f"{field.capitalize()}: {' '.join(errors)}")
    return redirect("definition_detail", pk=pk)


def _act(request, pk: int, action, success: str):
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
    return redirect("definition_detail", pk=result.pk)


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


@login_required
@require_POST
def definition_new_draft(request, pk: int):
    return _act(
        request,
        pk,
        lambda d: services.definition_create(by=request.user, name=d.name, based_on=d),
        "v{definition.version} is a new draft copied from this version; edit it in the admin.",
    )
