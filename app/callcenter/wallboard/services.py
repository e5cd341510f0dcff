"""Use cases of the supervisors' wallboard: the figures of every queue and agent, read from the call
center's and the tickets' tables with a few grouped queries, and their live updates.

Figures (the shared KPI definitions, docs: KPI.md; "today" is the desk's day in `WALLBOARD_TIMEZONE`,
half-open `[local midnight, next local midnight)` in UTC, so every supervisor sees the same figures):

- waiting: work items `waiting` or `offered` (a callback not due yet is not waiting), by kind, and the
  oldest `waiting_since` (the longest wait);
- calls today: the calls *offered* (entered the queue) today; a *short abandon* is a call abandoned
  within `WALLBOARD_SHORT_ABANDON_SECONDS` of being offered and counts in no rate;
  service level = answered within `WALLBOARD_SERVICE_LEVEL_SECONDS` ÷ (offered - short abandons);
  abandonment = (abandoned - short abandons) ÷ (offered - short abandons);
  ASA = Σ(answered_at - offered_at) ÷ answered; a rate with nothing to divide by is None;
- agents: who serves a queue is its team's members, or every agent for a queue without a team; the
  wallboard's agents are the active people of role agent and anyone else with a presence row (who
  opened a console), in their state since `since` (offline, since None, for who never connected);
- SLA at risk: unsolved tickets with an open SLA target (not met, not cancelled, clock running) due
  within its policy's warning window (`SLA_WARNING_SECONDS` for the built-in defaults) or overdue.

Live: a change (a presence, a work item, a call, a ticket) asks for its scope's figures to be
recomputed (`request_refresh("queue:3")`, `"agent:7"`); the job recomputes them and publishes
`wallboard.changed` to the `wallboard` room of the `/wallboard` namespace. Bursts are coalesced per
scope: the first change of a window of `WALLBOARD_COALESCE_MS` is recomputed at once, the later ones by
one trailing job after the window, which releases its mark before it reads: every change is read by a
recomputation that starts after it, so the last one is never lost.
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from sqlalchemy import and_, case, func, literal, or_, select

from app.accounts.access import Permission, has_permission
from app.accounts.models import Agent, Role, Team, team_members
from app.callcenter import live
from app.callcenter.calls.models import Call, CallStatus
from app.callcenter.live import WALLBOARD_NAMESPACE
from app.callcenter.models import BreakReason
from app.callcenter.presence import services as presence
from app.callcenter.presence.models import AgentPresence, PresenceState
from app.callcenter.routing.models import WorkItem, WorkKind, WorkStatus
from app.callcenter.wallboard import schemas
from app.dbtypes import UTCDateTime, utcnow
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.queue import enqueue, redis_connection
from app.tickets.models import Queue, Ticket
from app.tickets.models.vocabulary import UNSOLVED
from app.tickets.sla import services as sla
from app.tickets.sla.models import SlaPolicy, SlaTarget

log = logging.getLogger(__name__)

# The room of every wallboard connection, and of the connections following one agent.
WALLBOARD_ROOM = "wallboard"
# The at-risk tickets listed per queue (the most urgent first); the counts cover them all.
AT_RISK_LISTED = 5
# Recent events shown when a supervisor starts following an agent.
FOLLOW_HISTORY = 20
STATES = tuple(PresenceState)
WAITING = (WorkStatus.WAITING, WorkStatus.OFFERED)
KIND_KEYS = {WorkKind.CALL: "calls", WorkKind.TICKET: "tickets", WorkKind.CALLBACK: "callbacks"}
# SQLite measures durations in fractions of a day: a call answered exactly at the threshold must count.
_EPSILON_SECONDS = 0.001
_REFRESH_JOB = "app.callcenter.wallboard.jobs.refresh"
_KEY = "switchboard:wallboard"
# How long a trailing recomputation's mark lives if its job is lost (then the next change books again).
_TRAILING_MARK_MS = 10_000


def follow_room(agent_id: int) -> str:
    """The room (in `/wallboard`) of the connections following one agent's events: `follow:<id>`."""
    return f"follow:{int(agent_id)}"


