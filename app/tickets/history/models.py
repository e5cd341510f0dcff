"""Ticket history imports uploaded through the API, kept with their outcome (the job processes them by id)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.customers.models import ImportStatus
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import Agent


class TicketImport(db.Model):
    """A JSON Lines file of another helpdesk's tickets, its progress and its per-line errors.

    The counts are written in the same transaction as each batch of imported lines, so while the job runs
    they say exactly what has landed (`processed_count` of `line_count` lines).
    """

    __tablename__ = "ticket_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default=ImportStatus.QUEUED)
    content: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    # Non-blank lines in the file, and how many of them have been dealt with so far.
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    processed_count: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"line": <1-based line number>, "reference": ..., "errors": {field: [...]}}], the first 1000.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[Agent | None] = relationship("Agent")
