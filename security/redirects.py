"""Where a `next` parameter may send someone: back into this site only."""

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str, *args) -> str:
    """The `next` the request names (POST first, then GET) when it points into this site over
    the same scheme; otherwise `default` (a URL name with its args, or a path)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default, *args)


def previous_page(request) -> str | None:
    """The page the person came from (the Referer), when it is on this site and not this very
    page; None otherwise (an error page then offers only the way home)."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    if referer == request.build_absolute_uri():
        return None
    return referer
