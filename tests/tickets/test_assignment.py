"""Claiming and assigning: exactly one owner, decided by the database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.accounts import services as accounts
from tests.factories import AgentFactory
from tests.tickets.workflow import open_ticket, ticket_in


def test_claim_gives_the_ticket_to_the_caller_and_opens_it(as_agent, agent):
    ticket = open_ticket(as_agent)

    response = as_agent.post(f"/api/v1/tickets/{ticket['id']}/claim")

    assert response.status_code == 200
    assert response.json["assignee"]["id"] == agent.id
    assert response.json["status"] == "open"
    assert response.json["version"] == 2


def test_second_claim_gets_409(as_agent, as_supervisor):
    ticket = open_ticket(as_agent)
    as_supervisor.post(f"/api/v1/tickets/{ticket['id']}/claim")

    response = as_agent.post(f"/api/v1/tickets/{ticket['id']}/claim")

    assert response.status_code == 409


def test_solved_tickets_cannot_be_claimed(as_agent):
    ticket = ticket_in(as_agent, "solved")

    assert as_agent.post(f"/api/v1/tickets/{ticket['id']}/claim").status_code == 409


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_fifty_agents_claiming_at_once_exactly_one_wins(app, as_supervisor):
    ticket = open_ticket(as_supervisor)
    agents = AgentFactory.create_batch(50)
    tokens = [accounts.create_api_token(a.id)[1] for a in agents]
    start = threading.Barrier(len(tokens))

    def claim(token):
        client = app.test_client()
        start.wait()
        return client.post(
            f"/api/v1/tickets/{ticket['id']}/claim", headers={"Authorization": f"Bearer {token}"}
        ).status_code

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        codes = list(pool.map(claim, tokens))

    assert sorted(codes) == [200] + [409] * 49
    events = as_supervisor.get(f"/api/v1/tickets/{ticket['id']}/events").json
    assert sum(e["kind"] == "assigned" for e in events) == 1


def test_supervisor_assigns_and_unassigns(as_supervisor, agent):
    ticket = open_ticket(as_supervisor)

    assigned = as_supervisor.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"assignee_id": agent.id})
    assert assigned.status_code == 200
    assert assigned.json["assignee"]["id"] == agent.id

    back = as_supervisor.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"assignee_id": None})
    assert back.json["assignee"] is None


def test_agents_cannot_assign(as_agent, agent):
    ticket = open_ticket(as_agent)

    assert (
        as_agent.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"assignee_id": agent.id}).status_code
        == 403
    )


def test_cannot_assign_to_a_disabled_agent(as_supervisor):
    ticket = open_ticket(as_supervisor)
    gone = AgentFactory(active=False)

    response = as_supervisor.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"assignee_id": gone.id})

    assert response.status_code == 422
