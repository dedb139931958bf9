"""What the webhook task does, run by hand in tests."""

from webhooks import services


def run_webhooks(**kwargs) -> dict:
    """Dispatch new lead events, then send what is due (``now`` for both)."""
    dispatched = services.deliveries_dispatch(now=kwargs.get("now"))
    return {"dispatched": dispatched, **services.deliveries_send_due(**kwargs)}
