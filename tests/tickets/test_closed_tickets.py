"""Closed is final: once a ticket is closed (or merged away, which closes it), agents change nothing
about it. Every way in answers 409 and writes nothing: no field, comment, assignee, file, audit event
or mail. Leaving `closed` is refused by the transition rule (422, naming the allowed statuses: none).
A customer writing again starts a follow-up instead (tests/tickets/test_conversation.py)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.notifications.models import Notification
from app.tickets.models import Comment, TicketEvent
from tests.tickets.workflow import open_ticket, patch, ticket_in


def _footprint(ticket_id: int) -> tuple[int, int, int]:
    """What a change would leave behind: audit events, comments and queued mails of the ticket."""

    def count(model, column) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(column == ticket_id))

    return (
        count(TicketEvent, TicketEvent.ticket_id),
        count(Comment, Comment.ticket_id),
        count(Notification, Notification.ticket_id),
    )


@pytest.fixture
def closed(as_agent) -> dict:
    return ticket_in(as_agent, "closed")


def _refused(response, ticket: dict, as_agent, before) -> None:
    assert response.status_code == 409, response.json
    assert "closed" in response.json["message"]
    assert response.json["errors"] == {"status": ["Closed is final."]}
    assert as_agent.get(f"/api/v1/tickets/{ticket['id']}").json == ticket
    assert _footprint(ticket["id"]) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Renamed"},
        {"priority": "urgent"},
        {"tags": ["late"]},
        {"status": "closed", "priority": "low"},
    ],
    ids=["subject", "priority", "tags", "priority beside the same status"],
)
def test_fields_of_a_closed_ticket_do_not_change(as_agent, closed, changes):
    before = _footprint(closed["id"])

    _refused(patch(as_agent, closed, **changes), closed, as_agent, before)


def test_leaving_closed_is_an_illegal_transition(as_agent, closed):
    before = _footprint(closed["id"])

    response = patch(as_agent, closed, status="open")

    assert response.status_code == 422
    assert "none (closed is final)" in response.json["message"]
    assert as_agent.get(f"/api/v1/tickets/{closed['id']}").json == closed
    assert _footprint(closed["id"]) == before


def test_a_patch_changing_nothing_is_still_answered(as_agent, closed):
    before = _footprint(closed["id"])

    response = patch(as_agent, closed)

    assert response.status_code == 200
    assert response.json == closed
    assert _footprint(closed["id"]) == before


@pytest.mark.parametrize("public", [True, False], ids=["reply", "note"])
def test_no_reply_or_note_is_added_to_a_closed_ticket(as_agent, closed, public):
    before = _footprint(closed["id"])

    response = as_agent.post(
        f"/api/v1/tickets/{closed['id']}/comments", json={"body": "One more thing", "public": public}
    )

    _refused(response, closed, as_agent, before)


def test_a_closed_ticket_is_not_assigned(as_supervisor, agent):
    closed = ticket_in(as_supervisor, "closed")
    before = _footprint(closed["id"])

    response = as_supervisor.post(f"/api/v1/tickets/{closed['id']}/assign", json={"assignee_id": agent.id})

    _refused(response, closed, as_supervisor, before)


def test_no_macro_applies_to_a_closed_ticket(as_supervisor, as_agent, closed):
    macro = as_supervisor.post(
        "/api/v1/macros",
        json={"name": "Escalate", "actions": {"set": {"priority": "urgent"}, "reply": {"body": "On it"}}},
    ).json
    before = _footprint(closed["id"])

    response = as_agent.post(
        f"/api/v1/tickets/{closed['id']}/macro", json={"macro_id": macro["id"], "version": closed["version"]}
    )

    _refused(response, closed, as_agent, before)


def test_no_file_is_attached_to_a_closed_ticket(as_agent, closed):
    before = _footprint(closed["id"])

    response = as_agent.post(
        f"/api/v1/tickets/{closed['id']}/attachments",
        data={"files": [(io.BytesIO(b"hello"), "note.txt", "text/plain")]},
        content_type="multipart/form-data",
    )

    _refused(response, closed, as_agent, before)


def test_a_bulk_update_touching_a_closed_ticket_changes_none(as_supervisor):
    open_one, closed = open_ticket(as_supervisor), ticket_in(as_supervisor, "closed")
    before = _footprint(closed["id"])

    response = as_supervisor.post(
        "/api/v1/tickets/bulk",
        json={"ticket_ids": [open_one["id"], closed["id"]], "changes": {"priority": "high"}},
    )

    assert response.status_code == 422
    assert response.json["errors"]["tickets"] == {str(closed["id"]): {"status": ["Closed is final."]}}
    assert as_supervisor.get(f"/api/v1/tickets/{open_one['id']}").json["priority"] == "normal"
    assert as_supervisor.get(f"/api/v1/tickets/{closed['id']}").json == closed
    assert _footprint(closed["id"]) == before


def test_a_closed_ticket_is_not_merged_into_another(as_agent, closed):
    keep = open_ticket(as_agent)
    before = _footprint(closed["id"])
    keep_before = _footprint(keep["id"])

    response = as_agent.post(f"/api/v1/tickets/{closed['id']}/merge", json={"into": keep["id"]})

    _refused(response, closed, as_agent, before)
    assert as_agent.get(f"/api/v1/tickets/{keep['id']}").json == keep
    assert _footprint(keep["id"]) == keep_before


def test_a_merged_ticket_takes_no_reply_and_says_where_to_write(as_agent):
    keep, duplicate = open_ticket(as_agent), open_ticket(as_agent, subject="Printer still on fire")
    as_agent.post(f"/api/v1/tickets/{duplicate['id']}/merge", json={"into": keep["id"]})
    merged = as_agent.get(f"/api/v1/tickets/{duplicate['id']}").json
    before = _footprint(merged["id"])

    response = as_agent.post(f"/api/v1/tickets/{merged['id']}/comments", json={"body": "Hello?"})

    _refused(response, merged, as_agent, before)
    assert f"merged into ticket {keep['id']}" in response.json["message"]
