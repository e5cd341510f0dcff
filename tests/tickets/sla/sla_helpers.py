"""Helpers for the SLA tests: play the ticket services' part (they call the SLA clock functions inside
their use cases, with autoflush off as they do, then commit) so the tests read as the SLA specification.

Dates are in 2026: Monday 5 January to Sunday 11 January is the test week.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.tickets.models import Ticket, TicketEvent
from app.tickets.sla import services as sla
from app.tickets.sla.models import SlaTarget
from tests.ticket_factories import TicketFactory

HOUR = 3600
DAY = 24 * HOUR


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def open_ticket(created_at: datetime, **fields) -> Ticket:
    """A new ticket whose clocks started, as `open_ticket` will do it."""
    ticket = TicketFactory(created_at=created_at, **fields)
    sla.start_clocks(ticket, created_at)
    db.session.commit()
    return ticket


def change_status(ticket: Ticket, new_status: str, at: datetime) -> None:
    old_status = ticket.status
    with db.session.no_autoflush:
        ticket.status = new_status
        sla.on_status_change(ticket, old_status, new_status, at)
    db.session.commit()


def agent_replies(ticket: Ticket, at: datetime) -> None:
    with db.session.no_autoflush:
        ticket.public_reply_count += 1
        ticket.first_response_at = ticket.first_response_at or at
        sla.on_agent_public_reply(ticket, at)
    db.session.commit()


def customer_writes(ticket: Ticket, at: datetime) -> None:
    with db.session.no_autoflush:
        ticket.last_customer_message_at = at
        sla.on_customer_message(ticket, at)
    db.session.commit()


def target(ticket: Ticket, kind: str) -> SlaTarget:
    """The ticket's latest target of this kind, as stored."""
    db.session.expire_all()
    found = [t for t in sla.ticket_sla(ticket.id) if t.kind == kind]
    assert found, f"ticket has no {kind} target"
    return found[-1]


def kinds(ticket: Ticket) -> list[str]:
    db.session.expire_all()
    return [t.kind for t in sla.ticket_sla(ticket.id)]


def audit_events(ticket: Ticket, kind: str) -> list[TicketEvent]:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
    return list(db.session.scalars(query.order_by(TicketEvent.id)))


@contextmanager
def received(signal) -> Iterator[list[tuple[Ticket, SlaTarget]]]:
    """What a receiver of `signal` would get: (ticket, target) per send."""
    calls: list[tuple[Ticket, SlaTarget]] = []

    def receiver(sender, **kwargs):
        calls.append((sender, kwargs["target"]))

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)