def may_view(viewer: Agent | None) -> bool:
    return has_permission(viewer, Permission.WALLBOARD_VIEW)


def _check(viewer: Agent | None) -> None:
    if not may_view(viewer):
        raise Forbidden(_l("Only supervisors and admins see the wallboard."))


# -- the snapshot -------------------------------------------------------------------------------------


def wallboard_snapshot(*, viewer: Agent) -> dict[str, Any]:
    """Every queue's figures, every agent's state, the desk's totals, and the `seq` of the `wallboard`
    room read before the figures (events after it are to be applied on top: they carry whole rows, so
    one applied twice does no harm)."""
    _check(viewer)
    seq = live.last_seq(WALLBOARD_ROOM, namespace=WALLBOARD_NAMESPACE)
    now = utcnow()
    start, end = day_bounds(now)
    queues = _queues()
    figures = _queue_figures(now, start, end)
    agents, memberships = _agents()
    counts = _agent_counts(queues, agents, memberships)
    rows = [
        {**_queue_row(queue, figures.get(queue["id"]), now), "agents": counts[queue["id"]]}
        for queue in queues
    ]
    return {
        "now": now,
        "seq": seq,
        "day": {"timezone": _zone_name(), "started_at": start, "ends_at": end},
        "thresholds": thresholds(),
        "queues": rows,
        "agents": agents,
        "totals": {**_totals(figures, now), "agents": _state_counts(agents)},
    }


def thresholds() -> dict[str, int]:
    config = current_app.config
    return {
        "service_level_seconds": int(config["WALLBOARD_SERVICE_LEVEL_SECONDS"]),
        "short_abandon_seconds": int(config["WALLBOARD_SHORT_ABANDON_SECONDS"]),
        "service_level_target_percent": int(config["WALLBOARD_SERVICE_LEVEL_TARGET_PERCENT"]),
        "abandonment_limit_percent": int(config["WALLBOARD_ABANDONMENT_LIMIT_PERCENT"]),
        "waiting_warn_count": int(config["WALLBOARD_WAITING_WARN_COUNT"]),
        "waiting_alert_count": int(config["WALLBOARD_WAITING_ALERT_COUNT"]),
        "wait_warn_seconds": int(config["WALLBOARD_WAIT_WARN_SECONDS"]),
        "wait_alert_seconds": int(config["WALLBOARD_WAIT_ALERT_SECONDS"]),
    }


