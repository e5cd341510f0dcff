"""The shape of the call center's Socket.IO namespaces (`/agents`, `/wallboard`): how a connection
authenticates, how every event authenticates again, and how handlers are registered and acknowledged.

A connection authenticates in `on_connect`, either by the browser's session cookie (Flask-Login, as for
pages) or by an API bearer token in the Socket.IO `auth` payload (`{"token": "..."}`), checked by the
accounts services like an `Authorization: Bearer` header; a token outranks any cookie, and a bad one is
refused. A namespace may admit fewer people (`admits`: the wallboard, supervisors only). Rooms are
joined here, server-side: a client never names the rooms it is in without the server checking it may.

Every event is authenticated again (`speaking_agent`): the session or token the connection opened with
must still be valid, its agent active and still admitted, so a signed-out, disabled or demoted person's
socket can do nothing even before it is disconnected.

Handlers are registered by name (`on_event("presence.set", handler)`): `handler(agent, data)` returns
the acknowledgement's fields (JSON values), merged into `{"ok": true, ...}`; a refusal (`AppError`) is
acknowledged `{"ok": false, "status", "error", "errors"}`, as the API's envelope says it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, disconnect

from app.accounts import services as accounts
from app.accounts.access import current_agent
from app.accounts.models import Agent
from app.errors import AppError

REFUSED = "Sign in, or connect with a valid API token: {'token': '...'}."

EventHandler = Callable[[Agent, Any], dict[str, Any] | None]
ConnectionStep = Callable[[Agent, str], None]
DisconnectionStep = Callable[[int | None, str], None]

# The token a connection authenticated with, in its Socket.IO session (never sent back to the client).
_TOKEN_KEY = "callcenter.socket_token"
_AGENT_KEY = "callcenter.agent_id"


class LiveNamespace(Namespace):
    """A namespace of authenticated people, its events registered by name."""

    # Why someone signed in is not admitted (`admits` said no).
    not_admitted = "Not allowed here."

    def __init__(self, namespace: str):
        super().__init__(namespace)
        self.handlers: dict[str, EventHandler] = {}
        self.connect_steps: list[ConnectionStep] = []
        self.disconnect_steps: list[DisconnectionStep] = []

    def on_event(self, name: str, handler: EventHandler) -> None:
        self.handlers[name] = handler

    def admits(self, agent: Agent) -> bool:
        return True

    def join_rooms(self, agent: Agent) -> None:
        """The rooms every connection of `agent` is in from the start."""

    def on_connect(self, auth: Any = None) -> None:
        agent = connecting_agent(auth)
        if agent is None:
            raise ConnectionRefusedError(REFUSED)
        if not self.admits(agent):
            raise ConnectionRefusedError(self.not_admitted)
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            session[_TOKEN_KEY] = auth["token"].strip()
        session[_AGENT_KEY] = agent.id
        self.join_rooms(agent)
        for step in self.connect_steps:
            step(agent, request.sid)

    def on_disconnect(self, reason: Any = None) -> None:
        for step in self.disconnect_steps:
            step(session.get(_AGENT_KEY), request.sid)

    def trigger_event(self, event: str, *args: Any) -> Any:
        # Flask-SocketIO dispatches `event` to the method `on_<event>` inside the request context it sets
        # up; registered events (their names carry dots) all go to `on_registered_event`.
        if event in self.handlers:
            sid, *data = args
            return super().trigger_event("registered_event", sid, event, *data)
        if event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)
        return {"ok": False, "error": f"unknown event {event!r}"}

    def on_registered_event(self, event: str, data: Any = None) -> dict[str, Any]:
        agent = speaking_agent()
        if agent is None or not self.admits(agent):
            disconnect()
            refused = agent is None
            return {
                "ok": False,
                "status": 401 if refused else 403,
                "error": REFUSED if refused else self.not_admitted,
            }
        try:
            answer = self.handlers[event](agent, data)
        except AppError as error:
            refusal = {"status": error.status, "error": str(error.message), "errors": _plain(error.errors)}
            return {"ok": False, **refusal}
        return {"ok": True, **(answer or {})}


def _plain(errors: Any) -> Any:
    """Field messages (lazy strings among them) as JSON values."""
    if isinstance(errors, dict):
        return {str(key): _plain(value) for key, value in errors.items()}
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
