"""Live news of tickets: every change reaches the ticket's room, its queue's room and its assignee's
room, and no room whose members may not see the ticket hears what it says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.callcenter import live
from app.dbtypes import utcnow
from app.tickets import services as tickets
from app.tickets import signals
from app.tickets.sla.models import SlaTarget
from tests.callcenter.console.helpers import team_queue
from tests.factories import AgentFactory
from tests.ticket_factories import QueueFactory, TicketFactory


@pytest.fixture
def published(monkeypatch):
    """Every `live.publish` call, as (event, payload, rooms)."""
    calls = []
    original = live.publish

    def record(event, payload, *, rooms, **kwargs):
        if kwargs.get("namespace", live.AGENTS_NAMESPACE) == live.AGENTS_NAMESPACE:
            calls.append((event, payload, list(rooms)))
        original(event, payload, rooms=rooms, **kwargs)

    monkeypatch.setattr(live, "publish", record)
    return calls


def test_a_claimed_ticket_is_news_to_its_room_queue_and_new_assignee(app, agent, published):
    queue = team_queue(agent)
    ticket = TicketFactory(queue_id=queue.id, subject="Refund please")

    tickets.claim_ticket(ticket.id, actor=agent)

    event, payload, rooms = published[0]
    assert event == "ticket.changed"
    assert rooms == [f"ticket:{ticket.id}", f"queue:{queue.id}", f"agent:{agent.id}"]
    assert payload == {
        "ticket_id": ticket.id,
        "version": ticket.version,
        "reference": ticket.reference,
        "subject": "Refund please",
        "status": payload["status"],
        "priority": "normal",
        "queue_id": queue.id,
        "assignee_id": agent.id,
        "actor_id": agent.id,
        "actor": agent.name,
        "changes": ["assignee_id"],
    }


def test_a_new_ticket_in_no_queue_goes_to_everyones_room(app, published):
    ticket = TicketFactory()

    signals.ticket_opened.send(ticket, actor=None)

    assert published == [("ticket.created", published[0][1], [f"ticket:{ticket.id}", "queue:0"])]
    assert published[0][1]["actor_id"] is None


@pytest.mark.parametrize(
    "signal, arguments",
    [
        (signals.ticket_updated, {"changes": {"priority": ("normal", "high")}}),
        (signals.ticket_commented, {"comment": None}),
        (signals.ticket_solved, {}),
        (signals.ticket_reopened, {}),
    ],
)
def test_every_change_is_ticket_changed_news(app, agent, published, signal, arguments):
    ticket = TicketFactory(queue_id=QueueFactory().id, assignee_id=agent.id)

    signal.send(ticket, actor=agent, **arguments)

    assert [(event, rooms) for event, _, rooms in published] == [
        ("ticket.changed", [f"ticket:{ticket.id}", f"queue:{ticket.queue_id}", f"agent:{agent.id}"])
    ]


def test_a_ticket_moved_to_a_hidden_queue_tells_the_old_queue_only_that_it_left(app, agent, published):
    old, hidden = team_queue(agent), team_queue(AgentFactory())
    ticket = TicketFactory(queue_id=hidden.id, assignee_id=agent.id, subject="Secret plans")

    signals.ticket_updated.send(ticket, actor=None, changes={"queue_id": (old.id, hidden.id)})

    (_, full, rooms), (_, stripped, left) = published
    assert rooms == [f"ticket:{ticket.id}", f"queue:{hidden.id}"]
    assert full["subject"] == "Secret plans"
    assert left == [f"queue:{old.id}"]
    assert "subject" not in stripped and "reference" not in stripped and stripped["changes"] == ["queue_id"]


def test_a_reassigned_ticket_tells_the_previous_assignee(app, agent, published):
    other = AgentFactory()
    ticket = TicketFactory(assignee_id=other.id)

    signals.ticket_assigned.send(ticket, actor=agent, previous_assignee_id=agent.id)

    rooms = [rooms for _, _, rooms in published]
    assert rooms == [[f"ticket:{ticket.id}", "queue:0", f"agent:{other.id}"], [f"agent:{agent.id}"]]


@pytest.mark.parametrize(
    "signal, event", [(signals.sla_warning, "sla.warning"), (signals.sla_breached, "sla.breached")]
)
def test_sla_alerts_go_to_the_assignee_and_the_queue(app, agent, published, signal, event):
    ticket = TicketFactory(queue_id=QueueFactory().id, assignee_id=agent.id)
    due = utcnow() + timedelta(minutes=10)
    target = SlaTarget(
        ticket_id=ticket.id, kind="first_response", target_seconds=600, started_at=utcnow(), due_at=due
    )

    signal.send(ticket, target=target)

    assert published == [
        (
            event,
            {
                "ticket_id": ticket.id,
                "reference": ticket.reference,
                "subject": ticket.subject,
                "target": "first_response",
                "due_at": due.isoformat(),
            },
            [f"queue:{ticket.queue_id}", f"agent:{agent.id}"],
        )
    ]


def test_an_assignee_who_may_no_longer_see_the_ticket_is_not_told_what_it_says(app, agent, published):
    ticket = TicketFactory(queue_id=team_queue(AgentFactory()).id, assignee_id=agent.id)

    signals.ticket_updated.send(ticket, actor=None, changes={"priority": ("normal", "high")})
    signals.sla_breached.send(ticket, target=SlaTarget(kind="resolution", due_at=utcnow()))

    assert all(f"agent:{agent.id}" not in rooms for _, _, rooms in published)
