"""Where a request comes from. Behind reverse proxies every request arrives from the nearest one,
and each proxy appends the address it saw to X-Forwarded-For (nginx's
`$proxy_add_x_forwarded_for`, gunicorn behind a load balancer). With ACCORD_PROXY_COUNT = N the
client is the N-th entry from the right: entries further left were sent by the client itself and
are not believed. With 0 (the default) the header is ignored and REMOTE_ADDR is the client. Login
lockouts (django-axes) and the web forms' rate limit both ask here."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.ACCORD_PROXY_COUNT
    if count <= 0:
        return remote
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(entries) < count:
        return remote  # fewer proxies than configured: the nearest one is the best we know
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
