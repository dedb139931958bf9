"""Sending one signed POST and reading its answer: the standard library's http.client, with one
kept-alive connection per receiver and thread, a timeout, no redirects followed (a redirect could
lead anywhere, the internal network included) and at most RESPONSE_LIMIT bytes of the answer
read. Nothing here touches the database, so a sender runs many of these in threads."""

import http.client
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks.addresses import RefusedAddress, check_url

RESPONSE_LIMIT = 2048
EXCERPT_CHARS = 500
ERROR_CHARS = 2000

_local = threading.local()
_tls = ssl.create_default_context()


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timed out, connection failed)
    duration_ms: int
    error: str = ""
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _connection(scheme: str, host: str, port: int, timeout: float):
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    key = (scheme, host, port)
    conn = pool.get(key)
    if conn is None:
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=_tls)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        pool[key] = conn
        return conn, False
    return conn, True


def _drop(scheme: str, host: str, port: int) -> None:
    conn = getattr(_local, "pool", {}).pop((scheme, host, port), None)
    if conn is not None:
        conn.close()


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float, checked: set[str] | None = None) -> Answer:
    """POST ``body`` to ``url``. ``checked`` holds the hosts whose address was already checked
    in this pass (a lookup per host, not per request)."""
    started = time.perf_counter()

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        if checked is None or host not in checked:
            check_url(url)
            if checked is not None:
                checked.add(host)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (RefusedAddress, ValueError) as error:
        return Answer(None, took(), f"Refused: {error}"[:ERROR_CHARS])
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for attempt in (1, 2):
        conn, reused = _connection(parts.scheme, host, port, timeout)
        try:
            conn.request("POST", path, body=body, headers={**headers, "Content-Length": str(len(body))})
            response = conn.getresponse()
            text = response.read(RESPONSE_LIMIT)
            if response.will_close or not response.isclosed():
                _drop(parts.scheme, host, port)  # closing, or an answer too long to read whole
            return Answer(response.status, took(), "", text.decode("utf-8", "replace")[:EXCERPT_CHARS])
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
            _drop(parts.scheme, host, port)
            if reused and attempt == 1:
                continue  # the receiver closed an idle kept-alive connection: once more on a new one
            return Answer(None, took(), f"{type(error).__name__}: {error}"[:ERROR_CHARS])
        except (OSError, http.client.HTTPException) as error:
            _drop(parts.scheme, host, port)
            return Answer(None, took(), f"{type(error).__name__}: {error}"[:ERROR_CHARS])
    return Answer(None, took(), "No answer")
