from functools import update_wrapper

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from config import navigation
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
    # The admin is one part of the portal: the header shows Accord's brand and the workspace's
    # navigation (templates/admin/base_site.html, config/navigation.py).
    site_header = "Accord"
    site_title = "Accord admin"
    index_title = "Admin"
    site_url = "/"

    def each_context(self, request):
        context = super().each_context(request)
        # The admin's custom pages (imports, merges) are rendered with this context; the header's
        # navigation comes from the same builder the workspace's context processor calls.
        context.update(navigation.navigation(request))
        return context

    def admin_view(self, view, cacheable=False):
        """A signed-in person without admin access gets 403, not a second login form."""
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            _cap_search_terms(request)
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, view)