def _zone_name() -> str:
    return current_app.config["WALLBOARD_TIMEZONE"]


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Today in the desk's zone, as UTC moments: from its midnight to the next (23 or 25 hours apart
    on the days the clocks change)."""
    zone = ZoneInfo(_zone_name())
    midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC), (midnight + timedelta(days=1)).astimezone(UTC)


def _queues(queue_id: int | None = None) -> list[dict[str, Any]]:
    query = select(Queue.id, Queue.name, Queue.team_id, Team.name).outerjoin(Team, Team.id == Queue.team_id)
    if queue_id is not None:
        query = query.where(Queue.id == queue_id)
    rows = db.session.execute(query.order_by(Queue.name, Queue.id))
    return [{"id": id_, "name": name, "team_id": team_id, "team": team} for id_, name, team_id, team in rows]


# -- figures per queue (None: work and calls of no queue, counted in the totals) ----------------------


def _empty_figures() -> dict[str, Any]:
    return {
        "waiting": {"calls": 0, "tickets": 0, "callbacks": 0},
        "oldest_waiting_since": None,
        "calls": {"offered": 0, "answered": 0, "answered_in_time": 0, "abandoned": 0, "short_abandons": 0},
        "wait_seconds": 0.0,
        "sla": {"at_risk": 0, "breached": 0, "tickets": []},
    }


def _queue_figures(now: datetime, start: datetime, end: datetime) -> dict[int | None, dict[str, Any]]:
    figures: dict[int | None, dict[str, Any]] = {}

    def of(queue_id):
        return figures.setdefault(queue_id, _empty_figures())

    due = or_(WorkItem.not_before.is_(None), WorkItem.not_before <= now)
    work = (
        select(WorkItem.queue_id, WorkItem.kind, func.count(), func.min(WorkItem.waiting_since))
        .where(WorkItem.status.in_(WAITING), due)
        .group_by(WorkItem.queue_id, WorkItem.kind)
    )
    for queue_id, kind, count, oldest in db.session.execute(work):
        row = of(queue_id)
        key = KIND_KEYS.get(kind)
        if key:
            row["waiting"][key] += count
        if oldest is not None and (
            row["oldest_waiting_since"] is None or oldest < row["oldest_waiting_since"]
        ):
            row["oldest_waiting_since"] = oldest

    config = current_app.config
    in_time = float(config["WALLBOARD_SERVICE_LEVEL_SECONDS"]) + _EPSILON_SECONDS
    short = float(config["WALLBOARD_SHORT_ABANDON_SECONDS"]) + _EPSILON_SECONDS
    answered = Call.answered_at.is_not(None)
    abandoned = Call.status == CallStatus.ABANDONED
    wait = _seconds(Call.answered_at, Call.offered_at)
    short_abandon = and_(
        abandoned, Call.abandoned_at.is_not(None), _seconds(Call.abandoned_at, Call.offered_at) <= short
    )
    calls = (
        select(
            Call.queue_id,
            func.count(),
            _count(answered),
            _count(and_(answered, wait <= in_time)),
            _count(abandoned),
            _count(short_abandon),
            func.sum(case((answered, wait), else_=0)),
        )
        .where(Call.offered_at >= start, Call.offered_at < end)
        .group_by(Call.queue_id)
    )
    for queue_id, offered, answered_, in_time_, abandoned_, short_, waited in db.session.execute(calls):
        row = of(queue_id)
        row["calls"] = {
            "offered": offered,
            "answered": int(answered_ or 0),
            "answered_in_time": int(in_time_ or 0),
            "abandoned": int(abandoned_ or 0),
            "short_abandons": int(short_ or 0),
        }
        row["wait_seconds"] = float(waited or 0)

    for queue_id, at_risk, breached, ticket in _at_risk(now):
        row = of(queue_id)
        row["sla"]["at_risk"], row["sla"]["breached"] = at_risk, breached
        row["sla"]["tickets"].append(ticket)
    return figures


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def _seconds(later, earlier):
    """Seconds from `earlier` to `later`, in SQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _at_risk(now: datetime):
    """(queue_id, at risk in the queue, breached in the queue, ticket) of the most urgent at-risk tickets
    of each queue: one query, whatever the number of queues or tickets."""
    default_window = sla.default_warning_seconds()
    default_cutoff = literal(now + timedelta(seconds=default_window), UTCDateTime)
    windows = db.session.execute(select(SlaPolicy.id, SlaPolicy.warning_seconds)).all()
    # The widest window as a plain bound too, so the open targets' index (met_at, due_at) is read by range.
    widest = now + timedelta(seconds=max([default_window, *(seconds or 0 for _id, seconds in windows)]))
    cutoff = (
        case(
            {
                policy_id: literal(now + timedelta(seconds=seconds or 0), UTCDateTime)
                for policy_id, seconds in windows
            },
            value=SlaTarget.policy_id,
            else_=default_cutoff,
        )
        if windows
        else default_cutoff
    )
    per_ticket = (
        select(
            Ticket.queue_id.label("queue_id"),
            Ticket.id.label("ticket_id"),
            func.min(SlaTarget.due_at).label("due_at"),
        )
        .join(SlaTarget, SlaTarget.ticket_id == Ticket.id)
        .where(
            Ticket.status.in_(UNSOLVED),
            SlaTarget.met_at.is_(None),
            SlaTarget.cancelled_at.is_(None),
            SlaTarget.due_at <= widest,
            SlaTarget.due_at <= cutoff,
        )
        .group_by(Ticket.queue_id, Ticket.id)
        .subquery()
    )
    overdue = case((per_ticket.c.due_at < literal(now, UTCDateTime), 1), else_=0)
    by_queue = {"partition_by": per_ticket.c.queue_id}
    ranked = select(
        per_ticket.c.queue_id,
        per_ticket.c.ticket_id,
        per_ticket.c.due_at,
        func.row_number()
        .over(**by_queue, order_by=(per_ticket.c.due_at, per_ticket.c.ticket_id))
        .label("rank"),
        func.count().over(**by_queue).label("at_risk"),
        func.sum(overdue).over(**by_queue).label("breached"),
    ).subquery()
    query = (
        select(
            ranked.c.queue_id,
            ranked.c.at_risk,
            ranked.c.breached,
            ranked.c.due_at,
            Ticket.id,
            Ticket.reference,
            Ticket.subject,
            Ticket.priority,
            Ticket.status,
            Ticket.assignee_id,
            Agent.name,
        )
        .join(Ticket, Ticket.id == ranked.c.ticket_id)
        .outerjoin(Agent, Agent.id == Ticket.assignee_id)
        .where(ranked.c.rank <= AT_RISK_LISTED)
        .order_by(ranked.c.queue_id, ranked.c.rank)
    )
    for queue_id, at_risk, breached, due_at, *ticket in db.session.execute(query):
        ticket_id, reference, subject, priority, status, assignee_id, assignee = ticket
        due_at = _aware(due_at)
        yield (
            queue_id,
            int(at_risk),
            int(breached or 0),
            {
                "id": ticket_id,
                "reference": reference,
                "subject": subject,
                "priority": priority,
                "status": status,
                "assignee_id": assignee_id,
                "assignee": assignee,
                "due_at": due_at,
                "breached": due_at < now,
            },
        )


