"""Where a webhook may be sent: never, by default, to an address inside the network Accord runs
in (loopback, private, link-local, the cloud metadata address...), so a subscription cannot be
used to reach internal services. ACCORD_WEBHOOKS_ALLOW_PRIVATE lifts that for tests and demos."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class RefusedAddress(Exception):
    pass


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str) -> None:
    """Raise RefusedAddress when ``url`` is not http(s) or its host resolves to an internal
    address (and those are not allowed), or does not resolve at all."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedAddress("Only http and https URLs with a host can receive webhooks.")
    if settings.ACCORD_WEBHOOKS_ALLOW_PRIVATE:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedAddress("The URL's port is not a number.") from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise RefusedAddress(f"{parts.hostname} does not resolve.") from None
    internal = sorted({info[4][0] for info in found if _is_internal(info[4][0])})
    if internal:
        raise RefusedAddress(
            f"{parts.hostname} resolves to an internal address ({', '.join(internal)}); webhooks go to public "
            "addresses only."
        )
