"""Agents (every person who signs in: agents, supervisors, admins), their sign-in sessions, the count of
failed sign-ins per e-mail address, teams, skills, API tokens, and the trail of changes to named settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.versions import Versioned


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


team_members = Table(
    "team_members",
    db.metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
)


class Agent(db.Model):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), default=Role.AGENT)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    teams: Mapped[list[Team]] = relationship(
        secondary=team_members, back_populates="members", order_by="Team.name"
    )
    skills: Mapped[list[AgentSkill]] = relationship(
        back_populates="agent", cascade="all, delete-orphan", order_by="AgentSkill.skill_id"
    )

    # Flask-Login's user protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    # The key of the sign-in session this object was loaded for or signed in with (not a column: only its
    # hash is stored, in `sign_in_sessions`); None for a bearer token's agent.
    session_key = None

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the session cookie and the remember cookie: the session's key, so
        that either cookie is worth exactly as long as the server-side session is open."""
        return self.session_key

    def __repr__(self) -> str:
        return f"<Agent {self.id} {self.email} {self.role}>"


class SignInSession(db.Model):
    """One sign-in through the login page, open until its owner signs out (here or everywhere), their
    password changes or their account is disabled. Only a SHA-256 of its key is stored."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most every few minutes (`services.SESSION_TOUCH_INTERVAL`), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    # Whether the browser was asked to keep it past its own closing (the remember cookie).
    remembered: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agent: Mapped[Agent] = relationship()


class SignInThrottle(db.Model):
    """Failed sign-ins at one e-mail address, whether or not an account has it, from any client and
    through either way in (the login page, the token endpoint): the database is shared by every web
    process, so a guesser spreading tries over many addresses and processes meets one count."""

    __tablename__ = "sign_in_throttles"

    # Normalized as the sign-in looks it up (`services.sign_in_email`).
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    # Failures since `window_started_at`; a failure after the window is over starts a new one.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While in the future, every sign-in at this address is refused, the right password too.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Team(Versioned, db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[Agent]] = relationship(
        secondary=team_members, back_populates="teams", order_by="Agent.name"
    )


class Skill(db.Model):
    """Something an agent can handle (a language, a product, a channel); routing matches on these."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class AgentSkill(db.Model):
    __tablename__ = "agent_skills"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, default=3)

    agent: Mapped[Agent] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        return self.skill.name


class ApiToken(db.Model):
    """A bearer token for the API. Only a SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agent: Mapped[Agent] = relationship()


class SettingKind(StrEnum):
    """The named settings whose changes the trail records (`SettingChange.kind`)."""

    TEAM = "team"
    QUEUE = "queue"
    MACRO = "macro"
    CALENDAR = "calendar"
    SLA_POLICY = "sla_policy"
    CUSTOM_FIELD = "custom_field"
    WEB_FORM_ROUTES = "web_form_routes"
    BREAK_REASON = "break_reason"


class SettingChange(db.Model):
    """One change of a named setting: who made it, when, and each field's old and new value.

    The settings of other rooms (queues, SLA policies, ...) are named by kind and id, not by a foreign key:
    keys point down, and the trail outlives a deleted setting. Written in the same transaction as the
    change it records (`services.record_setting_change`).
    """

    __tablename__ = "setting_changes"
    __table_args__ = (Index("ix_setting_changes_kind_setting_id", "kind", "setting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Kept with the record whatever happens to the agent: the trail answers who did it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    setting_id: Mapped[int] = mapped_column(Integer)
    # The name after the change (before it, for a deletion).
    name: Mapped[str] = mapped_column(String(80))
    # created, updated or deleted (`app.named_settings.Action`)
    action: Mapped[str] = mapped_column(String(10))
    # {field: [old, new]}; old is null for a creation, new for a deletion.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[Agent | None] = relationship()