def _aware(value: datetime | str) -> datetime:
    """A moment read through a subquery's aggregate (SQLite hands back its text) as an aware UTC time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rates(calls: dict[str, int], wait_seconds: float) -> dict[str, float | None]:
    counted = calls["offered"] - calls["short_abandons"]
    return {
        "service_level_percent": _percent(calls["answered_in_time"], counted),
        "abandonment_percent": _percent(calls["abandoned"] - calls["short_abandons"], counted),
        "average_speed_of_answer_seconds": (
            round(wait_seconds / calls["answered"], 1) if calls["answered"] else None
        ),
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


def _queue_row(queue: dict[str, Any], figures: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    figures = figures or _empty_figures()
    oldest = figures["oldest_waiting_since"]
    return {
        **queue,
        "waiting": figures["waiting"],
        "waiting_total": sum(figures["waiting"].values()),
        "oldest_waiting_since": oldest,
        "longest_wait_seconds": max(0, int((now - oldest).total_seconds())) if oldest else 0,
        "calls": figures["calls"],
        **_rates(figures["calls"], figures["wait_seconds"]),
        "sla": figures["sla"],
        "updated_at": now,
    }


def _totals(figures: dict[int | None, dict[str, Any]], now: datetime) -> dict[str, Any]:
    total = _empty_figures()
    for row in figures.values():
        for key, value in row["waiting"].items():
            total["waiting"][key] += value
        for key, value in row["calls"].items():
            total["calls"][key] += value
        total["wait_seconds"] += row["wait_seconds"]
        total["sla"]["at_risk"] += row["sla"]["at_risk"]
        total["sla"]["breached"] += row["sla"]["breached"]
        oldest = row["oldest_waiting_since"]
        if oldest is not None and (
            total["oldest_waiting_since"] is None or oldest < total["oldest_waiting_since"]
        ):
            total["oldest_waiting_since"] = oldest
    row = _queue_row({}, total, now)
    row["sla"] = {"at_risk": total["sla"]["at_risk"], "breached": total["sla"]["breached"], "tickets": []}
    return row


# -- agents --------------------------------------------------------------------------------------------


def _agents(agent_id: int | None = None) -> tuple[list[dict[str, Any]], dict[int, list[int]]]:
    """The wallboard's agents by name with their state, and each one's teams."""
    query = (
        select(
            Agent.id,
            Agent.name,
            AgentPresence.state,
            AgentPresence.since,
            AgentPresence.reason_id,
            BreakReason.name,
        )
        .outerjoin(AgentPresence, AgentPresence.agent_id == Agent.id)
        .outerjoin(BreakReason, BreakReason.id == AgentPresence.reason_id)
        .where(Agent.active.is_(True), or_(Agent.role == Role.AGENT, AgentPresence.agent_id.is_not(None)))
        .order_by(Agent.name, Agent.id)
    )
    teams = select(team_members.c.agent_id, team_members.c.team_id).order_by(team_members.c.team_id)
    if agent_id is not None:
        query = query.where(Agent.id == agent_id)
        teams = teams.where(team_members.c.agent_id == agent_id)
    memberships: dict[int, list[int]] = {}
    for member, team_id in db.session.execute(teams):
        memberships.setdefault(member, []).append(team_id)
    agents = [
        {
            "id": id_,
            "name": name,
            "state": state or PresenceState.OFFLINE,
            "since": since,
            "reason_id": reason_id,
            "reason": reason,
            "team_ids": memberships.get(id_, []),
        }
        for id_, name, state, since, reason_id, reason in db.session.execute(query)
    ]
    return agents, memberships


def _state_counts(agents: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(agent["state"] for agent in agents)
    return {state.value: counts.get(state.value, 0) for state in STATES}


def _agent_counts(
    queues: list[dict[str, Any]], agents: list[dict[str, Any]], memberships: dict[int, list[int]]
) -> dict[int, dict[str, int]]:
    """Agents by state for each queue: its team's members, or everyone for a queue without a team."""
    by_team: dict[int, list[dict[str, Any]]] = {}
    for agent in agents:
        for team_id in agent["team_ids"]:
            by_team.setdefault(team_id, []).append(agent)
    everyone = _state_counts(agents)
    return {
        queue["id"]: _state_counts(by_team.get(queue["team_id"], [])) if queue["team_id"] else everyone
        for queue in queues
    }


