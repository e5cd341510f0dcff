"""Tables of routing: the work waiting for an agent, each queue's routing rules, and every offer made."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db


class WorkKind(StrEnum):
    TICKET = "ticket"
    CALL = "call"
    CALLBACK = "callback"


class WorkStatus(StrEnum):
    WAITING = "waiting"  # in its queue, offered to nobody
    OFFERED = "offered"  # offered to one agent, until they answer or the offer times out
    ASSIGNED = "assigned"  # accepted (or claimed by hand): routing is done with it
    CANCELLED = "cancelled"  # gone before anyone took it (a call abandoned, a ticket solved)


class OfferOutcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"
    WITHDRAWN = "withdrawn"  # the work went elsewhere (claimed by hand, abandoned) while offered


class WorkItem(db.Model):
    """One piece of work waiting for an agent: a ticket, a call in the queue, or a callback request.

    `subject_id` is the ticket's, call's or callback request's id, as `kind` says (calls sit above
    routing in the room, so no foreign key names them). One row per subject: routing it again reuses it.
    """

    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", name="uq_work_items_subject"),
        Index("ix_work_items_queue_status", "queue_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(Integer)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # Higher first; then the longest waiting.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default=WorkStatus.WAITING)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not to be offered before this time (a callback asked for later).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the agent finished it (a call ended, a callback made): it no longer counts against their
    # capacity (`routing.services.finish_work`).
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The queue it waited in before it overflowed to `queue_id`.
    overflowed_from_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QueueRouting(db.Model):
    """How routing serves one queue; a queue without a row is served by the desk's defaults."""

    __tablename__ = "queue_routing"

    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True)
    # Whether agents may still take its work by hand (claim) besides being offered it.
    claim_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    offer_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)
    # Work waiting longer than this moves to the overflow queue.
    overflow_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    overflow_after_seconds: Mapped[int | None] = mapped_column(Integer)


_PENDING = text("outcome = 'pending'")


class Offer(db.Model):
    """One offer of one piece of work to one agent, and how it ended: the routing decisions' record.

    At most one offer is pending per agent and per work item: the routers' row locks see to it, and
    two partial unique indexes make the database refuse anything else.
    """

    __tablename__ = "routing_offers"
    __table_args__ = (
        Index("ix_routing_offers_agent_offered", "agent_id", "offered_at"),
        Index(
            "uq_routing_offers_pending_agent",
            "agent_id",
            unique=True,
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
        Index(
            "uq_routing_offers_pending_item",
            "work_item_id",
            unique=True,
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(10), default=OfferOutcome.PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    work_item: Mapped[WorkItem] = relationship(lazy="joined")
