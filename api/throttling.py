from rest_framework.throttling import SimpleRateThrottle

from api.models import Integration


class PerCallerThrottle(SimpleRateThrottle):
    """Each integration (or person) has its own budget of requests (ACCORD_API_RATE), counted in
    the shared cache, so every web process counts the same calls."""

    scope = "caller"

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, Integration):
            return self.cache_format % {"scope": self.scope, "ident": f"integration-{request.auth.pk}"}
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
