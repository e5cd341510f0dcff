"""Use cases of agent presence: the state each agent is in, its history, and the consoles that keep it
alive.

States (`PresenceState`): `available` (routing offers them work), `busy` (on a call or a chat),
`wrap_up` (after-call work), `break` (with a break reason), `offline`. `set_presence` is the one way a
state changes, for an agent choosing their own, a supervisor choosing anyone's, and the desk (no actor:
call events, the wrap-up limit, a closed console, the sweep). Each change closes the agent's open
`PresencePeriod` and opens the next at the same moment, in one commit, under a lock on the agent's
`AgentPresence` row, so two changes racing each other leave a history without gaps or overlaps. After
the commit: the `presence.changed` live event to the agent's room and their teams' rooms, and the
`presence_changed` signal. Setting the state the agent is already in (with the same reason) changes
and announces nothing.

`idle_since` is the moment the agent last became available (from any other state). Routing offers work
to the available agent idle longest; switching among the other states keeps it, since it is read only
while the agent is available, where it always names the start of their present wait.

Wrap-up lasts at most `WRAP_UP_MAX_SECONDS`: entering it books a job that makes the agent available if
they are still in that same wrap-up period; the sweep ends any wrap-up overdue whose job was lost.

Consoles keep presence alive (`connections`): connecting changes no state (an agent who connects while
`offline` stays offline until they pick a state: presence says what they chose, not that a tab is open).
When an agent's last console closes, a job waits `PRESENCE_GRACE_SECONDS` and takes them offline unless
a console came back (a reload, a network blip). The periodic sweep (`sweep_presence`) takes offline every
agent who is not offline, has no console on a live process and whose grace has passed (counted from
their last state change or the close of their last console, the later): the agents of a process that
died, those whose job was lost, and anyone set to a state without ever opening a console (an API
client). Presence needs a console.

Signing out, being disabled or changing role closes the agent's consoles (`close_consoles`, from the
package's receivers): signing out of one browser session closes the consoles opened with that session
only (an API-token console is no session's: only signing out everywhere closes it), signing out
everywhere and being disabled take the agent offline at once; otherwise the grace period applies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from sqlalchemy import Select, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.accounts import services as accounts
from app.accounts.access import Permission, has_permission
from app.accounts.models import Agent
from app.callcenter import live
from app.callcenter.models import BreakReason
from app.callcenter.presence import connections
from app.callcenter.presence.models import AgentPresence, PresencePeriod, PresenceState
from app.callcenter.presence.signals import presence_changed
from app.callcenter.services import AGENTS_NAMESPACE, agent_room
from app.dbtypes import utcnow
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db, socketio
from app.queue import enqueue_or_leave_to_sweep
from app.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

STATES = tuple(state.value for state in PresenceState)
_JOBS = "app.callcenter.presence.jobs"


@dataclass(frozen=True)
class Presence:
    """An agent's state now. `since` is None for an agent who never had one (offline)."""

    agent_id: int
    name: str
    state: str
    reason_id: int | None
    reason: str | None
    since: datetime | None
    idle_since: datetime | None


# -- reading ------------------------------------------------------------------------------------------


def current_presence(agent_id: int) -> Presence:
    """The agent's state now (404 for an unknown agent)."""
    return _presences([accounts.get_agent(agent_id)])[0]


def presences(agent_ids: Iterable[int] | None = None) -> list[Presence]:
    """The states of the agents with these ids (unknown ids left out), or of every active agent, by name."""
    query = select(Agent).order_by(Agent.name, Agent.id)
    if agent_ids is None:
        query = query.where(Agent.active.is_(True))
    else:
        query = query.where(Agent.id.in_(sorted(set(agent_ids))))
    return _presences(db.session.scalars(query).all())


def presence_history(agent_id: int, start: datetime, end: datetime, *, viewer: Agent) -> Select:
    """The agent's periods overlapping `start`..`end`, oldest first (a `select()` for paging). An agent
    reads their own; supervisors and admins anyone's."""
    agent = accounts.get_agent(agent_id)
    if viewer.id != agent.id and not has_permission(viewer, Permission.PRESENCE_MANAGE):
        raise Forbidden(_l("You may read only your own presence history."))
    if start >= end:
        raise Invalid(_l("Invalid time window."), {"from": [_l("Must be before the end of the window.")]})
    return (
        select(PresencePeriod)
        .where(
            PresencePeriod.agent_id == agent.id,
            PresencePeriod.started_at < end,
            or_(PresencePeriod.ended_at.is_(None), PresencePeriod.ended_at > start),
        )
        .order_by(PresencePeriod.started_at, PresencePeriod.id)
    )


