"""Rows of the call center's tables as the other packages would write them, for the wallboard's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from app.callcenter.calls.models import Call, CallStatus
from app.callcenter.presence.models import AgentPresence
from app.callcenter.routing.models import WorkItem, WorkKind, WorkStatus
from app.extensions import db
from app.tickets.sla.models import SlaTarget

# The wallboard's clock in these tests: midday, so "today" is never a minute old.
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
_ids = count(1)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def save(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return rows[0] if len(rows) == 1 else rows


def call(queue, *, offered: datetime, answered_after=None, abandoned_after=None, status=None) -> Call:
    row = Call(
        provider="pbx",
        external_id=f"call-{next(_ids)}",
        queue_id=queue.id if queue else None,
        offered_at=offered,
    )
    row.status = status or CallStatus.QUEUED
    if answered_after is not None:
        row.answered_at = offered + timedelta(seconds=answered_after)
        row.status = status or CallStatus.ENDED
    if abandoned_after is not None:
        row.abandoned_at = offered + timedelta(seconds=abandoned_after)
        row.status = CallStatus.ABANDONED
    return save(row)


def work(
    queue, kind=WorkKind.TICKET, *, since: datetime, status=WorkStatus.WAITING, not_before=None
) -> WorkItem:
    row = WorkItem(
        kind=kind,
        subject_id=next(_ids),
        queue_id=queue.id if queue else None,
        status=status,
        waiting_since=since,
        not_before=not_before,
    )
    return save(row)


def presence(agent, state, *, since: datetime, reason=None) -> AgentPresence:
    row = db.session.get(AgentPresence, agent.id) or AgentPresence(agent_id=agent.id)
    row.state, row.since, row.reason_id = state, since, reason.id if reason else None
    return save(row)


def target(ticket, *, due: datetime, policy=None, kind="first_response", met=False) -> SlaTarget:
    row = SlaTarget(
        ticket_id=ticket.id,
        policy_id=policy.id if policy else None,
        kind=kind,
        target_seconds=3600,
        started_at=ago(3600),
        due_at=due,
        met_at=ago(1) if met else None,
    )
    return save(row)
