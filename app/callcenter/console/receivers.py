"""Live news of tickets: the tickets room's signals (sent after their commit, in a request or an RQ job)
published to the consoles and ticket pages that may see them (`live.publish`, through the Redis message
queue from any process). Receivers read and emit, nothing else.

Where the news goes: the ticket's room (its viewers were checked when they watched it), its queue's
room (joined only by consoles whose agent may see that queue's tickets) and its assignee's room (when
the assignee may still see it). A ticket that moved out of a queue, or away from an assignee, is also
announced to the old queue's and old assignee's rooms, but without its subject: they may no longer see
the ticket, only that it left.
"""

from __future__ import annotations

from typing import Any

from app.accounts.models import Agent
from app.callcenter import live
from app.callcenter import services as callcenter
from app.callcenter.console import services
from app.extensions import db
from app.tickets import services as tickets
from app.tickets import signals
from app.tickets.models import Ticket

# What a room that no longer sees the ticket is still told: that it changed, not what it says.
_PUBLIC_FIELDS = ("ticket_id", "version", "queue_id", "assignee_id", "actor_id", "changes")


def ticket_news(ticket: Ticket, actor: Agent | None, changes: list[str]) -> dict[str, Any]:
    """The payload of `ticket.created` / `ticket.changed`."""
    return {
        "ticket_id": ticket.id,
        "version": ticket.version,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "queue_id": ticket.queue_id,
        "assignee_id": ticket.assignee_id,
        "actor_id": actor.id if actor is not None else None,
        "actor": actor.name if actor is not None else None,
        "changes": changes,
    }


def _assignee_sees(ticket: Ticket, agent_id: int | None) -> bool:
    agent = db.session.get(Agent, agent_id) if agent_id is not None else None
    return agent is not None and agent.active and tickets.may_see(agent, ticket)


def _rooms(ticket: Ticket) -> list[str]:
    rooms = [services.ticket_room(ticket.id), services.queue_room(ticket.queue_id)]
    if _assignee_sees(ticket, ticket.assignee_id):
        rooms.append(callcenter.agent_room(ticket.assignee_id))
    return rooms


def _announce(event: str, ticket: Ticket, actor: Agent | None, changes: list[str], **former: Any) -> None:
    payload = ticket_news(ticket, actor, changes)
    rooms = _rooms(ticket)
    live.publish(event, payload, rooms=rooms)
    left = []
    if "queue_id" in former and former["queue_id"] != ticket.queue_id:
        left.append(services.queue_room(former["queue_id"]))
    previous = former.get("assignee_id")
    if previous is not None and previous != ticket.assignee_id:
        left.append(callcenter.agent_room(previous))
    left = [name for name in left if name not in rooms]
    if left:
        live.publish(event, {key: payload[key] for key in _PUBLIC_FIELDS}, rooms=left)


def _on_opened(ticket: Ticket, *, actor: Agent | None = None, **_: Any) -> None:
    _announce("ticket.created", ticket, actor, [])


def _on_updated(ticket: Ticket, *, actor: Agent | None = None, changes: dict[str, Any], **_: Any) -> None:
    former = {}
    if "queue_id" in changes:
        former["queue_id"] = changes["queue_id"][0]
    _announce("ticket.changed", ticket, actor, sorted(changes), **former)


def _on_assigned(
    ticket: Ticket, *, actor: Agent | None = None, previous_assignee_id: int | None = None, **_: Any
) -> None:
    _announce("ticket.changed", ticket, actor, ["assignee_id"], assignee_id=previous_assignee_id)


def _on_commented(ticket: Ticket, *, actor: Agent | None = None, **_: Any) -> None:
    _announce("ticket.changed", ticket, actor, ["comments"])


def _on_solved(ticket: Ticket, *, actor: Agent | None = None, **_: Any) -> None:
    _announce("ticket.changed", ticket, actor, ["status"])


def _on_reopened(ticket: Ticket, *, actor: Agent | None = None, **_: Any) -> None:
    _announce("ticket.changed", ticket, actor, ["status"])


def _sla_rooms(ticket: Ticket) -> list[str]:
    rooms = [services.queue_room(ticket.queue_id)]
    if _assignee_sees(ticket, ticket.assignee_id):
        rooms.append(callcenter.agent_room(ticket.assignee_id))
    return rooms


def _sla_news(ticket: Ticket, target: Any) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "target": target.kind,
        "due_at": services.iso(target.due_at),
    }


def _on_sla_warning(ticket: Ticket, *, target: Any, **_: Any) -> None:
    live.publish("sla.warning", _sla_news(ticket, target), rooms=_sla_rooms(ticket))


def _on_sla_breached(ticket: Ticket, *, target: Any, **_: Any) -> None:
    live.publish("sla.breached", _sla_news(ticket, target), rooms=_sla_rooms(ticket))


RECEIVERS = (
    (signals.ticket_opened, _on_opened),
    (signals.ticket_updated, _on_updated),
    (signals.ticket_assigned, _on_assigned),
    (signals.ticket_commented, _on_commented),
    (signals.ticket_solved, _on_solved),
    (signals.ticket_reopened, _on_reopened),
    (signals.sla_warning, _on_sla_warning),
    (signals.sla_breached, _on_sla_breached),
)


def connect() -> None:
    """Connect the receivers (once per process: blinker keeps them across apps)."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver)