# -- live updates -------------------------------------------------------------------------------------


def queue_change(queue_id: int | None) -> dict[str, Any]:
    """What `wallboard.changed` says after a change in one queue (None: work or calls of no queue): the
    queue's row (its agents aside, which did not change) and the desk's totals."""
    now = utcnow()
    start, end = day_bounds(now)
    figures = _queue_figures(now, start, end)
    queues = _queues(queue_id) if queue_id is not None else []
    rows = [_queue_row(queue, figures.get(queue["id"]), now) for queue in queues]
    change: dict[str, Any] = {"queue_id": queue_id, "agent_id": None, "queues": rows, "agents": []}
    if queue_id is not None and not queues:
        change["removed_queue_ids"] = [queue_id]
    return {**change, "totals": _totals(figures, now), "at": now}


def agent_change(agent_id: int) -> dict[str, Any]:
    """What `wallboard.changed` says after an agent's state changed: their row (or that they are gone
    from the wallboard), the count of agents by state of every queue, and the desk's count."""
    now = utcnow()
    queues = _queues()
    agents, memberships = _agents()
    counts = _agent_counts(queues, agents, memberships)
    mine = [agent for agent in agents if agent["id"] == agent_id]
    change: dict[str, Any] = {
        "queue_id": None,
        "agent_id": agent_id,
        "queues": [{"id": queue["id"], "agents": counts[queue["id"]]} for queue in queues],
        "agents": mine,
        "totals": {"agents": _state_counts(agents)},
        "at": now,
    }
    if not mine:
        change["removed_agent_ids"] = [agent_id]
    return change


