"""Use cases of routing: waiting work offered to the best available agent, and every offer's record.

Other parts of the call center (calls, callbacks) and the tickets receivers hand work to routing with
`stage_work`, a step that joins the caller's transaction; after their commit, `route_soon` asks for the
queue to be routed (a job, coalesced per queue, so the request that created the work does not wait for
the decision). `route_queue` is the decision:

- work waits in its queue by priority (highest first), then by how long it has waited; work with a
  `not_before` in the future (a callback asked for later) waits until then;
- it is offered to an agent who is `available`, holds every skill of the queue, may work the queue's
  tickets (the tickets room's access rule, `may_work`), has no other pending offer and is under their
  capacity (calls: `call_capacity`, else `ROUTING_CALL_CAPACITY`; tickets: `ticket_capacity`, else
  `ROUTING_TICKET_CAPACITY`, counting their open tickets); the one idle longest first; never again to
  an agent who declined it or let it time out, unless nobody else can take it and the queue's offer
  timeout has passed since;
- decisions are atomic across processes: on PostgreSQL the router locks the work item and the chosen
  agent's presence row (`FOR UPDATE SKIP LOCKED`) in the transaction that records the offer, and checks
  the agent again under the lock; partial unique indexes keep one pending offer per agent and per item.

An offer is answered by `accept_offer` or `decline_offer`, or times out (`time_out_offer`, a job
booked at its expiry, and `sweep`, the periodic safety net that also overflows queues and routes what
waits). A ticket offered is given to the agent through the tickets room's `claim_ticket`, whose
conditional UPDATE decides between routing and an agent claiming by hand: exactly one wins.

Steps that change work (`stage_work`, `finish_work`, the use cases' own) keep the news they make in the
session; `announce()`, after the commit, publishes it to the consoles (`offer.new`, `offer.ended`,
`work.changed`), sends the routing signals and books the jobs (routing, timeouts).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, exists, func, or_, select
from sqlalchemy.orm import Session

from app.accounts import services as accounts
from app.accounts.access import Permission, has_permission
from app.accounts.models import Agent, AgentSkill, SettingKind
from app.callcenter import live
from app.callcenter.presence.models import AgentPresence, PresenceState
from app.callcenter.routing import signals
from app.callcenter.routing.models import Offer, OfferOutcome, QueueRouting, WorkItem, WorkKind, WorkStatus
from app.customers import services as customers
from app.dbtypes import utcnow
from app.errors import AppError, Conflict, Invalid, NotFound
from app.extensions import db
from app.named_settings import Action
from app.queue import enqueue_or_leave_to_sweep, redis_connection
from app.records import get_or_404
from app.tickets import services as tickets
from app.tickets.models import Queue, Ticket, queue_skills
from app.tickets.models.vocabulary import UNSOLVED
from app.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

JOBS = "app.callcenter.routing.jobs"
# Offers one run of a queue makes at most; a longer line is routed again by the next run.
OFFERS_PER_RUN = 50
# Agents looked at per piece of work (the longest idle first).
CANDIDATES = 20
# How long a queue's routing job counts as pending (a lost job is repaired by the sweep after this).
PENDING_ROUTE_SECONDS = 60
OFFER_TIMEOUT_RANGE = (5, 600)
# Tickets' priorities as routing orders them.
TICKET_PRIORITIES = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
CALL_KINDS = (WorkKind.CALL, WorkKind.CALLBACK)
# A queue's routing rules, as the settings trail records their changes.
RULE_FIELDS = ("claim_allowed", "offer_timeout_seconds", "overflow_queue_id", "overflow_after_seconds")
# States in which an agent's pending offer is withdrawn at once (busy is left alone: an agent may pick
# up the phone before they click accept).
AWAY = (PresenceState.BREAK, PresenceState.OFFLINE)

_NEWS = "routing.news"


# -- putting work in line ----------------------------------------------------------------------------


def stage_work(
    kind: WorkKind,
    subject_id: int,
    *,
    queue_id: int | None,
    customer_id: int | None = None,
    priority: int = 0,
    not_before: datetime | None = None,
    waiting_since: datetime | None = None,
) -> WorkItem:
    """Put a ticket, call or callback request in line for routing, in the caller's transaction.

    A subject already in line keeps its row (and its place, unless it was done or cancelled, when it
    waits again from now). Moving it to another queue withdraws its pending offer. After the commit,
    call `announce()` (or at least `route_soon(queue_id)`).
    """
    # Locked: a router deciding about it right now finishes first, and we see its offer.
    item = _item(kind, subject_id, for_update=True)
    if item is None:
        item = WorkItem(kind=kind, subject_id=subject_id)
        db.session.add(item)
    elif item.queue_id != queue_id and item.status == WorkStatus.OFFERED:
        _end_pending_offer(item, OfferOutcome.WITHDRAWN)
        item.status = WorkStatus.WAITING
    if item.status in (None, WorkStatus.ASSIGNED, WorkStatus.CANCELLED):
        item.status = WorkStatus.WAITING
        item.waiting_since = waiting_since or utcnow()
        item.agent_id = None
        item.offer_expires_at = None
        item.finished_at = None
        item.overflowed_from_id = None
    if item.queue_id is not None and item.queue_id != queue_id:
        _news().append(("work", item.queue_id))
    item.queue_id = queue_id
    item.customer_id = customer_id
    item.priority = priority
    item.not_before = not_before
    _news().append(("work", queue_id))
    _news().append(("route", queue_id))
    return item


def finish_work(kind: WorkKind, subject_id: int, *, agent_id: int | None = None) -> WorkItem | None:
    """A step: the subject is done or gone, in the caller's transaction. Work still waiting or offered
    is cancelled (or, with `agent_id`, assigned to that agent: taken by other means), its pending offer
    withdrawn (accepted, when it was that agent's); work in an agent's hands is finished and no longer
    counts against their capacity. After the commit, call `announce()`."""
    item = _item(kind, subject_id, for_update=True)
    if item is None:
        return None
    if item.status in (WorkStatus.WAITING, WorkStatus.OFFERED):
        _take_out_of_line(item, agent_id)
    if item.status == WorkStatus.ASSIGNED and item.finished_at is None and agent_id is None:
        item.finished_at = utcnow()
        if item.agent_id is not None:
            _news().append(("agent", item.agent_id))
    return item


def assigned_agent(kind: WorkKind, subject_id: int) -> int | None:
    """The agent routing gave the subject to (an accepted offer), or None."""
    item = _item(kind, subject_id)
    return item.agent_id if item is not None and item.status == WorkStatus.ASSIGNED else None


def _item(kind: WorkKind, subject_id: int, *, for_update: bool = False) -> WorkItem | None:
    query = select(WorkItem).where(WorkItem.kind == kind, WorkItem.subject_id == subject_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalars(query).one_or_none()


def _take_out_of_line(item: WorkItem, agent_id: int | None) -> None:
    """Waiting or offered work leaves its line: taken by `agent_id`, or cancelled."""
    if item.status == WorkStatus.OFFERED:
        mine = agent_id is not None and item.agent_id == agent_id
        _end_pending_offer(item, OfferOutcome.ACCEPTED if mine else OfferOutcome.WITHDRAWN)
    item.status = WorkStatus.ASSIGNED if agent_id is not None else WorkStatus.CANCELLED
    item.agent_id = agent_id
    item.offer_expires_at = None
    _news().append(("work", item.queue_id))


def _end_pending_offer(item: WorkItem, outcome: OfferOutcome, *, at: datetime | None = None) -> None:
    offer = db.session.scalars(
        select(Offer).where(Offer.work_item_id == item.id, Offer.outcome == OfferOutcome.PENDING)
    ).one_or_none()
    if offer is not None:
        _end(offer, outcome, at=at)


def _end(offer: Offer, outcome: OfferOutcome, *, at: datetime | None = None) -> None:
    offer.outcome = outcome
    offer.decided_at = at or utcnow()
    _news().append(("ended", offer.id, offer.agent_id, offer.work_item_id, str(outcome)))


# -- after the commit --------------------------------------------------------------------------------


def _news() -> list[tuple]:
    return db.session().info.setdefault(_NEWS, [])


@event.listens_for(Session, "after_soft_rollback")
def _forget_news(session: Session, previous_transaction: Any) -> None:
    # What a rolled-back transaction staged never happened. (A savepoint's rollback keeps the outer
    # use case's news: its steps run before the savepoint.)
    if not previous_transaction.nested:
        session.info.pop(_NEWS, None)


def announce() -> None:
    """After the commit of work staged or ended: tell the consoles and the rooms above, and book the
    routing and timeout jobs. Never raises for Redis (the sweep repairs lost jobs)."""
    news = db.session().info.pop(_NEWS, [])
    queues: list[int] = []
    routes: list[int] = []
    agents: list[int] = []
    for entry in news:
        kind = entry[0]
        if kind == "offer":
            _announce_offer(entry[1])
        elif kind == "ended":
            _, offer_id, agent_id, item_id, outcome = entry
            payload = {"offer_id": offer_id, "work_item_id": item_id, "outcome": outcome}
            live.publish("offer.ended", payload, rooms=[live.room("agent", agent_id)])
            signals.offer_ended.send(
                db.session.get(Offer, offer_id),
                offer_id=offer_id,
                agent_id=agent_id,
                work_item_id=item_id,
                outcome=outcome,
            )
        elif kind == "work" and entry[1] is not None and entry[1] not in queues:
            queues.append(entry[1])
        elif kind == "route" and entry[1] is not None and entry[1] not in routes:
            routes.append(entry[1])
        elif kind == "agent" and entry[1] not in agents:
            agents.append(entry[1])
        elif kind == "timeout":
            _, offer_id, expires_at = entry
            enqueue_job("time_out_offer", offer_id, at=expires_at)
    for queue_id in queues:
        _announce_queue(queue_id)
    for queue_id in routes:
        route_soon(queue_id)
    for agent_id in agents:
        enqueue_job("route_for_agent", agent_id)


def _announce_offer(offer_id: int) -> None:
    offer = db.session.get(Offer, offer_id)
    item = db.session.get(WorkItem, offer.work_item_id)
    live.publish("offer.new", offer_payload(offer, item), rooms=[live.room("agent", offer.agent_id)])
    signals.offer_made.send(offer, offer_id=offer.id, agent_id=offer.agent_id, work_item_id=item.id)


def queue_figures(queue_id: int, *, now: datetime | None = None) -> dict[str, int]:
    """What waits in a queue's line now (`work.changed`'s payload; the wallboard's figures)."""
    waiting, oldest = db.session.execute(
        select(func.count(), func.min(WorkItem.waiting_since)).where(
            WorkItem.queue_id == queue_id, WorkItem.status == WorkStatus.WAITING
        )
    ).one()
    now = now or utcnow()
    longest = max(0, int((now - oldest).total_seconds())) if oldest is not None else 0
    return {"queue_id": queue_id, "waiting": waiting, "longest_wait_seconds": longest}


def pending_offers(agent_id: int) -> list[dict[str, Any]]:
    """The agent's pending offer (at most one), as `offer.new` showed it: for a console's snapshot."""
    held = db.session.scalars(
        select(Offer).where(Offer.agent_id == agent_id, Offer.outcome == OfferOutcome.PENDING)
    ).all()
    return [offer_payload(offer, offer.work_item) for offer in held]


def _announce_queue(queue_id: int) -> None:
    payload = queue_figures(queue_id)
    live.publish("work.changed", payload, rooms=[live.room("queue", queue_id)])
    signals.work_changed.send(None, queue_id=queue_id, work_item_id=None, status=None)


def offer_payload(offer: Offer, item: WorkItem) -> dict[str, Any]:
    """What an agent's console shows of an offer (`offer.new`), with the customer for the screen pop."""
    queue = db.session.get(Queue, item.queue_id) if item.queue_id is not None else None
    agent = db.session.get(Agent, offer.agent_id)
    timeout = int((offer.expires_at - offer.offered_at).total_seconds())
    payload = {
        "offer_id": offer.id,
        "work_item_id": item.id,
        "kind": item.kind,
        "subject_id": item.subject_id,
        "queue_id": item.queue_id,
        "queue": queue.name if queue is not None else None,
        "offered_at": offer.offered_at.isoformat(),
        "expires_at": offer.expires_at.isoformat(),
        "timeout_seconds": timeout,
        "title": None,
        "customer": customer_summary(item.customer_id, viewer=agent),
    }
    if item.kind == WorkKind.TICKET:
        ticket = db.session.get(Ticket, item.subject_id)
        if ticket is not None:
            payload["title"] = f"{ticket.reference}: {ticket.subject}"
    # The rooms above (calls) add what they know of their subject (the caller, a title).
    answers = signals.offer_details_requested.send(item, kind=item.kind, subject_id=item.subject_id)
    for _receiver, details in answers:
        if details:
            payload.update({key: value for key, value in details.items() if key not in ("offer_id", "kind")})
    return payload


def customer_summary(customer_id: int | None, *, viewer: Agent | None) -> dict[str, Any] | None:
    """The customer of an offer as the console pops them up: who, how valuable, how to reach them,
    how many tickets they have (None when unknown, or hidden from the viewer)."""
    if customer_id is None:
        return None
    try:
        customer = customers.get_customer(customer_id, viewer=viewer)
    except AppError:
        return None
    ticket_count = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.customer_id == customer.id)
    )
    return {
        "id": customer.id,
        "name": customer.name,
        "value_tier": customer.value_tier,
        "lifecycle_stage": customer.lifecycle_stage,
        "churn_risk": customer.churn_risk,
        "contact_points": [{"kind": point.kind, "value": point.value} for point in customer.contact_points],
        "tickets": ticket_count,
    }


