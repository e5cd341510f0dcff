"""Opening and changing tickets through the API: the service desk's core contract."""

from __future__ import annotations

import json

import pytest

from app.customers.models import Customer
from app.extensions import db
from app.tickets import services
from app.tickets.history import services as history
from app.tickets.models import Ticket, TicketEvent
from app.tickets.models.vocabulary import TRANSITIONS, Status
from tests.helpers import statements_seen
from tests.tickets.workflow import CUSTOMER, PATH_TO, move, open_ticket, patch, ticket_in


def test_opening_a_ticket_creates_its_customer_and_a_readable_reference(as_agent):
    ticket = open_ticket(as_agent)

    assert ticket["reference"] == f"SB-{ticket['id']:06d}"
    assert ticket["status"] == "new"
    assert ticket["version"] == 1
    assert ticket["customer"]["name"] == "Olivia Bennett"
    customer = db.session.get(Customer, ticket["customer"]["id"])
    assert [cp.value for cp in customer.contact_points] == ["olivia@example.com", "+14155550132"]


def test_a_reference_an_imported_ticket_already_holds_gets_a_suffix(as_agent):
    """Another helpdesk's numbering may use our `SB-` names: a new ticket never takes a name twice."""
    first = open_ticket(as_agent)
    # Imported next, it takes the id after `first` and the name the ticket after it would get.
    held = f"SB-{first['id'] + 2:06d}"
    line = {"reference": held, "subject": "Old", "customer": {"email": "old@example.com"}}
    report = history.import_ticket_history(
        [json.dumps({**line, "created_at": "2024-03-01T09:00:00Z"})], actor=None
    )
    assert report.created == 1, report.errors

    ticket = open_ticket(as_agent)

    assert ticket["id"] == first["id"] + 2
    assert ticket["reference"].startswith(f"{held}-")
    assert ticket["version"] == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_on_postgresql_a_new_ticket_is_written_once_already_named(as_agent, backend):
    """Its id comes from the sequence first, so no early write and no UPDATE to name it; and its rows
    go to the database in one pipeline of INSERTs, past the unit of work (see `app.bulk`)."""
    with statements_seen(db.engine) as seen:
        ticket = open_ticket(as_agent)
    statements = [statement.split(" ", 3)[:3] for statement in seen]

    assert ticket["reference"] == f"SB-{ticket['id']:06d}"
    assert any("nextval" in statement for statement in seen)
    assert ["INSERT", "INTO", "tickets"] not in statements
    assert ["UPDATE", "tickets", "SET"] not in statements
    assert db.session.get(Ticket, ticket["id"]).reference == ticket["reference"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_on_postgresql_a_follow_up_is_named_before_it_is_written(as_agent, backend):
    """A customer writing on a closed ticket opens a follow-up the same way: named from the sequence
    first, never written early and then renamed by an UPDATE."""
    closed = ticket_in(as_agent, "closed")

    with statements_seen(db.engine) as seen:
        comment = services.add_customer_message(closed["id"], body="It broke again")

    follow_up = db.session.get(Ticket, comment.ticket_id)
    assert follow_up.follow_up_of_id == closed["id"]
    assert follow_up.reference == f"SB-{follow_up.id:06d}"
    assert sum(s.startswith("INSERT INTO tickets ") for s in seen) == 1
    assert not [s for s in seen if s.startswith("UPDATE tickets SET reference")]


def test_a_second_ticket_from_the_same_email_finds_the_same_customer(as_agent):
    first = open_ticket(as_agent)
    second = open_ticket(as_agent, customer={"email": "OLIVIA@example.com"})

    assert second["customer"]["id"] == first["customer"]["id"]


def test_ticket_for_an_existing_customer_by_id(as_agent):
    customer_id = open_ticket(as_agent)["customer"]["id"]

    ticket = open_ticket(as_agent, customer_id=customer_id)

    assert ticket["customer"]["id"] == customer_id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "rant"}, "type"),
        ({"priority": "whenever"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 251}, "subject"),
        ({"customer": {"email": "not-an-email"}}, "customer"),
        ({"customer": {"name": "Nobody"}}, "customer"),
        ({"queue_id": 999}, "queue_id"),
        ({"assignee_id": 999}, "assignee_id"),
        ({"bogus": 1}, "bogus"),
        ({"type": "complaint"}, "complaint"),
    ],
)
def test_bad_input_gets_422_with_the_field_and_writes_nothing(as_agent, change, field):
    payload = {"subject": "Help", "customer": CUSTOMER, **change}

    response = as_agent.post("/api/v1/tickets", json=payload)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert db.session.query(TicketEvent).count() == 0
    assert db.session.query(Customer).count() == 0


