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