# -- jobs ----------------------------------------------------------------------------------------------


def enqueue_job(name: str, *args: Any, at: datetime | None = None) -> None:
    """Enqueue routing's job `name` (after the commit). Inline jobs (tests) get their own app context,
    hence their own session, as on a worker. A failure is logged: the sweep repairs what was lost."""
    delay = None
    if at is not None:
        delay = max(at - utcnow(), timedelta(milliseconds=1))
    if current_app.config["RQ_ASYNC"]:
        enqueue_or_leave_to_sweep(f"{JOBS}.{name}", *args, delay=delay)
    else:
        with current_app.app_context():
            enqueue_or_leave_to_sweep(f"{JOBS}.{name}", *args, delay=delay)


def _pending_key(queue_id: int) -> str:
    return f"switchboard:routing:pending:{int(queue_id)}"


def route_soon(queue_id: int | None) -> None:
    """After a commit: have the queue routed by a job. Coalesced: while a queue's job waits to run, no
    second one is enqueued (the job clears the mark as it starts, so work arriving during a run gets a
    run of its own)."""
    if queue_id is None:
        return
    try:
        if not redis_connection().set(_pending_key(queue_id), 1, nx=True, ex=PENDING_ROUTE_SECONDS):
            return
    except Exception:
        log.warning("Could not mark queue %s for routing; enqueueing anyway", queue_id)
    enqueue_job("route_queue", queue_id)


