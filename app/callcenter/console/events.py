"""Socket.IO adapters of the agent console on `/agents`: the rooms a console joins when it connects,
watching a ticket (collision detection), and the resync of a console that reconnects.

Each handler loads its data with a schema, calls one use case and joins or leaves rooms: the client
never names a room it is put in without the server checking its agent may be there.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_socketio import join_room, leave_room, rooms
from marshmallow import Schema, ValidationError

from app.accounts.models import Agent
from app.callcenter.console import schemas, services
from app.callcenter.live import AGENTS_NAMESPACE, ROOM_KINDS
from app.errors import Invalid

_TICKET_REF = schemas.TicketRefSchema()
_TYPING = schemas.TypingSchema()
_SYNC = schemas.SyncSchema()


def _load(schema: Schema, data: Any) -> dict[str, Any]:
    try:
        return schema.load(data if isinstance(data, dict) else {})
    except ValidationError as error:
        raise Invalid(_l("Invalid event data."), error.messages) from error


def join_console_rooms(agent: Agent, sid: str) -> None:
    """Connect step: the rooms of the agent's teams and of the queues whose tickets they may see."""
    for name in services.console_rooms(agent):
        join_room(name, sid=sid, namespace=AGENTS_NAMESPACE)


def forget_viewer(agent_id: int | None, sid: str) -> None:
    """Disconnect step: the connection views no ticket any more."""
    services.forget_connection(sid)


def watch(agent: Agent, data: Any) -> dict[str, Any]:
    """`ticket.watch` {ticket_id}: join the ticket's room and be counted among its viewers (404 when the
    agent may not read it). A page renews its watch every `VIEWER_RENEW_SECONDS`."""
    ticket_id = _load(_TICKET_REF, data)["ticket_id"]
    name = services.watch_ticket(ticket_id, agent=agent, sid=request.sid)
    join_room(name)
    return {"room": name, "viewers": services.ticket_viewers(ticket_id)}


def unwatch(agent: Agent, data: Any) -> dict[str, Any]:
    """`ticket.unwatch` {ticket_id}: leave the ticket's room and its viewers."""
    ticket_id = _load(_TICKET_REF, data)["ticket_id"]
    leave_room(services.unwatch_ticket(ticket_id, sid=request.sid))
    return {}


def typing(agent: Agent, data: Any) -> dict[str, Any]:
    """`ticket.typing` {ticket_id, typing}: say whether the agent is typing a reply on the ticket."""
    values = _load(_TYPING, data)
    services.set_typing(values["ticket_id"], values["typing"], agent=agent, sid=request.sid)
    return {}


def sync(agent: Agent, data: Any) -> dict[str, Any]:
    """`sync` {since: {room: seq}}: for each room this connection is in (and its agent may still be in),
    the events after the console's number, or `complete: false` (reload the snapshot). Rooms its agent
    may no longer be in are left; rooms it may now be in are joined (and answered incomplete)."""
    since = _load(_SYNC, data)["since"]
    current = [name for name in rooms() if name.partition(":")[0] in ROOM_KINDS]
    for name in services.rooms_to_leave(agent, current):
        leave_room(name)
    for name in services.console_rooms(agent):
        join_room(name)
    current = [name for name in rooms() if name.partition(":")[0] in ROOM_KINDS]
    return {"rooms": services.missed_events(since, sorted(current))}


def init_app(agents: Any) -> None:
    agents.connect_steps.append(join_console_rooms)
    agents.disconnect_steps.append(forget_viewer)
    agents.on_event("ticket.watch", watch)
    agents.on_event("ticket.unwatch", unwatch)
    agents.on_event("ticket.typing", typing)
    agents.on_event("sync", sync)
