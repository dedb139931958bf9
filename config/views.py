from django.http import HttpRequest, HttpResponseBadRequest
from django.template import loader


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    """The 400 page without the request's context: a request refused for its Host header never
    reached the middleware that knows the person, so the workspace's context cannot be built."""
    return HttpResponseBadRequest(loader.render_to_string("400.html"))