def route_started(queue_id: int) -> None:
    """The queue's routing job runs: a new `route_soon` must enqueue again."""
    try:
        redis_connection().delete(_pending_key(queue_id))
    except Exception:
        log.warning("Could not clear queue %s's routing mark", queue_id)


# -- routing -------------------------------------------------------------------------------------------


def queue_rules(queue_id: int) -> QueueRouting | None:
    return db.session.get(QueueRouting, queue_id)


def offer_timeout_seconds(queue_id: int | None) -> int:
    rules = queue_rules(queue_id) if queue_id is not None else None
    if rules is not None and rules.offer_timeout_seconds:
        return int(rules.offer_timeout_seconds)
    return int(current_app.config["ROUTING_OFFER_TIMEOUT_SECONDS"])


def route_queue(queue_id: int, *, now: datetime | None = None) -> list[Offer]:
    """Offer the queue's waiting work to the best available agents, one commit for the run.

    Overdue work overflows first (`QueueRouting.overflow_after_seconds`, once per item). Returns the
    offers made.
    """
    now = now or utcnow()
    if db.session.get(Queue, queue_id) is None:
        return []
    _overflow(queue_id, now)
    offers: list[Offer] = []
    tried: list[int] = []
    # Kinds nobody can take now: further work of that kind waits without looking (agents only get
    # fewer within a run).
    nobody_for: set[str] = set()
    while len(offers) < OFFERS_PER_RUN:
        item = _next_item(queue_id, now, tried, nobody_for)
        if item is None:
            break
        tried.append(item.id)
        agent_id = _choose_agent(item, now, nobody_for)
        if agent_id is not None:
            offers.append(_make_offer(item, agent_id, now))
    db.session.commit()
    announce()
    if len(offers) == OFFERS_PER_RUN:
        route_soon(queue_id)
    return offers


