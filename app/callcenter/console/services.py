"""Use cases of the agent console: which rooms a console is in, the snapshot it loads over HTTP, what a
reconnecting console missed, and collision detection (who else is viewing a ticket, who is typing).

Rooms. A console is in its agent's room (the namespace puts it there), its teams' rooms and the rooms
of the queues whose tickets its agent may see (`queue_rooms`: the tickets room's access rule, asked
about a ticket in each queue, decides). Tickets without a queue are everyone's, so their news goes to
`UNQUEUED_ROOM` (`queue:0`), which every console joins. A ticket's room (`ticket:<id>`) is joined by
watching the ticket, only when its agent may read it.

Collision detection. Each console watching a ticket has an entry in the ticket's viewers hash in Redis
(connection id -> agent, name, typing, until). Entries carry their own expiry (`VIEWER_TTL_SECONDS`,
renewed by the page every `VIEWER_RENEW_SECONDS`), so a process that dies without running its
disconnect steps leaves no ghost viewer behind for longer than that. Every change publishes
`ticket.viewers` to the ticket's room. Redis holds nothing the console cannot rebuild: without Redis,
nobody is shown as viewing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import Agent
from app.callcenter import live
from app.callcenter import services as callcenter
from app.callcenter.calls.models import Call, CallStatus
from app.callcenter.presence import services as presence
from app.callcenter.routing import services as routing
from app.dbtypes import utcnow
from app.extensions import db
from app.queue import redis_connection
from app.tickets import services as tickets
from app.tickets.models import Queue, Ticket
from app.tickets.search import services as search
from app.tickets.search.services import UNSOLVED_STATUSES

log = logging.getLogger(__name__)

# News of tickets in no queue (everyone's tickets): queue ids start at 1, so 0 names no queue.
UNQUEUED_ROOM = live.room("queue", 0)
# A viewer not heard from for this long is gone (its process died without saying so).
VIEWER_TTL_SECONDS = 90
# How often a ticket page renews its watch (well within the expiry).
VIEWER_RENEW_SECONDS = 30
# The console lists at most this many of the agent's open tickets (soonest due first).
OPEN_TICKETS_MAX = 100
ACTIVE_CALL_STATUSES = (CallStatus.QUEUED, CallStatus.TALKING, CallStatus.HELD)


# -- rooms -------------------------------------------------------------------------------------------


def queue_room(queue_id: int | None) -> str:
    """Where the news of a queue's tickets goes; `UNQUEUED_ROOM` for tickets in no queue."""
    return live.room("queue", queue_id) if queue_id is not None else UNQUEUED_ROOM


def ticket_room(ticket_id: int) -> str:
    return live.room("ticket", ticket_id)


def may_see_queue(agent: Agent, queue_id: int | None) -> bool:
    """Whether `agent` may see the tickets of a queue (None: of no queue), as the tickets room's access
    rule answers for a ticket there."""
    return tickets.may_see(agent, Ticket(queue_id=queue_id))


def queue_rooms(agent: Agent) -> list[str]:
    """The rooms of the queues whose tickets `agent` may see, the unqueued tickets' room first."""
    queue_ids: list[int | None] = [None, *db.session.scalars(select(Queue.id).order_by(Queue.id))]
    return [queue_room(queue_id) for queue_id in queue_ids if may_see_queue(agent, queue_id)]


def console_rooms(agent: Agent) -> list[str]:
    """Every room a console of `agent` is in from the start: its agent's, its teams', its queues'."""
    teams = [live.room("team", team.id) for team in sorted(agent.teams, key=lambda team: team.id)]
    return [callcenter.agent_room(agent.id), *teams, *queue_rooms(agent)]


def rooms_to_leave(agent: Agent, current: Iterable[str]) -> list[str]:
    """Of the rooms a console of `agent` is in, those it may no longer be in: checked again on every
    resync, so a console whose agent left a team or lost sight of a queue or a ticket stops hearing
    about it."""
    allowed = set(console_rooms(agent))
    return [name for name in current if not _may_stay(agent, name, allowed)]


def _may_stay(agent: Agent, name: str, allowed: set[str]) -> bool:
    kind, _, ident = name.partition(":")
    if kind == "ticket":
        return ident.isdigit() and _readable(agent, int(ident))
    return name in allowed


