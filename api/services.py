"""Every write of the API app: integrations and their keys, the request log, idempotent answers,
and leads received through the API (which go through the importer's row path, leads_intake)."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import ApiRequest, IdempotentResponse, Integration, IntegrationKey, Scope
from leads.imports.layouts import EXTERNAL_ID_PREFIX, PROPERTY_PREFIX
from leads.imports.services import RowResult, leads_intake
from leads.models import Source

# The request log keeps this long; older rows are deleted by the daily clean-up.
REQUEST_LOG_DAYS = 30
# last_used_at is written at most this often per integration (one UPDATE per minute, not per call).
LAST_USED_EVERY = timedelta(minutes=1)
IDEMPOTENCY_DAYS = 1


class IntegrationError(Exception):
    """The integration cannot be made or changed as asked; the message is for the person."""


def _check_scopes(scopes) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise IntegrationError(f"Unknown scope(s): {', '.join(unknown)}. Use {', '.join(Scope.values)}.")
    if not scopes:
        raise IntegrationError("Give the integration at least one scope.")
    return [scope for scope in Scope.values if scope in scopes]


def integration_create(*, name: str, scopes, by=None, default_source: Source | None = None) -> tuple[Integration, str]:
    """A new integration and its first key. The key is returned once and never stored."""
    name = name.strip()
    if not name:
        raise IntegrationError("Name the integration.")
    if Integration.objects.filter(name__iexact=name).exists():
        raise IntegrationError(f"An integration called '{name}' exists already.")
    with transaction.atomic():
        integration = Integration.objects.create(
            name=name,
            scopes=_check_scopes(scopes),
            default_source=default_source,
            created_by=by,
            created_at=timezone.now(),
        )
        _, key = IntegrationKey.objects.create_key(name=name, integration=integration)
    return integration, key


def integration_update(*, integration: Integration, scopes, default_source: Source | None) -> Integration:
    integration.scopes = _check_scopes(scopes)
    integration.default_source = default_source
    integration.save(update_fields=["scopes", "default_source"])
    return integration


def integration_key_rotate(*, integration: Integration) -> str:
    """A new key for the integration; every older key stops working at once."""
    if not integration.is_active:
        raise IntegrationError(f"{integration} is revoked; make a new integration instead.")
    with transaction.atomic():
        IntegrationKey.objects.filter(integration=integration, revoked=False).update(revoked=True)
        _, key = IntegrationKey.objects.create_key(name=integration.name, integration=integration)
    return key


def integration_revoke(*, integration: Integration) -> Integration:
    """The integration and its keys stop working; its log and the leads it sent stay."""
    with transaction.atomic():
        IntegrationKey.objects.filter(integration=integration, revoked=False).update(revoked=True)
        if integration.revoked_at is None:
            integration.revoked_at = timezone.now()
            integration.save(update_fields=["revoked_at"])
    return integration


def api_request_log(
    *, integration: Integration, key_prefix: str, method: str, path: str, status: int, duration_ms: int
) -> None:
    now = timezone.now()
    ApiRequest.objects.create(
        integration=integration,
        key_prefix=key_prefix[:8],
        method=method[:7],
        path=path[:200],
        status=status,
        duration_ms=max(0, duration_ms),
        at=now,
    )
    if integration.last_used_at is None or integration.last_used_at < now - LAST_USED_EVERY:
        Integration.objects.filter(pk=integration.pk).update(last_used_at=now)
        integration.last_used_at = now


def api_log_trim(*, now=None) -> int:
    """Delete request-log rows and idempotent answers past their keeping time."""
    now = now or timezone.now()
    deleted, _ = ApiRequest.objects.filter(at__lt=now - timedelta(days=REQUEST_LOG_DAYS)).delete()
    gone, _ = IdempotentResponse.objects.filter(created_at__lt=now - timedelta(days=IDEMPOTENCY_DAYS)).delete()
    return deleted + gone


# --- Idempotency ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    status: int
    body: object


class IdempotencyConflict(Exception):
    """The key was used before for a different request."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def idempotent_answer(*, caller: str, key: str, fingerprint: str) -> Replay | None:
    """The stored answer to an earlier request with this key, if any."""
    stored = IdempotentResponse.objects.filter(caller=caller, key=key).first()
    if stored is None:
        return None
    if stored.fingerprint != fingerprint:
        raise IdempotencyConflict("This Idempotency-Key was used for a different request; use a new key.")
    return Replay(stored.status, stored.body)


def idempotent_store(*, caller: str, key: str, fingerprint: str, status: int, body) -> bool:
    """Keep the answer, in the transaction of the work it answers. False when a concurrent
    request with the same key got there first (the caller then rolls its own work back)."""
    try:
        with transaction.atomic():
            IdempotentResponse.objects.create(
                caller=caller, key=key, fingerprint=fingerprint, status=status, body=body, created_at=timezone.now()
            )
    except IntegrityError:
        return False
    return True


# --- Leads ----------------------------------------------------------------------------------

# API field → the importer's target it is read as.
TEXT_FIELDS = ("first_name", "last_name", "email", "phone", "company", "title", "country", "industry")


def intake_row(lead: dict) -> dict[str, str]:
    """An API lead (validated by the serializer) as the text cells of an import row, so the
    importer's rules read it exactly as they read a file's."""
    row = {name: lead[name] for name in TEXT_FIELDS if lead.get(name) not in (None, "")}
    for name in ("source", "campaign"):
        if lead.get(name):
            row[name] = lead[name]
    if lead.get("employees") is not None:
        row["employees"] = str(lead["employees"])
    if lead.get("is_customer") is not None:
        row["is_customer"] = "yes" if lead["is_customer"] else "no"
    for key, value in (lead.get("properties") or {}).items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        row[f"{PROPERTY_PREFIX}{key}"] = str(value)
    for external in lead.get("external_ids") or ():
        row[f"{EXTERNAL_ID_PREFIX}{external['system']}"] = external["id"]
    return row


def api_field(target: str) -> str:
    """The API's name for an importer target, for field-by-field errors."""
    if target.startswith(PROPERTY_PREFIX):
        return f"properties.{target.removeprefix(PROPERTY_PREFIX)}"
    if target.startswith(EXTERNAL_ID_PREFIX):
        return "external_ids"
    return target or "non_field_errors"


def leads_receive(*, leads: list[dict], by, integration: Integration | None, on_written=None) -> list[RowResult]:
    """Create or update the leads sent to the API, row by row, as an import would; `on_written`
    as leads_intake takes it."""
    origin = {"via": "api", "integration": integration.name if integration else ""}
    default_source = integration.default_source if integration else None
    return leads_intake(
        rows=[intake_row(lead) for lead in leads],
        by=by,
        origin=origin,
        default_source=default_source,
        on_written=on_written,
    )
