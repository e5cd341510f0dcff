"""Tables of agent presence: each agent's state now, and every state they were in, with start and end
(occupancy and adherence are computed from the periods)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.callcenter.models import BreakReason
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db


class PresenceState(StrEnum):
    AVAILABLE = "available"  # ready for work: routing offers to them
    BUSY = "busy"  # on a call or a chat
    WRAP_UP = "wrap_up"  # after-call work, up to a configurable maximum
    BREAK = "break"  # away, with a break reason
    OFFLINE = "offline"  # signed out of the queues, or their consoles are gone


class AgentPresence(db.Model):
    """An agent's state now: one row per agent who ever opened a console."""

    __tablename__ = "agent_presence"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default=PresenceState.OFFLINE)
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("break_reasons.id", ondelete="SET NULL"))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the agent last finished work (or became available): routing offers to the longest idle first.
    idle_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How much work routing may give them at once; None: the desk's defaults (ROUTING_*_CAPACITY).
    call_capacity: Mapped[int | None] = mapped_column(Integer)
    ticket_capacity: Mapped[int | None] = mapped_column(Integer)


class PresencePeriod(db.Model):
    """One stretch of time an agent spent in one state; the open one has no end."""

    __tablename__ = "presence_periods"
    __table_args__ = (Index("ix_presence_periods_agent_started", "agent_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10))
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("break_reasons.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who set the state: the agent, a supervisor, or None for the desk (a call event, a timeout, a sweep).
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))

    # A period's reason never changes once written: read along with it (history lists show its name).
    reason: Mapped[BreakReason | None] = relationship(BreakReason, lazy="joined", viewonly=True)
