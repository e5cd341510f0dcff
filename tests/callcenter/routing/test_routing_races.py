"""Routers racing in parallel, each with its own connection to PostgreSQL: a piece of work goes to one
agent, and an agent never gets more than their capacity, however many routers decide at once; an
accept racing claims by hand has exactly one winner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.callcenter.routing import services as routing
from app.callcenter.routing.models import OfferOutcome, WorkKind, WorkStatus
from app.errors import AppError
from app.extensions import db
from app.tickets import services as tickets
from tests.callcenter.routing.helpers import offers, open_ticket, pending, queue_for, ready_agent, work
from tests.factories import AgentFactory

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

ROUTERS = 12


def _in_line(queue, call_ids):
    """Calls waiting in the queue, nobody routing them yet."""
    for call_id in call_ids:
        routing.stage_work(WorkKind.CALL, call_id, queue_id=queue.id)
    db.session.commit()
    db.session.info.pop("routing.news", None)


def _route_at_once(app, queue_id: int, routers: int = ROUTERS) -> None:
    start = threading.Barrier(routers)

    def route(_):
        with app.app_context():
            start.wait()
            routing.route_queue(queue_id)

    with ThreadPoolExecutor(max_workers=routers) as pool:
        list(pool.map(route, range(routers)))


def test_many_routers_one_item_several_agents_exactly_one_offer(app):
    agents = [ready_agent(idle_minutes=minutes) for minutes in range(5)]
    queue = queue_for(*agents)
    _in_line(queue, [1])

    _route_at_once(app, queue.id)

    assert len(pending()) == 1
    assert len(offers()) == 1
    assert work(WorkKind.CALL, 1).status == WorkStatus.OFFERED


def test_many_routers_many_items_one_agent_of_capacity_one_exactly_one_offer(app):
    agent = ready_agent(call_capacity=1)
    queue = queue_for(agent)
    _in_line(queue, range(1, 11))

    _route_at_once(app, queue.id)

    assert [offer.agent_id for offer in offers()] == [agent.id]


def test_many_routers_many_items_and_agents_one_offer_per_agent_and_per_item(app):
    agents = [ready_agent(idle_minutes=minutes) for minutes in range(4)]
    queue = queue_for(*agents)
    _in_line(queue, range(1, 9))

    _route_at_once(app, queue.id)

    made = pending()
    assert len(made) == 4
    assert len({agent_id for agent_id, _, _ in made}) == 4
    assert len({subject_id for _, _, subject_id in made}) == 4


def test_an_accept_racing_claims_by_hand_has_exactly_one_winner(app):
    offered = ready_agent()
    claimers = AgentFactory.create_batch(5)
    queue = queue_for(offered, *claimers)
    ticket = open_ticket(queue)
    offer_id = offers()[0].id
    start = threading.Barrier(1 + len(claimers))

    def accept():
        with app.app_context():
            start.wait()
            try:
                routing.accept_offer(offer_id, actor=db.session.get(type(offered), offered.id))
                return offered.id
            except AppError:
                return None

    def claim(agent_id):
        with app.app_context():
            start.wait()
            try:
                tickets.claim_ticket(ticket.id, actor=db.session.get(type(offered), agent_id))
                return agent_id
            except AppError:
                return None

    with ThreadPoolExecutor(max_workers=1 + len(claimers)) as pool:
        answers = [pool.submit(accept)] + [pool.submit(claim, claimer.id) for claimer in claimers]
        winners = [answer.result() for answer in answers if answer.result() is not None]

    assert len(winners) == 1
    db.session.expire_all()
    assert tickets.get_ticket(ticket.id).assignee_id == winners[0]
    expected = OfferOutcome.ACCEPTED if winners[0] == offered.id else OfferOutcome.WITHDRAWN
    assert offers()[0].outcome == expected
