"""Socket.IO adapters of agent presence on `/agents`: the `presence.set` event, and the steps that
record each console connecting and closing (what keeps an agent's presence alive). A console joins the
rooms of its agent's teams, where teammates hear of each other's presence (`presence.changed`)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_socketio import join_room
from marshmallow import ValidationError

from app.accounts.models import Agent
from app.callcenter.presence import schemas, services
from app.errors import Invalid

_EVENT = schemas.PresenceEventSchema()
_PRESENCE = schemas.PresenceSchema()


def set_presence(agent: Agent, data: Any) -> dict[str, Any]:
    """`presence.set` {state, reason_id}: the speaking agent sets their own state; the ack carries it."""
    try:
        values = _EVENT.load(data if isinstance(data, dict) else {})
    except ValidationError as error:
        raise Invalid(_l("Invalid presence."), error.normalized_messages()) from error
    presence = services.set_presence(agent.id, values["state"], reason_id=values["reason_id"], actor=agent)
    return {"presence": _PRESENCE.dump(presence)}


def console_connected(agent: Agent, sid: str) -> None:
    for room in services.team_rooms(agent):
        join_room(room, sid=sid)
    services.console_opened(agent, sid)


def console_disconnected(agent_id: int | None, sid: str) -> None:
    services.console_closed(agent_id, sid)
