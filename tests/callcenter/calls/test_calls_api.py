"""Call records through the API: listed and read by agents, wrapped up by the call's agent (or a
supervisor) with a disposition and a ticket; calls on the customer's timeline."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.callcenter.calls import services as calls
from app.callcenter.calls.models import Call
from app.dbtypes import utcnow
from app.extensions import db
from app.tickets.models import Comment, Ticket
from tests.callcenter.calls.conftest import at, event, send
from tests.customer_factories import CustomerFactory
from tests.factories import AgentFactory
from tests.helpers import ApiClient
from tests.ticket_factories import QueueFactory, TicketFactory

CALLS = "/api/v1/callcenter/calls"


def ended_call(client, agent, *, call_id="c-1", caller="+14155550100", queue=None, ended=True):
    """A call `agent` answered (and ended ten seconds ago, unless `ended` is False); returns its id."""
    now = utcnow()
    offered = {"caller": caller, **({"queue": queue.id} if queue else {})}
    send(
        client,
        event("call.offered", f"{call_id}-1", call_id=call_id, at=now - timedelta(seconds=70), **offered),
    )
    response = send(
        client,
        event(
            "call.answered", f"{call_id}-2", call_id=call_id, at=now - timedelta(seconds=60), agent=agent.id
        ),
    )
    if ended:
        response = send(
            client, event("call.ended", f"{call_id}-3", call_id=call_id, at=now - timedelta(seconds=10))
        )
    return response.json["call_id"]


@pytest.fixture(autouse=True)
def _quiet(presence_moves, routed):
    """Presence and routing seams recorded rather than reached."""


def test_agents_list_calls_newest_first_and_filter_them(client, as_agent, agent):
    queue = QueueFactory()
    first = ended_call(client, agent, call_id="a", queue=queue)
    second = ended_call(client, AgentFactory(), call_id="b")

    everything = as_agent.get(CALLS)
    by_queue = as_agent.get(f"{CALLS}?queue_id={queue.id}")
    by_agent = as_agent.get(f"{CALLS}?agent_id={agent.id}&status=ended")

    assert everything.status_code == 200
    assert {call["id"] for call in everything.json} == {first, second}
    assert [call["id"] for call in by_queue.json] == [first]
    assert [call["id"] for call in by_agent.json] == [first]
    assert "X-Pagination" in everything.headers


def test_a_call_is_read_with_its_times_and_durations(client, as_agent, agent):
    call_id = ended_call(client, agent)

    body = as_agent.get(f"{CALLS}/{call_id}").json

    assert body["status"] == "ended"
    assert body["talk_seconds"] == 50
    assert body["agent_id"] == agent.id
    assert as_agent.get(f"{CALLS}/999999").status_code == 404


def test_wrap_up_opens_a_ticket_for_the_caller_and_makes_the_agent_available(
    client, as_agent, agent, presence_moves
):
    customer = CustomerFactory(phones=["+14155550100"])
    queue = QueueFactory()
    call_id = ended_call(client, agent, queue=queue)

    response = as_agent.post(
        f"{CALLS}/{call_id}/wrap-up",
        json={
            "disposition": "follow_up",
            "notes": "Wants a refund.",
            "ticket": {"subject": "Refund asked on the phone"},
        },
    )

    assert response.status_code == 200, response.json
    body = response.json
    assert (body["disposition"], body["notes"]) == ("follow_up", "Wants a refund.")
    assert body["wrap_up_seconds"] >= 10
    ticket = db.session.get(Ticket, body["ticket_id"])
    assert (ticket.subject, ticket.customer_id, ticket.queue_id, ticket.channel) == (
        "Refund asked on the phone",
        customer.id,
        queue.id,
        "phone",
    )
    assert ticket.assignee_id == agent.id
    assert presence_moves[-1] == (agent.id, "available")


def test_wrap_up_adds_a_note_about_the_call_to_an_existing_ticket(client, as_agent, agent):
    ticket = TicketFactory()
    call_id = ended_call(client, agent)

    response = as_agent.post(
        f"{CALLS}/{call_id}/wrap-up",
        json={"disposition": "resolved", "notes": "Sorted.", "ticket_id": ticket.id},
    )

    assert response.status_code == 200, response.json
    assert response.json["ticket_id"] == ticket.id
    note = db.session.scalars(select(Comment).where(Comment.ticket_id == ticket.id)).one()
    assert note.public is False
    assert "resolved" in note.body and "Sorted." in note.body


def test_only_the_calls_agent_or_a_supervisor_wraps_it_up(client, app, agent, as_supervisor):
    call_id = ended_call(client, agent)
    other = ApiClient.for_agent(app, AgentFactory())

    refused = other.post(f"{CALLS}/{call_id}/wrap-up", json={"disposition": "resolved"})
    allowed = as_supervisor.post(f"{CALLS}/{call_id}/wrap-up", json={"disposition": "resolved"})

    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_a_call_is_wrapped_up_once_and_only_when_it_has_ended(client, as_agent, agent):
    talking = ended_call(client, agent, call_id="talking", ended=False)
    over = ended_call(client, agent, call_id="over")

    assert as_agent.post(f"{CALLS}/{talking}/wrap-up", json={"disposition": "resolved"}).status_code == 409
    assert as_agent.post(f"{CALLS}/{over}/wrap-up", json={"disposition": "resolved"}).status_code == 200
    assert as_agent.post(f"{CALLS}/{over}/wrap-up", json={"disposition": "resolved"}).status_code == 409


def test_a_wrap_up_is_refused_with_field_messages(client, as_agent, agent):
    call_id = ended_call(client, agent)

    unknown = as_agent.post(f"{CALLS}/{call_id}/wrap-up", json={"disposition": "gave up"})
    both = as_agent.post(
        f"{CALLS}/{call_id}/wrap-up",
        json={"disposition": "resolved", "ticket": {"subject": "x"}, "ticket_id": 1},
    )
    missing_ticket = as_agent.post(
        f"{CALLS}/{call_id}/wrap-up", json={"disposition": "resolved", "ticket_id": 999999}
    )

    assert unknown.status_code == 422 and "disposition" in unknown.json["errors"]
    assert both.status_code == 422 and "ticket_id" in both.json["errors"]
    assert missing_ticket.status_code == 404
    assert db.session.get(Call, call_id).wrap_up_ended_at is None


def test_calls_appear_on_the_customers_timeline(client, as_agent, agent):
    customer = CustomerFactory(phones=["+14155550100"])
    send(client, event("call.offered", "x-1", call_id="x", at=at(0), caller="+14155550100"))
    send(client, event("call.abandoned", "x-2", call_id="x", at=at(30)))
    ended_call(client, agent, call_id="y")

    entries = as_agent.get(f"/api/v1/customers/{customer.id}/timeline").json["items"]

    calls_seen = [entry for entry in entries if entry["source"] == "callcenter"]
    assert [entry["kind"] for entry in calls_seen] == ["call_answered", "call_abandoned"]
    assert calls_seen[1]["title"] == "Call from +14155550100 abandoned before an answer"
    assert calls_seen[1]["ref"]["type"] == "call"


def test_a_merged_customers_calls_follow_the_survivor(client, as_supervisor):
    source = CustomerFactory(phones=["+14155550100"])
    target = CustomerFactory()
    send(client, event("call.offered", "x-1", call_id="x", at=at(0), caller="+14155550100"))

    assert (
        as_supervisor.post(f"/api/v1/customers/{source.id}/merge", json={"into": target.id}).status_code
        == 200
    )

    db.session.expire_all()
    assert db.session.scalars(select(Call)).one().customer_id == target.id


def test_agents_may_not_wrap_up_as_someone_else_through_the_service(client, agent):
    call_id = ended_call(client, agent)

    with pytest.raises(calls.Forbidden):
        calls.wrap_up(call_id, disposition="resolved", actor=AgentFactory())


def test_a_customers_export_holds_their_calls_and_their_erasure_blanks_the_numbers(client, agent):
    from app.customers.privacy import services as privacy

    customer = CustomerFactory(phones=["+14155550100"])
    ended_call(client, agent)
    supervisor = AgentFactory(role="supervisor")

    document = privacy.export_customer(customer.id, actor=supervisor)
    privacy.erase_customer(customer.id, actor=supervisor)

    assert [call["caller"] for call in json.loads(json.dumps(document, default=str))["calls"]] == [
        "+14155550100"
    ]
    db.session.expire_all()
    call = db.session.scalars(select(Call)).one()
    assert (call.caller, call.status, call.talk_seconds) == ("", "ended", 50)
