"""Building blocks of the routing tests: queues with teams and skills, agents ready for work, tickets
opened through the tickets room (so routing hears of them as it does in production)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.models import AgentSkill, Skill
from app.callcenter.presence.models import AgentPresence, PresenceState
from app.callcenter.routing import services as routing
from app.callcenter.routing.models import Offer, OfferOutcome, QueueRouting, WorkItem, WorkKind
from app.dbtypes import utcnow
from app.extensions import db
from app.tickets import services as tickets
from tests.factories import AgentFactory, TeamFactory
from tests.ticket_factories import QueueFactory

_SKILLS: dict[str, Skill] = {}


def skill(name: str) -> Skill:
    found = db.session.scalars(select(Skill).where(Skill.name == name)).one_or_none()
    if found is None:
        found = Skill(name=name)
        db.session.add(found)
        db.session.commit()
    return found


def queue_for(*members, skills: tuple[str, ...] = (), **rules):
    """A queue served by a team of `members`, needing `skills`, with routing `rules` if given."""
    team = TeamFactory(members=list(members))
    queue = QueueFactory(team=team, skills=[skill(name) for name in skills])
    if rules:
        db.session.add(QueueRouting(queue_id=queue.id, **rules))
        db.session.commit()
    return queue


def ready_agent(
    *, idle_minutes: float = 0, skills: tuple[str, ...] = (), state=PresenceState.AVAILABLE, **capacity
):
    """An agent who is available, idle for `idle_minutes`, with `skills`."""
    agent = AgentFactory()
    for name in skills:
        db.session.add(AgentSkill(agent_id=agent.id, skill_id=skill(name).id))
    db.session.add(
        AgentPresence(
            agent_id=agent.id,
            state=state,
            since=utcnow() - timedelta(minutes=idle_minutes),
            idle_since=utcnow() - timedelta(minutes=idle_minutes),
            **capacity,
        )
    )
    db.session.commit()
    return agent


def open_ticket(queue, *, priority: str = "normal", subject: str = "My parcel is late", email=None):
    return tickets.open_ticket(
        subject=subject,
        priority=priority,
        queue_id=queue.id,
        customer={"name": "Cleo Customer", "email": email or "cleo@example.com"},
        actor=None,
    )


def stage_call(call_id: int, queue, *, priority: int = 0, waiting_since: datetime | None = None):
    """A call in the queue, as the calls package hands it over."""
    routing.stage_work(
        WorkKind.CALL, call_id, queue_id=queue.id, priority=priority, waiting_since=waiting_since
    )
    db.session.commit()
    routing.announce()


def offers(*, outcome: OfferOutcome | None = None) -> list[Offer]:
    db.session.expire_all()
    query = select(Offer).order_by(Offer.id)
    if outcome is not None:
        query = query.where(Offer.outcome == outcome)
    return list(db.session.scalars(query))


def pending() -> list[tuple[int, str, int]]:
    """The pending offers as (agent id, kind, subject id)."""
    waiting_for_an_answer = offers(outcome=OfferOutcome.PENDING)
    return [(o.agent_id, o.work_item.kind, o.work_item.subject_id) for o in waiting_for_an_answer]


def work(kind: WorkKind, subject_id: int) -> WorkItem:
    db.session.expire_all()
    return db.session.scalars(
        select(WorkItem).where(WorkItem.kind == kind, WorkItem.subject_id == subject_id)
    ).one()
