"""Background jobs of the customers' side (plain values in, idempotent)."""

from __future__ import annotations

from app.portal import services


def send_tracking_links(email: str) -> None:
    """Mail the tracking links of the customer owning `email`, if any (safe to repeat). Requests now
    write their outbox row themselves; this stays for jobs enqueued before, by an older version."""
    services.send_tracking_links(email)
