"""Tickets and complaints, their conversation, links, the append-only audit trail and macros."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.tickets.models.vocabulary import ComplaintStage, Priority, Status, TicketChannel, TicketType
from app.versions import Versioned

if TYPE_CHECKING:
    from app.accounts.models import Agent
    from app.customers.models import Customer
    from app.tickets.attachments.models import Attachment
    from app.tickets.models.queues import Queue
    from app.tickets.sla.models import SlaTarget, TicketPause

SUBJECT_MAX = 250
BODY_MAX = 100_000
REFERENCE_MAX = 40


class Ticket(Versioned, db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_queue", "status", "queue_id"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), unique=True)
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    description: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    type: Mapped[str] = mapped_column(String(16), default=TicketType.QUESTION)
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL)
    channel: Mapped[str] = mapped_column(String(10), default=TicketChannel.API)
    status: Mapped[str] = mapped_column(String(10), default=Status.NEW)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Optimistic locking (`Versioned`): every change bumps `version`; a writer holding an older one gets
    # a 409.

    # The timestamps KPIs are computed from (docs: KPI.md).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # Public agent replies, for first contact resolution (solved with exactly one, never reopened).
    public_reply_count: Mapped[int] = mapped_column(Integer, default=0)
    last_customer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    customer: Mapped[Customer] = relationship()
    queue: Mapped[Queue | None] = relationship()
    assignee: Mapped[Agent | None] = relationship()
    complaint: Mapped[Complaint | None] = relationship(
        back_populates="ticket", uselist=False, cascade="all, delete-orphan"
    )
    tag_rows: Mapped[list[TicketTag]] = relationship(
        cascade="all, delete-orphan", order_by="TicketTag.tag", lazy="selectin"
    )
    sla_targets: Mapped[list[SlaTarget]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="SlaTarget.id"
    )
    # The stretches its SLA clocks stood still, read once per session: the clock steps of a use case
    # see the pauses they opened a moment ago without a query (or a flush) each.
    pauses: Mapped[list[TicketPause]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="TicketPause.started_at"
    )

    @property
    def tags(self) -> list[str]:
        return sorted(row.tag for row in self.tag_rows)

    @property
    def is_complaint(self) -> bool:
        return self.type == TicketType.COMPLAINT

    def __repr__(self) -> str:
        return f"<Ticket {self.reference} {self.status}>"


class TicketTag(db.Model):
    __tablename__ = "ticket_tags"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class Complaint(db.Model):
    """What complaint handling needs beyond a ticket: the procedure's stage, cause, remedy, follow-up."""

    __tablename__ = "complaints"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    desired_outcome: Mapped[str | None] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20), default=ComplaintStage.RECEIVED, index=True)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    remedy: Mapped[str] = mapped_column(Text, default="")
    compensation_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    compensation_currency: Mapped[str | None] = mapped_column(String(3))
    compensation_note: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="complaint")


comment_mentions = Table(
    "comment_mentions",
    db.metadata,
    Column("comment_id", Integer, ForeignKey("ticket_comments.id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
)


class Comment(db.Model):
    """A public reply (the customer sees it) or an internal note, by an agent or by the customer."""

    __tablename__ = "ticket_comments"
    __table_args__ = (Index("ix_ticket_comments_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    # Set when the customer wrote it (portal, e-mail); then author_id is empty.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    body: Mapped[str] = mapped_column(Text)  # sanitized HTML
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    author: Mapped[Agent | None] = relationship()
    mentions: Mapped[list[Agent]] = relationship(secondary=comment_mentions)
    attachments: Mapped[list[Attachment]] = relationship(back_populates="comment", order_by="Attachment.id")


class TicketEvent(db.Model):
    """One line of the audit trail: who changed what, when, from which value to which.

    Append-only: services only ever insert, and the database refuses UPDATE and DELETE (triggers below),
    except blanking an event's values when a customer's data is erased.
    """

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_at", "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # agent, customer, system (jobs) or import
    actor_kind: Mapped[str] = mapped_column(String(10), default="agent")
    kind: Mapped[str] = mapped_column(String(30))
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)

    actor: Mapped[Agent | None] = relationship()
    ticket: Mapped[Ticket] = relationship()


# The one change allowed to a recorded event: blanking both of its values, and nothing else, which is
# how a customer's erasure removes the texts they typed (a subject, a root cause) from the trail. Who
# did what and when stays; a forged or deleted event is refused.
_APPEND_ONLY = {
    "postgresql": [
        """
        CREATE OR REPLACE FUNCTION ticket_events_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.old_value IS NULL AND NEW.new_value IS NULL
               AND (NEW.id, NEW.ticket_id, NEW.at, NEW.actor_id, NEW.actor_kind, NEW.kind, NEW.field)
                   IS NOT DISTINCT FROM
                   (OLD.id, OLD.ticket_id, OLD.at, OLD.actor_id, OLD.actor_kind, OLD.kind, OLD.field) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'ticket_events is append-only';
        END; $$ LANGUAGE plpgsql
        """,
        """
        CREATE TRIGGER ticket_events_append_only BEFORE UPDATE OR DELETE ON ticket_events
        FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only()
        """,
    ],
    "sqlite": [
        """
        CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
        WHEN NOT (
            NEW.old_value IS NULL AND NEW.new_value IS NULL
            AND NEW.id IS OLD.id AND NEW.ticket_id IS OLD.ticket_id AND NEW.at IS OLD.at
            AND NEW.actor_id IS OLD.actor_id AND NEW.actor_kind IS OLD.actor_kind
            AND NEW.kind IS OLD.kind AND NEW.field IS OLD.field
        )
        BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END
        """,
        """
        CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
        BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END
        """,
    ],
}
for _dialect, _statements in _APPEND_ONLY.items():
    for _statement in _statements:
        event.listen(TicketEvent.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


class TicketLink(db.Model):
    """Two tickets that belong together: related, a follow-up of a closed one, or merged as duplicate."""

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("ticket_id", "linked_ticket_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    linked_ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="related")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))


class Macro(Versioned, db.Model):
    """A canned response: field changes and a reply applied in one step.

    `actions`: {"set": {"status", "priority", "type", "queue_id", "assignee_id"}, "add_tags": [...],
    "remove_tags": [...], "reply": {"body": "...", "public": true}}
    """

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
