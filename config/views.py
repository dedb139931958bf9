from django.http import HttpRequest, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.views import defaults


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    """The 400 page without the request's context: a request refused for its Host header never
    reached the middleware that knows the person, so the workspace's context cannot be built."""
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception):
    """The product's 404 page; under /api/ the API's own JSON answer, as its schema says."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest):
    if _is_api(request):
        return JsonResponse({"detail": "Accord could not answer this request; it has been logged."}, status=500)
    return defaults.server_error(request)