def _next_item(queue_id: int, now: datetime, tried: list[int], nobody_for: set[str]) -> WorkItem | None:
    query = (
        select(WorkItem)
        .where(
            WorkItem.queue_id == queue_id,
            WorkItem.status == WorkStatus.WAITING,
            or_(WorkItem.not_before.is_(None), WorkItem.not_before <= now),
        )
        .order_by(WorkItem.priority.desc(), WorkItem.waiting_since, WorkItem.id)
        .limit(1)
        # Another router holding it is deciding about it: take the next.
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if tried:
        query = query.where(WorkItem.id.not_in(tried))
    if nobody_for:
        query = query.where(WorkItem.kind.not_in(sorted(nobody_for)))
    return db.session.scalars(query).first()


def _candidates(item: WorkItem):
    """Agents who could take `item` now, the longest idle first (a `select()` of agent ids)."""
    pending = exists().where(Offer.agent_id == AgentPresence.agent_id, Offer.outcome == OfferOutcome.PENDING)
    lacks_a_skill = exists().where(
        queue_skills.c.queue_id == item.queue_id,
        ~exists()
        .where(AgentSkill.agent_id == AgentPresence.agent_id, AgentSkill.skill_id == queue_skills.c.skill_id)
        .correlate(AgentPresence, queue_skills),
    )
    config = current_app.config
    if item.kind == WorkKind.TICKET:
        load = (
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.assignee_id == AgentPresence.agent_id, Ticket.status.in_(sorted(UNSOLVED)))
            .scalar_subquery()
        )
        capacity = func.coalesce(AgentPresence.ticket_capacity, int(config["ROUTING_TICKET_CAPACITY"]))
    else:
        held = WorkItem.__table__.alias("held")
        load = (
            select(func.count())
            .select_from(held)
            .where(
                held.c.agent_id == AgentPresence.agent_id,
                held.c.kind.in_([str(kind) for kind in CALL_KINDS]),
                or_(
                    held.c.status == WorkStatus.OFFERED,
                    and_(held.c.status == WorkStatus.ASSIGNED, held.c.finished_at.is_(None)),
                ),
            )
            .scalar_subquery()
        )
        capacity = func.coalesce(AgentPresence.call_capacity, int(config["ROUTING_CALL_CAPACITY"]))
    return (
        select(AgentPresence.agent_id)
        .join(Agent, Agent.id == AgentPresence.agent_id)
        .where(
            AgentPresence.state == PresenceState.AVAILABLE,
            Agent.active.is_(True),
            ~pending,
            ~lacks_a_skill,
            load < capacity,
        )
        .order_by(AgentPresence.idle_since.asc().nulls_first(), AgentPresence.agent_id)
    )


