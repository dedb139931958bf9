"""The public end of web-to-lead forms: POST /forms/<key>/ from a visitor's browser."""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from security.clients import client_ip
from webforms import selectors, services

STATUS = {"created": 201, "updated": 200, "spam": 200, "rate_limited": 429, "refused": 400, "origin": 403}


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.GET.get("format") == "json"


@csrf_exempt  # posted from the website's own pages; the form's allowed origins are the guard
@require_POST
def webform_post(request, key: str):
    form = selectors.active_form(key)
    if form is None:
        raise Http404("No such form.")
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    if size > settings.ACCORD_FORM_MAX_BYTES:
        return HttpResponse("The form sent more than this form takes.", status=413, content_type="text/plain")
    origin = request.headers.get("Origin", "")
    received = services.webform_receive(form=form, data=request.POST, ip=client_ip(request), origin=origin)
    status = STATUS[received.outcome]
    if _wants_json(request):
        # Spam is answered as a success: a bot learns nothing from the answer.
        response = JsonResponse({"ok": status < 300, "errors": received.errors}, status=status)
    elif status < 300:
        response = HttpResponseRedirect(form.thank_you_url, status=303)
    else:
        context = {"form": form, "received": received, "back": request.headers.get("Referer", "")}
        response = render(request, "webforms/refused.html", context, status=status)
    if origin and services.origin_allowed(form, origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response
