"""With DEBUG on, Django answers an unknown address or an Http404 with its technical page (the
URL patterns, on yellow) and an error with its traceback page. This middleware answers with the
product's own 404 and 500 pages instead, so a person sees the same pages whatever DEBUG is;
ACCORD_DEBUG_ERROR_PAGES=1 brings Django's back. PermissionDenied goes to handler403 whatever
DEBUG is. Under /api/ the answers stay the API's JSON ones, whatever DEBUG is."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import Resolver404, get_resolver

from config import views

logger = logging.getLogger("django.request")


def _wanted(request) -> bool:
    # Under /api/ too: there config.views answers the API's JSON, as with DEBUG off.
    return settings.DEBUG and not settings.ACCORD_DEBUG_ERROR_PAGES


class ProductErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _wanted(request):
            try:
                get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
            except Resolver404 as error:
                # CommonMiddleware (outside this one) still adds a missing slash to this answer.
                return views.page_not_found(request, error)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and _wanted(request):
            return views.page_not_found(request, exception)
        if _wanted(request) and not isinstance(exception, PermissionDenied):
            # Returning a page skips Django's own logging of the error: log it as Django would.
            logger.error("Internal Server Error: %s", request.path, exc_info=exception, extra={"request": request})
            return views.server_error(request)
        return None
