"""Satisfaction surveys sent when a ticket is solved, and the follow-up tasks a poor answer starts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import Agent
    from app.tickets.models.tickets import Ticket

# (column, lowest, highest): CSAT and expectation/experience 1-5, CES 1-7, NPS 0-10 (docs: KPI.md).
SCALES = {
    "csat": (1, 5),
    "ces": (1, 7),
    "nps": (0, 10),
    "expected": (1, 5),
    "experienced": (1, 5),
}
COMMENT_MAX = 4000


class Survey(db.Model):
    """One per ticket. Only a SHA-256 of the link's token is kept; minting a new link replaces it."""

    __tablename__ = "surveys"
    __table_args__ = tuple(
        CheckConstraint(f"{name} IS NULL OR ({name} >= {low} AND {name} <= {high})", name=f"{name}_range")
        for name, (low, high) in SCALES.items()
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # Whoever had the ticket when it was solved: the answer is about their work.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    csat: Mapped[int | None] = mapped_column(Integer)
    ces: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    expected: Mapped[int | None] = mapped_column(Integer)  # a: what the customer expected
    experienced: Mapped[int | None] = mapped_column(Integer)  # b: what they got
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    agent: Mapped[Agent | None] = relationship()
    follow_up: Mapped[FollowUpTask | None] = relationship(back_populates="survey", uselist=False)

    @property
    def satisfaction_index(self) -> float | None:
        """C = b / a (KPI.md): at least 1 satisfied, below 1 dissatisfied."""
        if not self.expected or self.experienced is None:
            return None
        return self.experienced / self.expected


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class FollowUpTask(db.Model):
    """A supervisor calls back a customer whose survey answer was poor (complaint recovery)."""

    __tablename__ = "follow_up_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), unique=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=FollowUpStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))

    ticket: Mapped[Ticket] = relationship()
    survey: Mapped[Survey] = relationship(back_populates="follow_up")
    assignee: Mapped[Agent | None] = relationship(foreign_keys=[assignee_id])
    done_by: Mapped[Agent | None] = relationship(foreign_keys=[done_by_id])