def test_malformed_json_gets_400(as_agent):
    response = as_agent.post("/api/v1/tickets", data="{", content_type="application/json")

    assert response.status_code == 400


def test_patch_without_a_version_gets_428(as_agent):
    ticket = open_ticket(as_agent)

    response = as_agent.patch(f"/api/v1/tickets/{ticket['id']}", json={"priority": "high"})

    assert response.status_code == 428
    assert "version" in response.json["errors"]


def test_if_match_header_carries_the_version(as_agent):
    ticket = open_ticket(as_agent)

    response = as_agent.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"priority": "high"}, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 200
    assert response.json["priority"] == "high"
    assert response.json["version"] == 2


def test_stale_version_gets_409_with_the_current_state_and_loses_nothing(as_agent, as_supervisor):
    ticket = open_ticket(as_agent)
    assert patch(as_supervisor, ticket, priority="urgent").status_code == 200

    response = patch(as_agent, ticket, priority="low", subject="Mine")

    assert response.status_code == 409
    assert response.json["current"]["priority"] == "urgent"
    assert response.json["current"]["version"] == 2
    current = as_agent.get(f"/api/v1/tickets/{ticket['id']}").json
    assert (current["priority"], current["subject"]) == ("urgent", "Printer on fire")


LEGAL = sorted((old.value, new.value) for old, targets in TRANSITIONS.items() for new in targets)
ILLEGAL = sorted(
    (old.value, new.value) for old in Status for new in Status if new != old and new not in TRANSITIONS[old]
)


@pytest.mark.parametrize(("old", "new"), LEGAL)
def test_legal_transition(as_agent, old, new):
    ticket = ticket_in(as_agent, old)

    response = patch(as_agent, ticket, status=new)

    assert response.status_code == 200, response.json
    assert response.json["status"] == new


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_illegal_transition_gets_422_naming_the_allowed_ones(as_agent, old, new):
    ticket = ticket_in(as_agent, old)

    response = patch(as_agent, ticket, status=new)

    assert response.status_code == 422
    allowed = sorted(s.value for s in TRANSITIONS[Status(old)])
    message = response.json["errors"]["status"][0]
    assert all(name in message for name in allowed)
    assert as_agent.get(f"/api/v1/tickets/{ticket['id']}").json["status"] == old


def test_solving_and_reopening_keep_the_kpi_timestamps(as_agent):
    ticket = ticket_in(as_agent, "solved")
    assert ticket["solved_at"] is not None

    reopened = move(as_agent, ticket, "open")

    assert reopened["reopen_count"] == 1
    closed = move(as_agent, reopened, "solved", "closed")
    assert closed["closed_at"] is not None


def test_every_change_is_in_the_audit_trail(as_agent):
    ticket = open_ticket(as_agent)
    ticket = patch(as_agent, ticket, priority="high", tags=["Billing", "vip"]).json
    move(as_agent, ticket, "pending")

    events = as_agent.get(f"/api/v1/tickets/{ticket['id']}/events").json

    seen = [(e["kind"], e["field"], e["old_value"], e["new_value"]) for e in events]
    assert seen[0][0] == "created"
    assert ("updated", "priority", "normal", "high") in seen
    assert ("updated", "tags", [], ["billing", "vip"]) in seen
    assert ("status", "status", "new", "pending") in seen
    assert all(e["actor"] and e["at"] for e in events)


def test_the_audit_trail_cannot_be_rewritten(as_agent, app):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    open_ticket(as_agent)

    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("UPDATE ticket_events SET kind = 'forged'"))
    db.session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("DELETE FROM ticket_events"))
    db.session.rollback()


def test_missing_ticket_is_404(as_agent):
    assert as_agent.get("/api/v1/tickets/4242").status_code == 404
    assert as_agent.get("/api/v1/tickets/99999999999").status_code == 404


def test_tickets_need_a_signed_in_agent(client):
    assert client.get("/api/v1/tickets/1").status_code == 401


def test_type_cannot_turn_a_complaint_into_something_else(as_agent):
    ticket = open_ticket(as_agent, type="complaint", complaint={"category": "delivery"})

    response = patch(as_agent, ticket, type="question")

    assert response.status_code == 422


@pytest.mark.parametrize("state", list(PATH_TO))
def test_every_state_is_reachable_for_the_tests(as_agent, state):
    assert ticket_in(as_agent, state)["status"] == state
