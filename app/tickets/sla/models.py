"""SLA policies, business-hours calendars, and each ticket's targets and pauses."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.versions import Versioned

if TYPE_CHECKING:
    from app.tickets.models.tickets import Ticket


class Calendar(Versioned, db.Model):
    """Business hours: weekly opening intervals in a time zone, and holidays (see business_hours.py)."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"mon": [["09:00", "17:00"]], ...}
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["2026-12-25", ...]
    # What each holiday is, for the people who read the calendar: {"2026-12-25": "Christmas"}. The clocks
    # need only the dates.
    holiday_names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaPolicy(Versioned, db.Model):
    """Targets in seconds for tickets matching a queue, a priority and/or a type (empty = any).

    The most specific matching policy applies: type, then queue, then priority count, in that order.
    Without a calendar the targets count wall-clock time.
    """

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    priority: Mapped[str | None] = mapped_column(String(10))
    ticket_type: Mapped[str | None] = mapped_column(String(16))
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("business_calendars.id"))
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    next_response_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    warning_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    calendar: Mapped[Calendar | None] = relationship()


class SlaTarget(db.Model):
    """One target of one ticket: first response, a next response, or resolution.

    `due_at` is recomputed from `started_at`, the policy's calendar and the ticket's pauses; it is
    empty while the clock is stopped (ticket pending). Met and breached are facts with their time.
    """

    __tablename__ = "ticket_sla_targets"
    __table_args__ = (Index("ix_ticket_sla_targets_open_due", "met_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # first_response, next_response, resolution
    target_seconds: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A target that no longer applies (e.g. next response when the ticket was solved first).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="sla_targets")
    policy: Mapped[SlaPolicy | None] = relationship()


class TicketPause(db.Model):
    """A stretch of time the SLA clocks stood still (the ticket was pending on the customer)."""

    __tablename__ = "ticket_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
