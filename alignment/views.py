"""Workspace pages of the agreement: every version of the qualified-lead definition, readable
rule by rule, and any two versions side by side. Everyone signed in may read the agreement;
drafting and signing happen in the admin, through alignment.services."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from alignment import selectors, services


@login_required
def definition_list(request):
    versions = list(selectors.definitions())
    return render(request, "alignment/definition_list.html", {"versions": versions})


@login_required
def definition_detail(request, pk: int):
    definition = get_object_or_404(selectors.definitions(), pk=pk)
    context = {
        "definition": definition,
        "terms": selectors.definition_terms(definition),
        "problems": selectors.definition_problems(definition) if definition.is_editable else [],
        "approvals": selectors.approvals_in_round(definition),
        "history": definition.events.select_related("actor")[:30],
        "reasons": definition.rejection_reasons.order_by("position"),
        "can_sign": bool(services.sides_of(request.user)),
    }
    return render(request, "alignment/definition_detail.html", context)


@login_required
def definition_compare(request):
    versions = selectors.definitions()
    try:
        a = versions.get(pk=int(request.GET["a"]))
        b = versions.get(pk=int(request.GET["b"]))
    except (KeyError, ValueError, versions.model.DoesNotExist):
        raise Http404("Choose two versions to compare.") from None
    return render(request, "alignment/definition_compare.html", {"a": a, "b": b, "rows": selectors.compare(a, b)})
