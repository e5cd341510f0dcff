"""Tickets on the customer's 360° timeline, following merged customers, and the signals they send."""

from __future__ import annotations

from app.tickets import signals
from tests.helpers import captured
from tests.tickets.workflow import move, open_ticket


def test_the_customer_timeline_shows_tickets_and_their_events(as_agent):
    ticket = open_ticket(as_agent)
    move(as_agent, ticket, "solved")

    items = as_agent.get(f"/api/v1/customers/{ticket['customer']['id']}/timeline").json["items"]

    timeline = [entry for entry in items if entry["source"] == "tickets"]
    assert [entry["kind"] for entry in timeline] == ["ticket_status", "ticket_created"]
    assert timeline[0]["ref"] == {"type": "ticket", "id": ticket["id"]}
    assert ticket["reference"] in timeline[1]["title"]


def test_tickets_follow_their_customer_into_a_merge(as_agent, as_supervisor):
    ticket = open_ticket(as_agent)
    other = open_ticket(as_agent, customer={"name": "Olivia B.", "email": "olivia.b@example.com"})

    response = as_supervisor.post(
        f"/api/v1/customers/{other['customer']['id']}/merge", json={"into": ticket["customer"]["id"]}
    )

    assert response.status_code == 200
    moved = as_agent.get(f"/api/v1/tickets/{other['id']}").json
    assert moved["customer"]["id"] == ticket["customer"]["id"]
    events = as_agent.get(f"/api/v1/tickets/{other['id']}/events").json
    assert events[-1]["field"] == "customer_id"


def test_tickets_follow_their_customer_into_a_merge_made_while_redis_is_down(
    as_agent, as_supervisor, redis_down
):
    """The tickets move in the merge's own transaction: nothing waits for a job that Redis would lose."""
    ticket = open_ticket(as_agent)
    other = open_ticket(as_agent, customer={"name": "Olivia B.", "email": "olivia.b@example.com"})

    response = as_supervisor.post(
        f"/api/v1/customers/{other['customer']['id']}/merge", json={"into": ticket["customer"]["id"]}
    )

    assert response.status_code == 200, response.json
    assert as_agent.get(f"/api/v1/tickets/{other['id']}").json["customer"]["id"] == ticket["customer"]["id"]


def test_opening_assigning_replying_solving_and_reopening_send_their_signals(as_agent, agent):
    with (
        captured(signals.ticket_opened) as opened,
        captured(signals.ticket_assigned) as assigned,
        captured(signals.ticket_commented) as commented,
        captured(signals.ticket_solved) as solved,
        captured(signals.ticket_reopened) as reopened,
        captured(signals.ticket_updated) as updated,
    ):
        ticket = open_ticket(as_agent)
        as_agent.post(f"/api/v1/tickets/{ticket['id']}/claim")
        as_agent.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "Fixed", "status": "solved"})
        current = as_agent.get(f"/api/v1/tickets/{ticket['id']}").json
        move(as_agent, current, "open")

    assert [s.id for s, _ in opened] == [ticket["id"]]
    assert assigned[0][1]["previous_assignee_id"] is None
    assert commented[0][1]["comment"].public is True
    assert len(solved) == 1 and len(reopened) == 1
    assert {"status"} <= set(updated[-1][1]["changes"])


def test_a_failed_change_sends_no_signal(as_agent):
    ticket = move(as_agent, open_ticket(as_agent), "solved", "closed")

    with captured(signals.ticket_updated) as updated:
        as_agent.patch(
            f"/api/v1/tickets/{ticket['id']}", json={"version": ticket["version"], "status": "open"}
        )

    assert updated == []


def test_the_ticket_shows_its_sla_targets(as_agent):
    ticket = open_ticket(as_agent, priority="urgent")

    kinds = {target["kind"]: target for target in ticket["sla"]}

    assert set(kinds) == {"first_response", "resolution"}
    assert kinds["first_response"]["due_at"] > ticket["created_at"]
