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

Connections and events authenticate as every namespace of the room does (`sockets.LiveNamespace`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import session
from flask_babel import lazy_gettext as _l
from flask_socketio import join_room, leave_room
from marshmallow import ValidationError

from app.accounts.models import Agent
from app.callcenter import live
from app.callcenter.live import WALLBOARD_NAMESPACE
from app.callcenter.sockets import LiveNamespace
from app.callcenter.wallboard import schemas, services
from app.errors import Invalid

NOT_ALLOWED = "Only supervisors and admins see the wallboard."

_FOLLOWING_KEY = "wallboard.following"

Handler = Callable[[Agent, Any], dict[str, Any] | None]


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


class WallboardNamespace(LiveNamespace):
    """`/wallboard`: one connection per open wallboard, each in the `wallboard` room."""

    not_admitted = NOT_ALLOWED

    def __init__(self, namespace: str):
        super().__init__(namespace)
        for name, handler in HANDLERS.items():
            self.on_event(name, handler)

    def admits(self, agent: Agent) -> bool:
        return services.may_view(agent)

    def join_rooms(self, agent: Agent) -> None:
        join_room(services.WALLBOARD_ROOM)