def request_refresh(scope: str) -> None:
    """Ask for the figures of `scope` (`queue:<id>`, `queue:none`, `agent:<id>`) to be published again,
    coalesced: the first ask of a window at once, the rest by one trailing recomputation after it.
    Never raises for Redis: the wallboards resync on reconnect."""
    window = int(current_app.config["WALLBOARD_COALESCE_MS"])
    try:
        if window <= 0:
            enqueue(_REFRESH_JOB, scope)
            return
        connection = redis_connection()
        if connection.set(f"{_KEY}:gate:{scope}", 1, nx=True, px=window):
            enqueue(_REFRESH_JOB, scope)
        elif connection.set(f"{_KEY}:trailing:{scope}", 1, nx=True, px=_TRAILING_MARK_MS):
            enqueue(_REFRESH_JOB, scope, trailing=True, delay=timedelta(milliseconds=window))
    except RedisError:
        log.warning("wallboard refresh of %s not enqueued: Redis is out of reach", scope)


def publish_refresh(scope: str, *, trailing: bool = False) -> dict[str, Any]:
    """Recompute the figures of `scope` and publish them as `wallboard.changed`; a trailing run first
    releases its mark, so a change that comes while it reads books the next run."""
    if trailing:
        with suppress(RedisError):
            redis_connection().delete(f"{_KEY}:trailing:{scope}")
    kind, _, ident = scope.partition(":")
    if kind == "agent":
        change = agent_change(int(ident))
    elif kind == "queue":
        change = queue_change(None if ident == "none" else int(ident))
    else:
        raise ValueError(f"unknown wallboard scope {scope!r}")
    payload = schemas.WallboardChangeSchema().dump(change)
    live.publish("wallboard.changed", payload, rooms=[WALLBOARD_ROOM], namespace=WALLBOARD_NAMESPACE)
    return payload


def queue_scope(queue_id: int | None) -> str:
    return f"queue:{queue_id}" if queue_id is not None else "queue:none"


# -- following one agent ------------------------------------------------------------------------------


def publish_agent_event(agent_id: int | None, kind: str, details: dict[str, Any]) -> None:
    """Tell the wallboards following agent `agent_id` what happened to them (JSON values in `details`)."""
    if agent_id is None:
        return
    payload = {"agent_id": agent_id, "kind": kind, "at": utcnow().isoformat(), **details}
    live.publish(
        "wallboard.agent_event", payload, rooms=[follow_room(agent_id)], namespace=WALLBOARD_NAMESPACE
    )


def followable_agent(agent_id: int, *, viewer: Agent) -> Agent:
    """The agent a supervisor may follow: any active person (404 for none)."""
    _check(viewer)
    agent = db.session.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise NotFound(_l("Agent %(agent_id)s not found.", agent_id=agent_id))
    return agent


def recent_agent_events(agent_id: int) -> tuple[list[dict[str, Any]], int]:
    """The last events of the agent's follow room (oldest first), and its last sequence number."""
    name = follow_room(agent_id)
    last = live.last_seq(name, namespace=WALLBOARD_NAMESPACE)
    missed = live.events_since(name, max(0, last - FOLLOW_HISTORY), namespace=WALLBOARD_NAMESPACE)
    return [payload for _seq, _event, payload in missed.events], last


# -- the supervisor's actions -------------------------------------------------------------------------


def change_agent_state(agent_id: int, state: str, *, reason_id: int | None = None, actor: Agent) -> None:
    """A supervisor puts an agent in another state (a break with its reason, offline, available): the
    presence package's use case, which records the period and announces it (the wallboard then updates
    through `presence_changed`)."""
    _check(actor)
    presence.set_presence(agent_id, state, reason_id=reason_id, actor=actor)
