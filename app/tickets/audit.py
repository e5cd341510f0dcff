"""Writing the audit trail. Every change to a ticket goes through a service that calls `record`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from app.dbtypes import utcnow
from app.extensions import db
from app.tickets.models import Ticket, TicketEvent

if TYPE_CHECKING:
    from app.accounts.models import Agent


def _plain(value: Any) -> Any:
    """JSON-friendly form of a recorded value (enums by value, datetimes and decimals as text)."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def record(
    ticket: Ticket,
    kind: str,
    *,
    actor: Agent | None,
    actor_kind: str | None = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Add one audit event to the session (the caller's use case commits it with the change)."""
    event = TicketEvent(
        ticket=ticket,
        at=at or utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_kind=actor_kind or ("agent" if actor is not None else "system"),
        kind=kind,
        field=field,
        old_value=_plain(old),
        new_value=_plain(new),
    )
    db.session.add(event)
    return event
