"""Rules found missing in review: who may assign, where customer messages land, what merges carry."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from app.dbtypes import utcnow
from app.extensions import db
from app.tickets import services, signals
from app.tickets.models import TicketEvent
from tests.helpers import captured
from tests.tickets.workflow import move, open_ticket, patch, ticket_in


def test_agents_cannot_hand_a_new_ticket_to_someone_else(as_agent, agent, supervisor, as_supervisor):
    refused = as_agent.post(
        "/api/v1/tickets",
        json={"subject": "x", "customer": {"email": "a@example.com"}, "assignee_id": supervisor.id},
    )
    assert refused.status_code == 403

    assert open_ticket(as_agent, assignee_id=agent.id)["assignee"]["id"] == agent.id
    assert open_ticket(as_supervisor, assignee_id=agent.id)["assignee"]["id"] == agent.id


def test_later_messages_on_a_closed_ticket_join_its_open_follow_up(as_agent, app):
    closed = ticket_in(as_agent, "closed")

    with captured(signals.ticket_opened) as opened:
        first = services.add_customer_message(closed["id"], body="It broke again")
    second = services.add_customer_message(closed["id"], body="Still broken")

    assert second.ticket_id == first.ticket_id != closed["id"]
    assert [ticket.id for ticket, _ in opened] == [first.ticket_id]


def test_a_message_on_a_merged_ticket_goes_to_the_ticket_it_was_merged_into(as_agent, app):
    keep, duplicate = open_ticket(as_agent), open_ticket(as_agent)
    as_agent.post(f"/api/v1/tickets/{duplicate['id']}/merge", json={"into": keep["id"]})

    comment = services.add_customer_message(duplicate["id"], body="Any news?")

    assert comment.ticket_id == keep["id"]


def test_merging_moves_attachments_with_the_conversation(as_agent, app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path)
    keep, duplicate = open_ticket(as_agent), open_ticket(as_agent)
    upload = as_agent.post(
        f"/api/v1/tickets/{duplicate['id']}/attachments",
        data={"files": (io.BytesIO(b"serial number 42\n"), "note.txt")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json

    as_agent.post(f"/api/v1/tickets/{duplicate['id']}/merge", json={"into": keep["id"]})

    assert [a["filename"] for a in as_agent.get(f"/api/v1/tickets/{keep['id']}/attachments").json] == [
        "note.txt"
    ]


def test_a_complaint_cannot_be_merged_away(as_agent):
    keep = open_ticket(as_agent)
    complaint = open_ticket(as_agent, type="complaint", complaint={"category": "delivery"})

    response = as_agent.post(f"/api/v1/tickets/{complaint['id']}/merge", json={"into": keep["id"]})

    assert response.status_code == 422
    assert as_agent.get(f"/api/v1/tickets/{complaint['id']}").json["status"] == "new"


@pytest.mark.parametrize("header", ["²", "abc", '"1.5"'])
def test_a_malformed_if_match_is_a_client_error(as_agent, header):
    ticket = open_ticket(as_agent)

    response = as_agent.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"priority": "high"}, headers={"If-Match": header}
    )

    assert response.status_code == 428


def test_reopening_clears_the_solve_time_until_the_next_solve(as_agent):
    solved = ticket_in(as_agent, "solved")

    reopened = move(as_agent, solved, "open")
    assert reopened["solved_at"] is None

    again = move(as_agent, reopened, "solved")
    assert again["solved_at"] > solved["solved_at"]


def test_bulk_tag_changes_add_and_remove_without_wiping_other_tags(as_supervisor):
    one = open_ticket(as_supervisor, tags=["vip", "billing"])
    two = open_ticket(as_supervisor, tags=["refund"])

    response = as_supervisor.post(
        "/api/v1/tickets/bulk",
        json={
            "ticket_ids": [one["id"], two["id"]],
            "changes": {"add_tags": ["escalated"], "remove_tags": ["vip"]},
        },
    )

    assert response.status_code == 200
    assert sorted(t["tags"] for t in response.json) == [["billing", "escalated"], ["escalated", "refund"]]


def test_patching_custom_fields_changes_only_the_keys_given(as_agent):
    ticket = open_ticket(as_agent, custom_fields={"order": "A-1", "sku": "X"})

    ticket = patch(as_agent, ticket, custom_fields={"sku": "Y"}).json
    assert ticket["custom_fields"] == {"order": "A-1", "sku": "Y"}

    ticket = patch(as_agent, ticket, custom_fields={"order": None}).json
    assert ticket["custom_fields"] == {"sku": "Y"}


def test_mentioning_an_unknown_agent_is_a_field_error(as_agent):
    ticket = open_ticket(as_agent)

    response = as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "hey", "mention_ids": [9999]}
    )

    assert response.status_code == 422
    assert "mention_ids" in response.json["errors"]


def test_a_change_that_loses_its_race_at_commit_sends_no_signal(as_agent, monkeypatch):
    ticket = open_ticket(as_agent)

    def lose_the_race():
        raise StaleDataError("someone else committed first")

    monkeypatch.setattr(db.session, "commit", lose_the_race)
    with captured(signals.ticket_updated) as updated:
        response = patch(as_agent, ticket, priority="high")
    monkeypatch.undo()

    assert response.status_code == 409
    assert updated == []


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_notes_written_at_the_same_moment_all_land(app, as_agent):
    ticket = open_ticket(as_agent)
    start = threading.Barrier(8)

    def note(n):
        client = app.test_client()
        start.wait()
        return client.post(
            f"/api/v1/tickets/{ticket['id']}/comments",
            json={"body": f"note {n}", "public": False},
            headers={"Authorization": f"Bearer {as_agent.token}"},
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(note, range(8)))

    assert codes == [201] * 8
    assert len(as_agent.get(f"/api/v1/tickets/{ticket['id']}/comments").json) == 8


# -- the ticket services drive the SLA clocks -----------------------------------------------------------


def sla_of(api, ticket_id):
    return {t["kind"]: t for t in api.get(f"/api/v1/tickets/{ticket_id}").json["sla"]}


def test_a_public_reply_meets_the_first_response_target(as_agent):
    ticket = open_ticket(as_agent)

    as_agent.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "On it"})

    assert sla_of(as_agent, ticket["id"])["first_response"]["met_at"] is not None


def test_a_customer_message_after_the_first_response_starts_a_next_response_target(as_agent, app):
    ticket = open_ticket(as_agent)
    as_agent.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "On it"})

    services.add_customer_message(ticket["id"], body="Thanks, any news?")

    next_response = sla_of(as_agent, ticket["id"])["next_response"]
    assert next_response["met_at"] is None and next_response["due_at"] is not None


def test_raising_the_priority_tightens_the_targets(as_agent):
    ticket = open_ticket(as_agent, priority="low")
    before = sla_of(as_agent, ticket["id"])["resolution"]["target_seconds"]

    patch(as_agent, ticket, priority="urgent")

    assert sla_of(as_agent, ticket["id"])["resolution"]["target_seconds"] < before


def test_pending_stops_the_clocks(as_agent):
    ticket = open_ticket(as_agent)

    move(as_agent, ticket, "pending")

    assert sla_of(as_agent, ticket["id"])["resolution"]["due_at"] is None


def test_a_breach_recorded_meanwhile_by_the_sla_check_is_not_recorded_twice(app, agent):
    ticket = services.open_ticket(
        subject="Waiting since yesterday",
        customer={"email": "late@example.com"},
        actor=agent,
        at=utcnow() - timedelta(hours=30),
    )
    # The periodic check, in another transaction, records the overdue first response first.
    with db.engine.begin() as check:
        check.execute(
            text("UPDATE ticket_sla_targets SET breached_at = due_at WHERE kind = 'first_response'")
        )

    services.add_comment(ticket.id, body="Sorry for the wait", actor=agent)

    breaches = db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "sla_breached")).all()
    assert breaches == []


def test_a_claim_that_opens_the_ticket_announces_the_status_change(as_agent):
    ticket = open_ticket(as_agent)

    with captured(signals.ticket_updated) as updated:
        as_agent.post(f"/api/v1/tickets/{ticket['id']}/claim")

    assert [kwargs["changes"] for _, kwargs in updated] == [{"status": ("new", "open")}]
