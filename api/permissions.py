"""Who may call which endpoint: an integration by its scopes, a person by their role, the same
roles as in the workspace (the querysets then show each person only what their role lets them
see, through alignment.policies)."""

from rest_framework import permissions

from alignment.roles import is_marketing
from api.models import Integration, Scope


def _person_may(user, scope: str) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if scope in (Scope.CREATE_LEADS, Scope.LOG_ACTIVITIES):
        return user.is_superuser or is_marketing(user)
    return True  # reading: each person sees what their role lets them see


class HasScope(permissions.BasePermission):
    """The view's `scope` is one the integration holds, or that the person's role allows."""

    message = "This key or account may not do this."

    def has_permission(self, request, view) -> bool:
        scope = view.scope
        if isinstance(request.auth, Integration):
            return scope in request.auth.scopes
        return _person_may(request.user, scope)
