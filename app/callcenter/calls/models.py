"""Tables of calls: each call's record, every telephony event received (idempotent by id), and callback
requests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db


class CallStatus(StrEnum):
    QUEUED = "queued"  # offered by the telephony system, waiting for an agent
    TALKING = "talking"  # answered by an agent
    HELD = "held"
    ENDED = "ended"  # the conversation is over (the agent may still be wrapping up)
    ABANDONED = "abandoned"  # the caller hung up before anyone answered


class Call(db.Model):
    """One call, as the telephony system told it and the agent wrapped it up."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("provider", "external_id", name="uq_calls_provider_external_id"),
        Index("ix_calls_queue_offered", "queue_id", "offered_at"),
        Index("ix_calls_agent_offered", "agent_id", "offered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who told us: "pbx" (the signed generic webhook), "twilio", "import", "simulator".
    provider: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(128))  # the provider's call id
    caller: Mapped[str] = mapped_column(String(64), default="")
    dialed: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(10), default=CallStatus.QUEUED)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hold_seconds: Mapped[int] = mapped_column(Integer, default=0)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    wrap_up_seconds: Mapped[int | None] = mapped_column(Integer)
    wrap_up_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    disposition: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallEvent(db.Model):
    """A telephony event as received, kept once per provider and event id (a repeat is ignored)."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_call_events_provider_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(128))
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # call.offered, call.answered, ...
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CallbackStatus(StrEnum):
    WAITING = "waiting"  # routed as work, at or after `requested_for`
    DONE = "done"
    CANCELLED = "cancelled"


class CallbackRequest(db.Model):
    """A call we owe a customer: a missed or abandoned call, or asked for from the tracking page."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    # "missed_call", "abandoned_call", "portal" (the customer asked on the tracking page), "agent".
    source: Mapped[str] = mapped_column(String(20))
    requested_for: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=CallbackStatus.WAITING)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
