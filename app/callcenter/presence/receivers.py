"""Receivers of agent presence: an agent signed out, disabled or given another role loses their open
consoles (and, signed out everywhere or disabled, goes offline at once)."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Agent
from app.accounts.signals import agent_disabled, agent_role_changed, sessions_ended
from app.callcenter.presence import services


def connect() -> None:
    sessions_ended.connect(_close_ended_sessions_consoles)
    agent_disabled.connect(_close_disabled_agents_consoles)
    agent_role_changed.connect(_reconnect_consoles_with_the_new_role)


def _close_ended_sessions_consoles(agent: Agent, session_key: str | None = None, **_: Any) -> None:
    """One session ended: its consoles close, and the grace period decides (another browser may still be
    open). Every session ended: all consoles close, and the agent is offline now."""
    services.close_consoles(agent.id, session_key=session_key)
    if session_key is None:
        services.book_going_offline(agent.id)


def _close_disabled_agents_consoles(agent: Agent, **_: Any) -> None:
    services.close_consoles(agent.id)
    services.book_going_offline(agent.id)


def _reconnect_consoles_with_the_new_role(agent: Agent, **_: Any) -> None:
    """The rooms a console is in depend on the role: closed, the consoles connect again into the right
    ones, and the grace period keeps the agent's state meanwhile."""
    services.close_consoles(agent.id)