def _subject_ticket(item: WorkItem) -> Ticket | None:
    """The ticket whose access rule says who may take the work: the ticket itself, or for a call a
    ticket of its queue (a call is worked by whoever may work the queue's tickets)."""
    if item.kind == WorkKind.TICKET:
        return db.session.get(Ticket, item.subject_id)
    return Ticket(queue_id=item.queue_id)


def _choose_agent(item: WorkItem, now: datetime, nobody_for: set[str]) -> int | None:
    candidates = _candidates(item)
    agent_ids = list(db.session.scalars(candidates.limit(CANDIDATES)))
    if not agent_ids:
        nobody_for.add(item.kind)
        return None
    ticket = _subject_ticket(item)
    if ticket is None:
        return None
    declined = dict(
        db.session.execute(
            select(Offer.agent_id, func.max(Offer.decided_at))
            .where(
                Offer.work_item_id == item.id,
                Offer.outcome.in_([OfferOutcome.DECLINED, OfferOutcome.TIMED_OUT]),
            )
            .group_by(Offer.agent_id)
        ).all()
    )
    able = [agent_id for agent_id in agent_ids if tickets.may_work(db.session.get(Agent, agent_id), ticket)]
    first_choice = [agent_id for agent_id in able if agent_id not in declined]
    # Nobody else: those who turned it down may have it again, once a timeout has passed since.
    again_after = timedelta(seconds=offer_timeout_seconds(item.queue_id))
    second_choice = [
        agent_id
        for agent_id in able
        if agent_id in declined and (declined[agent_id] is None or declined[agent_id] <= now - again_after)
    ]
    for agent_id in first_choice + (second_choice if not first_choice else []):
        if _lock_agent(agent_id, candidates):
            return agent_id
    return None


def _lock_agent(agent_id: int, candidates) -> bool:
    """Lock the agent's presence row (another router holding it is offering them something: skip
    them), then check again, under the lock, that they may still take the work."""
    locked = db.session.scalars(
        select(AgentPresence)
        .where(AgentPresence.agent_id == agent_id, AgentPresence.state == PresenceState.AVAILABLE)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if locked is None:
        return False
    return db.session.scalar(candidates.where(AgentPresence.agent_id == agent_id)) is not None


def _make_offer(item: WorkItem, agent_id: int, now: datetime) -> Offer:
    expires_at = now + timedelta(seconds=offer_timeout_seconds(item.queue_id))
    offer = Offer(
        work_item_id=item.id,
        agent_id=agent_id,
        offered_at=now,
        expires_at=expires_at,
        outcome=OfferOutcome.PENDING,
    )
    db.session.add(offer)
    item.status = WorkStatus.OFFERED
    item.agent_id = agent_id
    item.offer_expires_at = expires_at
    db.session.flush()
    _news().extend([("offer", offer.id), ("work", item.queue_id), ("timeout", offer.id, expires_at)])
    return offer


def _overflow(queue_id: int, now: datetime) -> None:
    """Work waiting longer than the queue allows moves to its overflow queue, once."""
    rules = queue_rules(queue_id)
    if rules is None or rules.overflow_queue_id is None or not rules.overflow_after_seconds:
        return
    if rules.overflow_queue_id == queue_id:
        return
    overdue = db.session.scalars(
        select(WorkItem)
        .where(
            WorkItem.queue_id == queue_id,
            WorkItem.status == WorkStatus.WAITING,
            WorkItem.overflowed_from_id.is_(None),
            WorkItem.waiting_since <= now - timedelta(seconds=rules.overflow_after_seconds),
        )
        .with_for_update(skip_locked=True)
    ).all()
    for item in overdue:
        item.overflowed_from_id = queue_id
        item.queue_id = rules.overflow_queue_id
    if overdue:
        target = rules.overflow_queue_id
        _news().extend([("work", queue_id), ("work", target), ("route", target)])


def route_for_agent(agent_id: int) -> list[int]:
    """An agent became free (available, or done with work): have every queue with waiting work routed.
    Returns the queues."""
    queue_ids = _queues_with_waiting_work(utcnow())
    for queue_id in queue_ids:
        route_soon(queue_id)
    return queue_ids


def withdraw_offers_of(agent_id: int) -> list[Offer]:
    """An agent went on break or offline: their pending offer is withdrawn (rather than left to time
    out) and the work goes to the next agent. Returns the offers withdrawn."""
    presence = db.session.get(AgentPresence, agent_id, populate_existing=True)
    if presence is not None and presence.state not in AWAY:
        return []
    withdrawn = []
    held = db.session.scalars(
        select(Offer).where(Offer.agent_id == agent_id, Offer.outcome == OfferOutcome.PENDING)
    ).all()
    for offer in held:
        item = _locked_item(offer)
        offer = _locked_offer(offer.id)
        if offer.outcome == OfferOutcome.PENDING:
            _end(offer, OfferOutcome.WITHDRAWN)
            _wait_again(item)
            withdrawn.append(offer)
    db.session.commit()
    announce()
    return withdrawn


def _queues_with_waiting_work(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            select(WorkItem.queue_id)
            .where(
                WorkItem.status == WorkStatus.WAITING,
                WorkItem.queue_id.is_not(None),
                or_(WorkItem.not_before.is_(None), WorkItem.not_before <= now),
            )
            .distinct()
            .order_by(WorkItem.queue_id)
        )
    )


