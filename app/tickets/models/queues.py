"""Ticket queues: where work waits for the agents who have the skills for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Skill, Team
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.tickets.models.vocabulary import OutsiderAccess
from app.versions import Versioned

queue_skills = Table(
    "queue_skills",
    db.metadata,
    Column("queue_id", Integer, ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", Integer, ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class Queue(Versioned, db.Model):
    """A line of work (billing, complaints, ...) served by a team.

    Routing offers its tickets to agents who have its skills. Members of its team work its tickets;
    `outsider_access` says whether other agents may read them or not see them at all
    (`app.tickets.services.access`).
    """

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    outsider_access: Mapped[str] = mapped_column(
        String(10), default=OutsiderAccess.NONE, server_default=OutsiderAccess.NONE.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team | None] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=queue_skills, order_by="Skill.name")
