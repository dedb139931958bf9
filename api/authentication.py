"""How an integration proves who it is: `Authorization: Api-Key <key>`."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from api import selectors

KEYWORD = "Api-Key"


class IntegrationKeyAuthentication(authentication.BaseAuthentication):
    """request.auth is the Integration; request.user stays anonymous (an integration is no
    person, and the permissions ask for its scopes instead)."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        found = selectors.key_in_use(key.strip())
        if found is None:
            raise exceptions.AuthenticationFailed("The API key is not valid, or it was revoked.")
        request._accord_key_prefix = found.prefix
        return AnonymousUser(), found.integration

    def authenticate_header(self, request) -> str:
        return KEYWORD
