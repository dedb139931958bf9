from rest_framework.throttling import SimpleRateThrottle

from api.models import Integration
from security import rates


class PerCallerThrottle(SimpleRateThrottle):
    """Each integration (or person) has its own budget of requests (ACCORD_API_RATE) per window
    of the clock, counted in the shared cache (security.rates), so every web process counts the
    same calls."""

    scope = "caller"

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, Integration):
            return self.cache_format % {"scope": self.scope, "ident": f"integration-{request.auth.pk}"}
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        spent, self.seconds_left = rates.spend(key, self.duration)
        return spent <= self.num_requests

    def wait(self) -> float:
        return self.seconds_left