def _presences(agents: list[Agent]) -> list[Presence]:
    ids = [agent.id for agent in agents]
    rows = {
        row.agent_id: row
        for row in db.session.scalars(select(AgentPresence).where(AgentPresence.agent_id.in_(ids)))
    }
    reason_ids = sorted({row.reason_id for row in rows.values() if row.reason_id is not None})
    names = _reason_names(reason_ids)
    return [_presence(agent, rows.get(agent.id), names) for agent in agents]


def _reason_names(reason_ids: list[int]) -> dict[int, str]:
    if not reason_ids:
        return {}
    found = db.session.execute(select(BreakReason.id, BreakReason.name).where(BreakReason.id.in_(reason_ids)))
    return {reason_id: name for reason_id, name in found}


def _presence(agent: Agent, row: AgentPresence | None, names: dict[int, str]) -> Presence:
    if row is None:
        return Presence(agent.id, agent.name, PresenceState.OFFLINE, None, None, None, None)
    reason = names.get(row.reason_id) if row.reason_id is not None else None
    return Presence(agent.id, agent.name, row.state, row.reason_id, reason, row.since, row.idle_since)


# -- changing -----------------------------------------------------------------------------------------


@unit_of_work
def set_presence(
    agent_id: int,
    state: str,
    *,
    reason_id: int | None = None,
    reason: int | str | None = None,
    actor: Agent | None,
) -> Presence:
    """Put the agent in `state`: an agent their own, a supervisor or admin anyone's, the desk (`actor`
    None) anyone's. A break names its break reason by id (`reason_id`), or by id or name (`reason`, as the
    API takes it); refusals name the field given."""
    state = _known_state(state)
    agent = accounts.get_agent(agent_id)
    if actor is not None and actor.id != agent.id and not has_permission(actor, Permission.PRESENCE_MANAGE):
        raise Forbidden(_l("You may set only your own presence."))
    break_reason = _break_reason(state, reason_id, reason)
    if not agent.active and state != PresenceState.OFFLINE:
        only_offline = _l("A disabled agent can only be offline.")
        raise Conflict(_l("The account is disabled."), {"state": [only_offline]})
    row = _locked_row(agent.id)
    change = _move(row, state, break_reason.id if break_reason else None, set_by=actor)
    db.session.commit()
    _announce(agent, change, actor)
    return _presence(agent, row, {break_reason.id: break_reason.name} if break_reason else {})


def _known_state(state: Any) -> str:
    if state not in STATES:
        raise Invalid(
            _l("Unknown presence state."),
            {"state": [_l("Must be one of: %(states)s.", states=", ".join(STATES))]},
        )
    return str(state)


def _break_reason(state: str, reason_id: int | None, reason: int | str | None) -> BreakReason | None:
    field, given = ("reason", reason) if reason is not None else ("reason_id", reason_id)
    if state != PresenceState.BREAK:
        if given is not None:
            raise Invalid(_l("Only a break has a reason."), {field: [_l("Give a reason for a break only.")]})
        return None
    if given is None:
        raise Invalid(_l("A break needs a reason."), {field: [_l("Pick a break reason.")]})
    if isinstance(given, int) and not isinstance(given, bool):
        found = db.session.get(BreakReason, given)
    elif isinstance(given, str):
        found = db.session.scalar(select(BreakReason).where(BreakReason.name == given.strip()))
    else:
        found = None
    if found is None:
        raise Invalid(_l("Unknown break reason."), {field: [_l("No break reason has this id or name.")]})
    return found


