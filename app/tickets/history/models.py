"""Ticket history imports uploaded through the API, kept with their outcome (the job processes them by id)."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.imports import ImportRecord


class TicketImport(ImportRecord, db.Model):
    """A JSON Lines file of another helpdesk's tickets, its progress and its per-line errors
    (`{"line": <1-based line number>, "reference": ..., "errors": {field: [...]}}`).

    The counts are written in the same transaction as each batch of imported lines, so while the job runs
    they say exactly what has landed (`processed_count` of `line_count` lines).
    """

    __tablename__ = "ticket_imports"

    # Non-blank lines in the file, and how many of them have been dealt with so far.
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    processed_count: Mapped[int] = mapped_column(Integer, default=0)