# -- answering offers ----------------------------------------------------------------------------------


def _own_offer(offer_id: int, actor: Agent) -> tuple[Offer, WorkItem]:
    """The actor's offer and its work, both locked (the work first, as every writer of both locks
    them); someone else's offer is a 404 like one that does not exist."""
    offer = get_or_404(Offer, offer_id, what=_l("Offer"))
    if offer.agent_id != actor.id:
        raise NotFound(_l("%(what)s %(id)s not found.", what=_l("Offer"), id=offer_id))
    item = _locked_item(offer)
    return _locked_offer(offer_id), item


def _locked_offer(offer_id: int) -> Offer | None:
    return db.session.scalars(
        select(Offer)
        .where(Offer.id == offer_id)
        .with_for_update(of=Offer)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _ended(offer: Offer) -> Conflict:
    return Conflict(
        _l("This offer has ended (%(outcome)s).", outcome=offer.outcome),
        {"offer_id": [_l("No longer pending.")]},
    )


def _locked_item(offer: Offer) -> WorkItem:
    return db.session.scalars(
        select(WorkItem)
        .where(WorkItem.id == offer.work_item_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


@unit_of_work
def accept_offer(offer_id: int, *, actor: Agent, now: datetime | None = None) -> Offer:
    """The offered agent takes the work, while the offer is pending and not expired.

    A ticket is claimed for them through the tickets room (`claim_ticket`): if someone claimed it by
    hand first, the accept is refused (409) and the offer withdrawn. A call or callback becomes theirs
    (`assigned_agent`; the calls package hears `offer_ended` with outcome `accepted`).
    """
    now = now or utcnow()
    offer, item = _own_offer(offer_id, actor)
    if offer.outcome != OfferOutcome.PENDING:
        raise _ended(offer)
    if offer.expires_at <= now:
        _time_out(offer, item, now)
        db.session.commit()
        announce()
        raise Conflict(_l("This offer expired; it goes to the next agent."), {"offer_id": [_l("Expired.")]})
    offer.outcome = OfferOutcome.ACCEPTED
    offer.decided_at = now
    item.status = WorkStatus.ASSIGNED
    item.agent_id = actor.id
    item.offer_expires_at = None
    if item.kind == WorkKind.TICKET:
        try:
            # Commits the claim with the offer's outcome, or refuses and leaves both as they were.
            tickets.claim_ticket(item.subject_id, actor=actor)
        except AppError as refusal:
            _withdraw_refused(offer, item, now)
            db.session.commit()
            announce()
            raise refusal
    else:
        db.session.commit()
    _news().extend(
        [("ended", offer.id, offer.agent_id, item.id, str(OfferOutcome.ACCEPTED)), ("work", item.queue_id)]
    )
    announce()
    return offer


def _withdraw_refused(offer: Offer, item: WorkItem, now: datetime) -> None:
    """The ticket could not be claimed for the agent (taken by hand, solved, moved out of their reach):
    the offer is withdrawn and the work follows the ticket."""
    ticket = db.session.get(Ticket, item.subject_id, populate_existing=True)
    _end(offer, OfferOutcome.WITHDRAWN, at=now)
    item.status = WorkStatus.WAITING
    item.agent_id = None
    if ticket is None:
        _take_out_of_line(item, None)
    else:
        _follow(item, ticket)


@unit_of_work
def decline_offer(offer_id: int, *, actor: Agent, now: datetime | None = None) -> Offer:
    """The offered agent turns the work down: it waits again and goes to the next agent at once."""
    now = now or utcnow()
    offer, item = _own_offer(offer_id, actor)
    if offer.outcome != OfferOutcome.PENDING:
        raise _ended(offer)
    _end(offer, OfferOutcome.DECLINED, at=now)
    _wait_again(item)
    db.session.commit()
    announce()
    return offer


def time_out_offer(offer_id: int, *, now: datetime | None = None) -> bool:
    """Time out the offer if it is still pending past its expiry; the work goes to the next agent.
    Returns whether it timed out now (a job booked at the expiry, and the sweep, both call this)."""
    now = now or utcnow()
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        return False
    item = _locked_item(offer)
    offer = _locked_offer(offer_id)
    if offer.outcome != OfferOutcome.PENDING or offer.expires_at > now:
        db.session.commit()  # nothing to write: only the locks to let go of
        return False
    _time_out(offer, item, now)
    db.session.commit()
    announce()
    return True


def _time_out(offer: Offer, item: WorkItem, now: datetime) -> None:
    _end(offer, OfferOutcome.TIMED_OUT, at=now)
    _wait_again(item)


def _wait_again(item: WorkItem) -> None:
    """Offered work waits again in its line, keeping its place."""
    if item.status == WorkStatus.OFFERED:
        item.status = WorkStatus.WAITING
        item.agent_id = None
        item.offer_expires_at = None
    _news().extend([("work", item.queue_id), ("route", item.queue_id)])


def list_offers(*, viewer: Agent, agent_id: int | None = None, outcome: str | None = None):
    """Offers, newest first (a `select()` for paging): an agent sees their own; a supervisor anyone's,
    or one agent's with `agent_id`."""
    query = select(Offer).order_by(Offer.offered_at.desc(), Offer.id.desc())
    if not has_permission(viewer, Permission.TICKETS_EVERY_QUEUE):
        if agent_id is not None and agent_id != viewer.id:
            raise NotFound(_l("%(what)s %(id)s not found.", what=_l("Agent"), id=agent_id))
        agent_id = viewer.id
    if agent_id is not None:
        query = query.where(Offer.agent_id == agent_id)
    if outcome is not None:
        query = query.where(Offer.outcome == outcome)
    return query


# -- the sweep -------------------------------------------------------------------------------------------


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic safety net for lost jobs: time out overdue offers, then have every queue with
    waiting work routed (routing overflows each queue first). Returns what it did."""
    now = now or utcnow()
    overdue = list(
        db.session.scalars(
            select(Offer.id)
            .where(Offer.outcome == OfferOutcome.PENDING, Offer.expires_at <= now)
            .order_by(Offer.expires_at)
        )
    )
    timed_out = sum(1 for offer_id in overdue if time_out_offer(offer_id, now=now))
    queue_ids = _queues_with_waiting_work(now)
    for queue_id in queue_ids:
        route_soon(queue_id)
    return {"timed_out": timed_out, "queues": len(queue_ids)}


# -- tickets -------------------------------------------------------------------------------------------


def follow_ticket(ticket_id: int, *, may_add: bool = False) -> WorkItem | None:
    """Bring the ticket's work in line with the ticket as it is now (a job after each change of the
    tickets room; idempotent, whatever order the changes' jobs run in):

    - unassigned, unsolved and in a queue: waiting there (added with `may_add`: a new ticket, one moved
      to another queue, reopened or taken away from its agent; otherwise only work already in line
      follows it);
    - assigned (claimed or assigned by hand): taken, its pending offer withdrawn (or accepted, when it
      was that agent's);
    - solved, closed, or out of every queue: cancelled.
    """
    ticket = db.session.get(Ticket, ticket_id)
    item = _item(WorkKind.TICKET, ticket_id, for_update=True)
    if ticket is None:
        if item is not None and item.status in (WorkStatus.WAITING, WorkStatus.OFFERED):
            _take_out_of_line(item, None)
    elif item is None:
        if may_add and _routable(ticket):
            item = _stage_ticket(ticket)
    elif may_add and _routable(ticket) and item.status in (WorkStatus.ASSIGNED, WorkStatus.CANCELLED):
        item = _stage_ticket(ticket)
    else:
        _follow(item, ticket)
    db.session.commit()
    announce()
    return item


def _routable(ticket: Ticket) -> bool:
    return ticket.assignee_id is None and ticket.status in UNSOLVED and ticket.queue_id is not None


def _stage_ticket(ticket: Ticket) -> WorkItem:
    return stage_work(
        WorkKind.TICKET,
        ticket.id,
        queue_id=ticket.queue_id,
        customer_id=ticket.customer_id,
        priority=TICKET_PRIORITIES.get(str(ticket.priority), 0),
        waiting_since=ticket.created_at,
    )


def _follow(item: WorkItem, ticket: Ticket) -> None:
    if item.status not in (WorkStatus.WAITING, WorkStatus.OFFERED):
        return
    if ticket.status not in UNSOLVED or ticket.queue_id is None:
        _take_out_of_line(item, None)
    elif ticket.assignee_id is not None:
        _take_out_of_line(item, ticket.assignee_id)
    elif ticket.queue_id != item.queue_id and item.overflowed_from_id != ticket.queue_id:
        _stage_ticket(ticket)
    else:
        item.priority = TICKET_PRIORITIES.get(str(ticket.priority), 0)
        if item.status == WorkStatus.WAITING:
            _news().append(("route", item.queue_id))


def claim_refusal(ticket: Ticket, actor: Agent) -> Any:
    """Why `actor` may not claim the ticket by hand (a lazy text), or None: a queue whose rules forbid
    claiming (`claim_allowed` false) takes work only through offers, except from supervisors and from
    the agent holding the ticket's offer."""
    if ticket.queue_id is None or has_permission(actor, Permission.TICKETS_EVERY_QUEUE):
        return None
    rules = queue_rules(ticket.queue_id)
    if rules is None or rules.claim_allowed:
        return None
    item = _item(WorkKind.TICKET, ticket.id)
    holds_the_offer = item is not None and item.agent_id == actor.id
    if holds_the_offer and item.status in (WorkStatus.OFFERED, WorkStatus.ASSIGNED):
        return None
    return _l("Work in this queue is offered by routing; accept an offer instead of claiming.")


# -- queue rules -----------------------------------------------------------------------------------------


def get_queue_routing(queue_id: int) -> QueueRouting:
    """The queue's routing rules (the desk's defaults for a queue that has none yet)."""
    queue = tickets.get_queue(queue_id)
    rules = queue_rules(queue.id)
    if rules is None:
        rules = QueueRouting(
            queue_id=queue.id,
            claim_allowed=True,
            offer_timeout_seconds=int(current_app.config["ROUTING_OFFER_TIMEOUT_SECONDS"]),
            overflow_queue_id=None,
            overflow_after_seconds=None,
        )
    return rules


@unit_of_work
def set_queue_routing(queue_id: int, values: Mapping[str, Any], *, actor: Agent | None) -> QueueRouting:
    """Change how routing serves a queue: whether agents may claim by hand, how long an offer waits,
    where overdue work overflows to and after how long."""
    queue = tickets.get_queue(queue_id)
    rules = queue_rules(queue.id)
    if rules is None:
        rules = get_queue_routing(queue.id)
        db.session.add(rules)
    before = {field: getattr(rules, field) for field in RULE_FIELDS}
    errors: dict[str, list[Any]] = {}
    if "claim_allowed" in values:
        rules.claim_allowed = bool(values["claim_allowed"])
    if "offer_timeout_seconds" in values:
        seconds = values["offer_timeout_seconds"]
        low, high = OFFER_TIMEOUT_RANGE
        if seconds is None or not low <= seconds <= high:
            errors["offer_timeout_seconds"] = [_l("Give %(low)s to %(high)s seconds.", low=low, high=high)]
        else:
            rules.offer_timeout_seconds = seconds
    if "overflow_queue_id" in values:
        target = values["overflow_queue_id"]
        if target is not None and (target == queue.id or db.session.get(Queue, target) is None):
            errors["overflow_queue_id"] = [_l("Name another existing queue, or none.")]
        else:
            rules.overflow_queue_id = target
    if "overflow_after_seconds" in values:
        seconds = values["overflow_after_seconds"]
        if seconds is not None and seconds < 1:
            errors["overflow_after_seconds"] = [_l("Give at least 1 second, or none.")]
        else:
            rules.overflow_after_seconds = seconds
    if errors:
        raise Invalid(_l("Invalid routing rules."), errors)
    changes = {
        field: [before[field], getattr(rules, field)]
        for field in RULE_FIELDS
        if before[field] != getattr(rules, field)
    }
    if changes:
        # In the settings trail as a change of the queue: routing's rules are part of its setup.
        accounts.record_setting_change(
            SettingKind.QUEUE, queue.id, queue.name, Action.UPDATED, changes, actor=actor
        )
    db.session.commit()
    route_soon(queue.id)
    return rules


def setting_names(values: Mapping[str, Any]) -> dict[str, dict[Any, str]]:
    """Names of the queues the settings trail records as overflow targets (read-only)."""
    queue_ids = [value for value in values.get("overflow_queue_id", ()) if isinstance(value, int)]
    if not queue_ids:
        return {}
    return {
        "overflow_queue_id": dict(
            db.session.execute(select(Queue.id, Queue.name).where(Queue.id.in_(queue_ids))).all()
        )
    }
