from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseNotFound, JsonResponse
from django.template import loader
from django.views import defaults

from security.redirects import previous_page


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    """The 400 page without the request's context: a request refused for its Host header never
    reached the middleware that knows the person, so the workspace's context cannot be built."""
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _back(request: HttpRequest) -> str | None:
    try:
        return previous_page(request)
    except Exception:  # a disallowed Host: the page still answers, with the way home only
        return None


def page_not_found(request: HttpRequest, exception: Exception | None = None):
    """The product's 404 page (with the way home and back); under /api/ the API's own JSON
    answer, as its schema says."""
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return HttpResponseNotFound(loader.render_to_string("404.html", {"back_url": _back(request)}, request))


def permission_denied(request: HttpRequest, exception: Exception | None = None):
    """The product's 403 page; the API answers its own refusals (DRF) before this is reached."""
    if is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return HttpResponseForbidden(loader.render_to_string("403.html", {"back_url": _back(request)}, request))


def server_error(request: HttpRequest):
    if is_api(request):
        return JsonResponse({"detail": "Accord could not answer this request; it has been logged."}, status=500)
    return defaults.server_error(request)
