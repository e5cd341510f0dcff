"""Socket.IO adapters of the call center: the agent consoles' namespace.

A connection authenticates in `on_connect`, either by the browser's session cookie (Flask-Login, as for
pages) or by an API bearer token in the Socket.IO `auth` payload (`{"token": "..."}`), checked by the
accounts services like an `Authorization: Bearer` header. Anything else is refused. The agent's room is
joined here, server-side: a client never names the rooms it is in.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, join_room

from app.accounts import services as accounts
from app.accounts.access import current_agent
from app.accounts.models import Agent
from app.callcenter.services import agent_room

REFUSED = "Sign in, or connect with a valid API token: {'token': '...'}."


class AgentsNamespace(Namespace):
    """`/agents`: one connection per open console; each is in the room of its agent."""

    def on_connect(self, auth: Any = None) -> None:
        agent = connecting_agent(auth)
        if agent is None:
            raise ConnectionRefusedError(REFUSED)
        join_room(agent_room(agent.id))


def connecting_agent(auth: Any) -> Agent | None:
    """The active agent a connection speaks for: the token of `auth` when it carries one (a bad token is
    refused, whatever cookie comes with it), else the signed-in session's; None when neither holds."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        return accounts.agent_for_token(token.strip()) if isinstance(token, str) else None
    if current_user.is_authenticated:
        return current_agent()
    return None
