from functools import update_wrapper

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from security.limits import SEARCH_MAX_LENGTH


def _cap_search_terms(request) -> None:
    """Every changelist's search box (`q`) and autocomplete (`term`) searches at most
    SEARCH_MAX_LENGTH characters and no NUL (PostgreSQL refuses one); a longer term is cut, and
    the page says so."""
    unfit = [
        key
        for key in ("q", "term")
        if len(request.GET.get(key, "")) > SEARCH_MAX_LENGTH or "\x00" in request.GET.get(key, "")
    ]
    if not unfit:
        return
    query = request.GET.copy()
    for key in unfit:
        query[key] = query[key].replace("\x00", "")[:SEARCH_MAX_LENGTH]
    request.GET = query
    if "q" in unfit:
        messages.warning(request, f"Searches look at the first {SEARCH_MAX_LENGTH} characters only, without NUL.")


class AccordAdminSite(admin.AdminSite):
    site_header = "Accord administration"
    site_title = "Accord admin"
    index_title = "Administration"

    def admin_view(self, view, cacheable=False):
        """A signed-in person without admin access gets 403, not a second login form."""
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            _cap_search_terms(request)
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, view)
