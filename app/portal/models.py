"""What the public front door keeps: the web form's submission record and the customers' tracking links.

A tracking link carries a long random token; only its SHA-256 is stored, so a copy of the database
opens no customer's case. A ticket may have several tokens (each e-mail may carry a fresh one); they
stop working `PORTAL_TRACKING_LINK_DAYS` after the ticket is closed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.tickets.models.tickets import Ticket

ORDER_NUMBER_MAX = 64
IDEMPOTENCY_KEY_MAX = 64


class TrackingToken(db.Model):
    __tablename__ = "tracking_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()


class WebSubmission(db.Model):
    """How a ticket came in through the public form: what the form asked beyond the ticket itself."""

    __tablename__ = "web_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    # Generated into the form when it is shown: a double click posts it twice, and the second post
    # finds the first ticket instead of opening another.
    idempotency_key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_MAX), unique=True)
    order_number: Mapped[str | None] = mapped_column(String(ORDER_NUMBER_MAX))
    # How satisfied the customer expected to be (1-5): the "a" of the survey's C = b / a.
    expected_satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    language: Mapped[str | None] = mapped_column(String(10))
    # A keyed hash of the sender's address, to spot floods without keeping addresses.
    remote_address_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
