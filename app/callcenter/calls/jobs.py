"""Jobs of calls (ids in, idempotent)."""

from __future__ import annotations

from app.callcenter.calls import services


def take_offered_work(offer_id: int) -> None:
    """The agent who accepted an offer of a call or a callback takes it (see the service)."""
    services.take_offered_work(offer_id)
