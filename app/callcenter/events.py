"""Socket.IO adapters of the call center: the agent consoles' namespace.

A connection authenticates in `on_connect`, either by the browser's session cookie (Flask-Login, as for
pages) or by an API bearer token in the Socket.IO `auth` payload (`{"token": "..."}`), checked by the
accounts services like an `Authorization: Bearer` header. Anything else is refused. Rooms are joined
here, server-side: a client never names the rooms it is in without the server checking it may.

Every event is authenticated again (`speaking_agent`): the session or token the connection opened with
must still be valid and its agent active, so a signed-out or disabled agent's socket can do nothing even
before it is disconnected.

The call center's packages own their events: each registers a handler for the events a console sends
(`on_event`), and steps to run when a console connects or disconnects (`on_connect`, `on_disconnect`),
from its `init_app`. A handler takes the speaking `Agent` and the event's data and returns the
acknowledgement sent back to the client (JSON values).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, disconnect, join_room

from app.accounts import services as accounts
from app.accounts.access import current_agent
from app.accounts.models import Agent
from app.callcenter.services import agent_room
from app.errors import AppError

REFUSED = "Sign in, or connect with a valid API token: {'token': '...'}."

EventHandler = Callable[[Agent, Any], Any]
ConnectionStep = Callable[[Agent, str], None]

# The token a connection authenticated with, in its Socket.IO session (never sent back to the client).
_TOKEN_KEY = "callcenter.socket_token"


class AgentsNamespace(Namespace):
    """`/agents`: one connection per open console; each is in the room of its agent, and in the rooms
    the connection steps of the packages put it in."""

    def __init__(self, namespace: str):
        super().__init__(namespace)
        self.handlers: dict[str, EventHandler] = {}
        self.connect_steps: list[ConnectionStep] = []
        self.disconnect_steps: list[ConnectionStep] = []

    def on_event(self, name: str, handler: EventHandler) -> None:
        self.handlers[name] = handler

    def on_connect(self, auth: Any = None) -> None:
        agent = connecting_agent(auth)
        if agent is None:
            raise ConnectionRefusedError(REFUSED)
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            session[_TOKEN_KEY] = auth["token"].strip()
        session["callcenter.agent_id"] = agent.id
        join_room(agent_room(agent.id))
        for step in self.connect_steps:
            step(agent, request.sid)

    def on_disconnect(self, reason: Any = None) -> None:
        agent = speaking_agent()
        agent_id = agent.id if agent else session.get("callcenter.agent_id")
        for step in self.disconnect_steps:
            step(agent_id, request.sid)

    def trigger_event(self, event: str, *args: Any) -> Any:
        # Flask-SocketIO dispatches `event` to the method `on_<event>` inside the request context it sets
        # up; the packages' events all go to `on_package_event`, which finds the registered handler.
        if event in self.handlers:
            sid, *data = args
            return super().trigger_event("package_event", sid, event, *data)
        if event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)
        return {"ok": False, "error": f"unknown event {event!r}"}

    def on_package_event(self, event: str, data: Any = None) -> dict[str, Any]:
        agent = speaking_agent()
        if agent is None:
            disconnect()
            return {"ok": False, "error": REFUSED}
        try:
            answer = self.handlers[event](agent, data)
        except AppError as error:
            refusal = {"status": error.status, "error": str(error.message), "errors": _plain(error.errors)}
            return {"ok": False, **refusal}
        return {"ok": True, **(answer or {})}


def _plain(errors: Any) -> Any:
    """Field messages (lazy strings among them) as JSON values."""
    if isinstance(errors, dict):
        return {key: _plain(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [_plain(value) for value in errors]
    return errors if errors is None or isinstance(errors, int | float | bool) else str(errors)


def connecting_agent(auth: Any) -> Agent | None:
    """The active agent a connection speaks for: the token of `auth` when it carries one (a bad token is
    refused, whatever cookie comes with it), else the signed-in session's; None when neither holds."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        return accounts.agent_for_token(token.strip()) if isinstance(token, str) else None
    if current_user.is_authenticated:
        return current_agent()
    return None


def speaking_agent() -> Agent | None:
    """The agent an event of this connection speaks for, checked again now: its token still valid, or
    its sign-in session still open (Flask-Login loads the session's agent anew for every event)."""
    token = session.get(_TOKEN_KEY)
    if token is not None:
        return accounts.agent_for_token(token)
    if current_user.is_authenticated:
        return current_agent()
    return None