def _readable(agent: Agent, ticket_id: int) -> bool:
    ticket = db.session.get(Ticket, ticket_id)
    return ticket is not None and tickets.may_see(agent, ticket)


def missed_events(since: Mapping[str, Any], rooms: Iterable[str]) -> dict[str, dict[str, Any]]:
    """For each of `rooms` (those the connection is in, not those the client names), what it published
    after the number the console last saw (`since[room]`); `complete` False when the history does not
    reach back that far, or the console named no number for the room: it then reloads its snapshot."""
    answer: dict[str, dict[str, Any]] = {}
    for name in rooms:
        seq = since.get(name)
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            answer[name] = {"complete": False, "last_seq": live.last_seq(name), "events": []}
            continue
        missed = live.events_since(name, seq)
        events = [{"event": event, "data": payload} for _, event, payload in missed.events]
        answer[name] = {"complete": missed.complete, "last_seq": missed.last_seq, "events": events}
    return answer


# -- the snapshot ------------------------------------------------------------------------------------


def console_snapshot(agent: Agent) -> dict[str, Any]:
    """What the console of `agent` shows, as of now: presence, break reasons, pending offers, open
    tickets, active calls, and the last number of each of its rooms (events after it are news).

    The numbers are read first: an event is published after the commit of its change, so one numbered
    after them may already be in what is read next (the console applies it again, harmlessly), and
    none numbered up to them is missing from it."""
    rooms = {name: live.last_seq(name) for name in console_rooms(agent)}
    return {
        "agent": {"id": agent.id, "name": agent.name},
        "presence": _presence(agent),
        "break_reasons": list(db.session.scalars(callcenter.list_break_reasons())),
        "offers": _pending_offers(agent),
        "tickets": _open_tickets(agent),
        "calls": _active_calls(agent),
        "rooms": rooms,
    }


def _presence(agent: Agent) -> dict[str, Any]:
    """The agent's state now, in presence's words (offline for an agent who never chose one)."""
    now = presence.current_presence(agent.id)
    return {"state": now.state, "reason_id": now.reason_id, "reason": now.reason, "since": now.since}


def _pending_offers(agent: Agent) -> list[dict[str, Any]]:
    """The agent's pending offer as its `offer.new` showed it (routing's words), unless it has expired."""
    now = utcnow()
    return [
        offer
        for offer in routing.pending_offers(agent.id)
        if datetime.fromisoformat(offer["expires_at"]) > now
    ]


def _open_tickets(agent: Agent) -> list[dict[str, Any]]:
    filters = {"assignee_id": ["me"], "status": UNSOLVED_STATUSES, "sort": "due", "order": "asc"}
    query = search.search_tickets(filters, actor=agent).options(selectinload(Ticket.sla_targets))
    return [
        {
            "id": ticket.id,
            "reference": ticket.reference,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "queue_id": ticket.queue_id,
            "version": ticket.version,
            "updated_at": ticket.updated_at,
            "sla": running_sla_targets(ticket),
        }
        for ticket in db.session.scalars(query.limit(OPEN_TICKETS_MAX)).unique()
    ]