def _locked_row(agent_id: int) -> AgentPresence:
    """The agent's presence row, locked until the commit (made, offline, if they never had one)."""
    locked = (
        select(AgentPresence)
        .where(AgentPresence.agent_id == agent_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = db.session.scalar(locked)
    if row is None:
        # Two first changes may race: one inserts, the other finds the row and waits for its lock.
        insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        first = {"agent_id": agent_id, "state": PresenceState.OFFLINE.value, "since": utcnow()}
        db.session.execute(
            insert(AgentPresence).values(first).on_conflict_do_nothing(index_elements=["agent_id"])
        )
        row = db.session.scalars(locked).one()
    return row


@dataclass
class _Change:
    row: AgentPresence
    previous: str
    period: PresencePeriod | None  # None: the agent was in that state already


def _open_period(agent_id: int) -> PresencePeriod | None:
    return db.session.scalar(
        select(PresencePeriod)
        .where(PresencePeriod.agent_id == agent_id, PresencePeriod.ended_at.is_(None))
        .order_by(PresencePeriod.started_at.desc(), PresencePeriod.id.desc())
        .limit(1)
    )


def _move(row: AgentPresence, state: str, reason_id: int | None, *, set_by: Agent | None) -> _Change:
    """The step of every change: end the open period and begin the next at one moment (the locked row's
    change never goes back in time, whatever the clocks of several processes say)."""
    previous = row.state
    if row.state == state and row.reason_id == reason_id:
        return _Change(row, previous, None)
    now = max(utcnow(), row.since)
    open_periods = select(PresencePeriod).where(
        PresencePeriod.agent_id == row.agent_id, PresencePeriod.ended_at.is_(None)
    )
    for period in db.session.scalars(open_periods):
        period.ended_at = now
    period = PresencePeriod(
        agent_id=row.agent_id,
        state=state,
        reason_id=reason_id,
        started_at=now,
        set_by_id=set_by.id if set_by else None,
    )
    db.session.add(period)
    if state == PresenceState.AVAILABLE:
        row.idle_since = now
    row.state, row.reason_id, row.since = state, reason_id, now
    db.session.flush()
    return _Change(row, previous, period)


def _announce(agent: Agent, change: _Change, actor: Agent | None) -> None:
    """After the commit: the live event, the signal, and the end of a wrap-up booked."""
    if change.period is None:
        return
    row = change.row
    names = _reason_names([row.reason_id] if row.reason_id is not None else [])
    presence = _presence(agent, row, names)
    rooms = [agent_room(agent.id), *team_rooms(agent)]
    live.publish("presence.changed", presence_payload(presence), rooms=rooms)
    presence_changed.send(
        row,
        agent_id=agent.id,
        state=row.state,
        previous=change.previous,
        reason_id=row.reason_id,
        actor_id=actor.id if actor else None,
    )
    if row.state == PresenceState.WRAP_UP:
        delay = timedelta(seconds=int(current_app.config["WRAP_UP_MAX_SECONDS"]))
        _book(f"{_JOBS}.end_wrap_up", agent.id, change.period.id, delay=delay)


def team_rooms(agent: Agent) -> list[str]:
    """The rooms of the agent's teams, where their teammates' consoles hear of their presence."""
    return [live.room("team", team.id) for team in agent.teams]


def presence_payload(presence: Presence) -> dict[str, Any]:
    """What `presence.changed` carries."""
    return {
        "agent_id": presence.agent_id,
        "name": presence.name,
        "state": presence.state,
        "reason_id": presence.reason_id,
        "reason": presence.reason,
        "since": presence.since.isoformat() if presence.since else None,
    }


def _book(job: str, *args: Any, delay: timedelta | None = None) -> None:
    """Enqueue a job of the package; a lost one is the sweep's to make up for."""
    enqueue_or_leave_to_sweep(job, *args, delay=delay)


def _desk_change(agent_id: int, state: str, still: Callable[[AgentPresence], bool]) -> bool:
    """The desk puts the agent in `state` if `still(row)` holds once their row is locked (what the caller
    saw has not changed meanwhile); a disabled agent only ever goes offline. Whether it did."""
    agent = db.session.get(Agent, agent_id)
    if agent is None:
        return False
    row = _locked_row(agent_id)
    if not still(row):
        db.session.commit()  # ends the transaction, and the lock, having changed nothing
        return False
    change = _move(row, state if agent.active else PresenceState.OFFLINE, None, set_by=None)
    db.session.commit()
    _announce(agent, change, None)
    return change.period is not None


@unit_of_work
def end_wrap_up(agent_id: int, period_id: int) -> bool:
    """The wrap-up period `period_id` has lasted its maximum: the agent is available again, unless they
    left that period already. Safe to repeat."""

    def still_in_it(row: AgentPresence) -> bool:
        period = _open_period(agent_id)
        return row.state == PresenceState.WRAP_UP and period is not None and period.id == period_id

    return _desk_change(agent_id, PresenceState.AVAILABLE, still_in_it)


@unit_of_work
def go_offline_if_gone(agent_id: int, token: str) -> bool:
    """The grace period after the agent's last console closed is over: offline, unless a console came
    back or a later one closed (`token` names the closing this job was booked for). Safe to repeat."""
    marker = connections.away(agent_id)
    if marker is None or marker.token != token or connections.connected(agent_id):
        return False
    return _desk_change(agent_id, PresenceState.OFFLINE, lambda row: row.state != PresenceState.OFFLINE)


@unit_of_work
def go_offline(agent_id: int) -> bool:
    """The desk takes the agent offline now (signed out everywhere, disabled). Safe to repeat."""
    return _desk_change(agent_id, PresenceState.OFFLINE, lambda row: row.state != PresenceState.OFFLINE)


@dataclass(frozen=True)
class Swept:
    offline: int
    available: int


def sweep_presence(now: datetime | None = None) -> Swept:
    """Take offline every agent who is not, has no console on a live process and whose grace has passed;
    make available every agent whose wrap-up is overdue. One commit per agent changed; safe to repeat."""
    now = now or utcnow()
    config = current_app.config
    grace = timedelta(seconds=int(config["PRESENCE_GRACE_SECONDS"]))
    longest_wrap_up = timedelta(seconds=int(config["WRAP_UP_MAX_SECONDS"]))
    present = select(AgentPresence.agent_id, AgentPresence.state, AgentPresence.since).where(
        AgentPresence.state != PresenceState.OFFLINE
    )
    rows = db.session.execute(present.order_by(AgentPresence.agent_id)).all()
    db.session.commit()
    offline = available = 0
    for agent_id, state, since in rows:

        def unchanged(row: AgentPresence, state: str = state, since: datetime = since) -> bool:
            return row.state == state and row.since == since

        if not connections.connected(agent_id):
            marker = connections.away(agent_id)
            away_since = max(since, marker.at) if marker else since
            if now - away_since >= grace:
                offline += _desk_change(agent_id, PresenceState.OFFLINE, unchanged)
                continue
        if state == PresenceState.WRAP_UP and now - since >= longest_wrap_up:
            available += _desk_change(agent_id, PresenceState.AVAILABLE, unchanged)
    return Swept(offline, available)


# -- consoles -----------------------------------------------------------------------------------------


def console_opened(agent: Agent, sid: str) -> None:
    """A console of the agent connected (it keeps their presence alive; it sets no state)."""
    connections.opened(agent.id, sid, session_key=agent.session_key)


def console_closed(agent_id: int | None, sid: str) -> None:
    """A console closed: when it was the agent's last, the grace period begins."""
    try:
        gone = connections.closed(sid, agent_id)
    except RedisError as error:
        log.warning("console %s closed unrecorded (the sweep will catch up): %s", sid, error)
        return
    if gone is not None:
        agent_id, token = gone
        delay = timedelta(seconds=int(current_app.config["PRESENCE_GRACE_SECONDS"]))
        _book(f"{_JOBS}.go_offline_if_gone", agent_id, token, delay=delay)


def close_consoles(agent_id: int, *, session_key: str | None = None) -> list[str]:
    """Tell the agent's consoles their session ended, and disconnect them on whichever process holds them
    (python-socketio's `disconnect` goes through the message queue for another process's socket): those
    opened with sign-in session `session_key`, or all of them. The socket ids closed."""
    try:
        sids = connections.socket_ids(agent_id, session_key=session_key)
    except RedisError as error:
        log.warning("consoles of agent %s not closed: %s", agent_id, error)
        return []
    if session_key is None:
        live.publish("session.ended", {}, rooms=[agent_room(agent_id)])
    else:
        for sid in sids:
            socketio.emit("session.ended", {}, to=sid, namespace=AGENTS_NAMESPACE)
    # In a context of its own: the namespace's disconnect handler of a socket of this process runs
    # right here, and must not see the signed-in person of the request that ended the session.
    with current_app.app_context():
        for sid in sids:
            socketio.server.disconnect(sid, namespace=AGENTS_NAMESPACE)
    return sids


def book_going_offline(agent_id: int) -> None:
    """Have a worker take the agent offline now (a receiver's way to a use case)."""
    _book(f"{_JOBS}.go_offline", agent_id)
