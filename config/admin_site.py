from functools import update_wrapper

from django.contrib import admin
from django.core.exceptions import PermissionDenied


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
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, view)
