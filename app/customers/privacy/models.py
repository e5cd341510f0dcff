"""The access log: one row each time someone opened a customer's profile (page, API, timeline)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import Agent


class AccessChannel(StrEnum):
    PAGE = "page"
    API = "api"
    TIMELINE = "timeline"


class CustomerAccess(db.Model):
    """Who opened which profile, when and how. Written on every read of a profile, so it holds ids and a
    time only: one narrow INSERT, and no personal value that an erasure would have to find."""

    __tablename__ = "customer_accesses"
    __table_args__ = (Index("ix_customer_accesses_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    via: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[Agent | None] = relationship()
