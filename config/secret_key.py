"""The secret key of a machine that is not given one: generated once under var/, readable by its
owner only, and reused by every process and every start."""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def generated_secret_key(path: Path) -> str:
    """The key stored at ``path``, written there first (mode 600) if there is none. Processes that
    start together agree on one key: each writes its own candidate to a private temporary file and
    links it into place, which fails for all but the first."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, candidate = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 600
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(50) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: use its key
                os.link(candidate, path)
        finally:
            os.unlink(candidate)
    except OSError as error:
        raise ImproperlyConfigured(f"Set DJANGO_SECRET_KEY, or let Accord write one to {path}: {error}") from None
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"{path} holds no usable secret key: delete it to have a new one made")
    return key
