"""The `/wallboard` Socket.IO namespace: supervisors' and admins' wallboards.

A connection authenticates as a console's does (the session cookie, or an API token as the `auth`
payload `{"token": "..."}`, which outranks any cookie) and must hold `WALLBOARD_VIEW`: agents are
refused. It joins the `wallboard` room, where `wallboard.changed` arrives. Every event authenticates
again and checks the permission again; a connection that no longer may is disconnected.

Events (each acknowledged `{"ok": true, ...}` or `{"ok": false, "status", "error", "errors"}`):
- `follow` {agent_id}: leave the agent followed so far, join `follow:<agent_id>`, where the agent's news
  arrives as `wallboard.agent_event` (presence, offers, calls, tickets); answers the recent ones.
  (Namespaces are apart, so the wallboard's receivers publish an agent's news to this room themselves
  rather than joining a supervisor to the consoles' `agent:<id>` room.)
- `unfollow` {}.
- `sync` {since: {room: seq}}: what the connection's rooms published after `seq` (`complete` false:
  reload the snapshot over HTTP).
- `presence.set` {agent_id, state, reason_id?}: put an agent in another state.

The authentication mirrors `app.callcenter.events` (`connecting_agent`, `speaking_agent`): packages may
not import the core's adapters, and both rest on the accounts room's public rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, disconnect, join_room, leave_room
from marshmallow import ValidationError

from app.accounts import services as accounts
from app.accounts.access import current_agent
from app.accounts.models import Agent
from app.callcenter import live
from app.callcenter.live import WALLBOARD_NAMESPACE
from app.callcenter.wallboard import schemas, services
from app.errors import AppError, Invalid

REFUSED = "Sign in, or connect with a valid API token: {'token': '...'}."
NOT_ALLOWED = "Only supervisors and admins see the wallboard."

_TOKEN_KEY = "wallboard.socket_token"
_FOLLOWING_KEY = "wallboard.following"

Handler = Callable[[Agent, Any], dict[str, Any] | None]


def connecting_viewer(auth: Any) -> Agent | None:
    """The active person a connection speaks for: the token of `auth` when it carries one (a bad token
    is refused, whatever cookie comes with it), else the signed-in session's."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        return accounts.agent_for_token(token.strip()) if isinstance(token, str) else None
    if current_user.is_authenticated:
        return current_agent()
    return None


def speaking_viewer() -> Agent | None:
    """The person an event of this connection speaks for, checked again now."""
    token = session.get(_TOKEN_KEY)
    if token is not None:
        return accounts.agent_for_token(token)
    if current_user.is_authenticated:
        return current_agent()
    return None


def _load(schema, data: Any) -> dict[str, Any]:
    try:
        return schema.load(data if isinstance(data, dict) else {})
    except ValidationError as error:
        raise Invalid(_l("Invalid request."), error.messages) from error


def _follow(viewer: Agent, data: Any) -> dict[str, Any]:
    agent_id = _load(schemas.FollowSchema(), data)["agent_id"]
    agent = services.followable_agent(agent_id, viewer=viewer)
    previous = session.get(_FOLLOWING_KEY)
    if previous is not None and previous != agent.id:
        leave_room(services.follow_room(previous))
    room = services.follow_room(agent.id)
    join_room(room)
    session[_FOLLOWING_KEY] = agent.id
    events, last = services.recent_agent_events(agent.id)
    return {"agent_id": agent.id, "name": agent.name, "room": room, "seq": last, "events": events}


def _unfollow(viewer: Agent, data: Any) -> dict[str, Any]:
    previous = session.pop(_FOLLOWING_KEY, None)
    if previous is not None:
        leave_room(services.follow_room(previous))
    return {}


def _sync(viewer: Agent, data: Any) -> dict[str, Any]:
    since = _load(schemas.SyncSchema(), data)["since"]
    mine = {services.WALLBOARD_ROOM}
    if session.get(_FOLLOWING_KEY) is not None:
        mine.add(services.follow_room(session[_FOLLOWING_KEY]))
    rooms = {}
    for name, seq in since.items():
        if name not in mine:
            raise Invalid(_l("Invalid request."), {"since": {name: [_l("Not a room of this connection.")]}})
        missed = live.events_since(name, seq, namespace=WALLBOARD_NAMESPACE)
        events = [
            {"seq": number, "event": event, "payload": payload} for number, event, payload in missed.events
        ]
        rooms[name] = {"complete": missed.complete, "last_seq": missed.last_seq, "events": events}
    return {"rooms": rooms}


def _set_presence(viewer: Agent, data: Any) -> dict[str, Any]:
    values = _load(schemas.PresenceChangeSchema(), data)
    services.change_agent_state(
        values["agent_id"], values["state"], reason_id=values["reason_id"], actor=viewer
    )
    return {}


HANDLERS: dict[str, Handler] = {
    "follow": _follow,
    "unfollow": _unfollow,
    "sync": _sync,
    "presence.set": _set_presence,
}


class WallboardNamespace(Namespace):
    """`/wallboard`: one connection per open wallboard, each in the `wallboard` room."""

    def on_connect(self, auth: Any = None) -> None:
        viewer = connecting_viewer(auth)
        if viewer is None:
            raise ConnectionRefusedError(REFUSED)
        if not services.may_view(viewer):
            raise ConnectionRefusedError(NOT_ALLOWED)
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            session[_TOKEN_KEY] = auth["token"].strip()
        join_room(services.WALLBOARD_ROOM)

    def on_disconnect(self, reason: Any = None) -> None:
        return None

    def trigger_event(self, event: str, *args: Any) -> Any:
        # Event names carry dots (`presence.set`); they all go to `on_wallboard_event`.
        if event in HANDLERS:
            sid, *data = args
            return super().trigger_event("wallboard_event", sid, event, *data)
        if event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)
        return {"ok": False, "error": f"unknown event {event!r}"}

    def on_wallboard_event(self, event: str, data: Any = None) -> dict[str, Any]:
        viewer = speaking_viewer()
        if viewer is None or not services.may_view(viewer):
            disconnect()
            return {
                "ok": False,
                "status": 401 if viewer is None else 403,
                "error": REFUSED if viewer is None else NOT_ALLOWED,
            }
        try:
            answer = HANDLERS[event](viewer, data)
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