def running_sla_targets(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's SLA targets whose clocks still count (due, neither met nor cancelled), soonest first."""
    running = [
        target
        for target in ticket.sla_targets
        if target.due_at is not None and target.met_at is None and target.cancelled_at is None
    ]
    return [
        {"target": target.kind, "due_at": target.due_at, "breached": target.breached_at is not None}
        for target in sorted(running, key=lambda target: target.due_at)
    ]


def _active_calls(agent: Agent) -> list[Call]:
    wrapping_up = (Call.status == CallStatus.ENDED) & Call.wrap_up_ended_at.is_(None)
    return list(
        db.session.scalars(
            select(Call)
            .where(Call.agent_id == agent.id, Call.status.in_(ACTIVE_CALL_STATUSES) | wrapping_up)
            .order_by(Call.offered_at)
        )
    )


# -- collision detection -----------------------------------------------------------------------------


def _viewers_key(ticket_id: int) -> str:
    return f"switchboard:console:viewers:{ticket_id}"


def _watching_key(sid: str) -> str:
    return f"switchboard:console:watching:{sid}"


def watch_ticket(ticket_id: int, *, agent: Agent, sid: str) -> str:
    """Count connection `sid` of `agent` among the ticket's viewers (or renew its entry); 404 when the
    agent may not read the ticket. Returns the room the connection is to join."""
    tickets.readable_ticket(ticket_id, viewer=agent)
    if _set_viewer(ticket_id, agent=agent, sid=sid, typing=None):
        publish_viewers(ticket_id)
    return ticket_room(ticket_id)


def set_typing(ticket_id: int, typing: bool, *, agent: Agent, sid: str) -> None:
    """Say whether `agent` (on connection `sid`) is typing a reply on the ticket; watches it if needed."""
    tickets.readable_ticket(ticket_id, viewer=agent)
    if _set_viewer(ticket_id, agent=agent, sid=sid, typing=typing):
        publish_viewers(ticket_id)


def unwatch_ticket(ticket_id: int, *, sid: str) -> str:
    """Connection `sid` no longer views the ticket. Returns the room it leaves."""
    try:
        connection = redis_connection()
        connection.hdel(_viewers_key(ticket_id), sid)
        connection.srem(_watching_key(sid), ticket_id)
    except RedisError:
        log.warning("viewers of ticket %s not updated: Redis is out of reach", ticket_id)
    publish_viewers(ticket_id)
    return ticket_room(ticket_id)


def forget_connection(sid: str) -> None:
    """A connection closed: it views no ticket any more (its agent's other tabs still may)."""
    try:
        connection = redis_connection()
        watched = [int(ident) for ident in connection.smembers(_watching_key(sid))]
        for ticket_id in watched:
            connection.hdel(_viewers_key(ticket_id), sid)
        connection.delete(_watching_key(sid))
    except RedisError:
        log.warning("viewers of connection %s not forgotten: Redis is out of reach", sid)
        return
    for ticket_id in sorted(watched):
        publish_viewers(ticket_id)


def _set_viewer(ticket_id: int, *, agent: Agent, sid: str, typing: bool | None) -> bool:
    """Add or renew the connection's entry; whether the viewers shown changed (a renewal changes
    nothing anyone sees)."""
    key = _viewers_key(ticket_id)
    try:
        connection = redis_connection()
        old = connection.hget(key, sid)
        previous = json.loads(old) if old else {}
        now = time.time()
        entry = {
            "agent_id": agent.id,
            "name": agent.name,
            "typing": bool(previous.get("typing")) if typing is None else typing,
            "since": previous.get("since", now),
            "until": now + VIEWER_TTL_SECONDS,
        }
        connection.hset(key, sid, json.dumps(entry))
        connection.expire(key, VIEWER_TTL_SECONDS)
        connection.sadd(_watching_key(sid), ticket_id)
        connection.expire(_watching_key(sid), VIEWER_TTL_SECONDS)
    except RedisError:
        log.warning("viewers of ticket %s not updated: Redis is out of reach", ticket_id)
        return False
    return previous.get("until", 0) <= now or bool(previous.get("typing")) != entry["typing"]


def ticket_viewers(ticket_id: int) -> list[dict[str, Any]]:
    """Who views the ticket now, once per agent (typing if any of their tabs is), earliest first;
    entries past their expiry are dropped."""
    key = _viewers_key(ticket_id)
    try:
        connection = redis_connection()
        entries = {_text(sid): json.loads(value) for sid, value in connection.hgetall(key).items()}
        now = time.time()
        stale = [sid for sid, entry in entries.items() if entry.get("until", 0) <= now]
        if stale:
            connection.hdel(key, *stale)
    except RedisError:
        return []
    viewers: dict[int, dict[str, Any]] = {}
    for sid, entry in sorted(entries.items(), key=lambda item: (item[1]["since"], item[0])):
        if sid in stale:
            continue
        viewer = viewers.setdefault(
            entry["agent_id"], {"agent_id": entry["agent_id"], "name": entry["name"], "typing": False}
        )
        viewer["typing"] = viewer["typing"] or bool(entry["typing"])
    return list(viewers.values())


def publish_viewers(ticket_id: int) -> None:
    """Tell the ticket's room who views it now."""
    payload = {"ticket_id": ticket_id, "viewers": ticket_viewers(ticket_id)}
    live.publish("ticket.viewers", payload, rooms=[ticket_room(ticket_id)])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
