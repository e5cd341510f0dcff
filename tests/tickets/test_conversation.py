"""Replies, notes and the customer's messages move the ticket along."""

from __future__ import annotations

from app.tickets import services
from tests.tickets.workflow import move, open_ticket, ticket_in


def test_first_public_reply_is_the_first_response(as_agent, agent):
    ticket = open_ticket(as_agent)

    reply = as_agent.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "On it!"})

    assert reply.status_code == 201
    assert reply.json["author"]["id"] == agent.id
    after = as_agent.get(f"/api/v1/tickets/{ticket['id']}").json
    assert after["first_response_at"] == reply.json["created_at"]
    assert after["status"] == "open"


def test_internal_note_is_not_a_response(as_agent):
    ticket = open_ticket(as_agent)

    as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "Looks like #42", "public": False}
    )

    after = as_agent.get(f"/api/v1/tickets/{ticket['id']}").json
    assert after["first_response_at"] is None
    assert after["status"] == "new"


def test_reply_can_set_the_status_too(as_agent):
    ticket = open_ticket(as_agent)

    as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        json={"body": "Can you send a photo?", "status": "pending"},
    )

    assert as_agent.get(f"/api/v1/tickets/{ticket['id']}").json["status"] == "pending"


def test_reply_html_is_sanitized(as_agent):
    ticket = open_ticket(as_agent)

    reply = as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        json={"body": '<p onclick="steal()">Hi <script>alert(1)</script><a href="javascript:x">x</a></p>'},
    )

    body = reply.json["body"]
    assert "<script" not in body and "onclick" not in body and "javascript:" not in body
    assert "Hi" in body


def test_empty_reply_is_refused(as_agent):
    ticket = open_ticket(as_agent)

    response = as_agent.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "<p> </p>"})

    assert response.status_code == 422


def test_mentions_name_agents(as_agent, supervisor):
    ticket = open_ticket(as_agent)

    reply = as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        json={"body": "Sam, please look", "public": False, "mention_ids": [supervisor.id]},
    )

    assert [m["id"] for m in reply.json["mentions"]] == [supervisor.id]


def test_customer_reply_reopens_a_solved_ticket(as_agent, app):
    ticket = ticket_in(as_agent, "solved")

    services.add_customer_message(ticket["id"], body="Still broken!")

    after = as_agent.get(f"/api/v1/tickets/{ticket['id']}").json
    assert after["status"] == "open"
    assert after["reopen_count"] == 1


def test_customer_reply_to_a_closed_ticket_opens_a_linked_follow_up(as_agent, app):
    ticket = ticket_in(as_agent, "closed")

    comment = services.add_customer_message(ticket["id"], body="It broke again")

    assert comment.ticket_id != ticket["id"]
    follow_up = as_agent.get(f"/api/v1/tickets/{comment.ticket_id}").json
    assert follow_up["follow_up_of_id"] == ticket["id"]
    assert follow_up["status"] == "new"
    assert as_agent.get(f"/api/v1/tickets/{ticket['id']}").json["status"] == "closed"
    links = as_agent.get(f"/api/v1/tickets/{ticket['id']}/links").json
    assert [(link["kind"], link["ticket_id"]) for link in links] == [("follow_up", comment.ticket_id)]


def test_conversation_lists_oldest_first(as_agent):
    ticket = open_ticket(as_agent)
    for body in ("one", "two", "three"):
        as_agent.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": body})

    bodies = [c["body"] for c in as_agent.get(f"/api/v1/tickets/{ticket['id']}/comments").json]

    assert bodies == ["<p>one</p>", "<p>two</p>", "<p>three</p>"]


def test_merge_moves_the_conversation_and_closes_the_duplicate(as_agent):
    keep = open_ticket(as_agent)
    duplicate = open_ticket(as_agent, subject="Printer still on fire")
    as_agent.post(f"/api/v1/tickets/{duplicate['id']}/comments", json={"body": "from the duplicate"})

    response = as_agent.post(f"/api/v1/tickets/{duplicate['id']}/merge", json={"into": keep["id"]})

    assert response.status_code == 200
    gone = as_agent.get(f"/api/v1/tickets/{duplicate['id']}").json
    assert (gone["status"], gone["merged_into_id"]) == ("closed", keep["id"])
    bodies = [c["body"] for c in as_agent.get(f"/api/v1/tickets/{keep['id']}/comments").json]
    assert "<p>from the duplicate</p>" in bodies
    again = as_agent.post(f"/api/v1/tickets/{duplicate['id']}/merge", json={"into": keep["id"]})
    assert again.status_code == 200


def test_merge_refuses_another_customers_ticket_and_itself(as_agent):
    mine = open_ticket(as_agent)
    theirs = open_ticket(as_agent, customer={"email": "someone@else.example"})

    assert (
        as_agent.post(f"/api/v1/tickets/{mine['id']}/merge", json={"into": theirs["id"]}).status_code == 422
    )
    assert as_agent.post(f"/api/v1/tickets/{mine['id']}/merge", json={"into": mine["id"]}).status_code == 422


def test_linking_is_seen_from_both_sides_and_harmless_twice(as_agent):
    one, two = open_ticket(as_agent), open_ticket(as_agent)

    for _ in range(2):
        response = as_agent.post(f"/api/v1/tickets/{one['id']}/links", json={"ticket_id": two["id"]})
        assert response.status_code == 201

    assert [link["ticket_id"] for link in as_agent.get(f"/api/v1/tickets/{two['id']}/links").json] == [
        one["id"]
    ]


def test_bulk_update_changes_all_or_none(as_supervisor):
    ids = [open_ticket(as_supervisor)["id"] for _ in range(3)]
    solved = move(as_supervisor, open_ticket(as_supervisor), "solved", "closed")

    refused = as_supervisor.post(
        "/api/v1/tickets/bulk", json={"ticket_ids": [*ids, solved["id"]], "changes": {"status": "pending"}}
    )
    assert refused.status_code == 422
    assert str(solved["id"]) in refused.json["errors"]["tickets"]
    assert {as_supervisor.get(f"/api/v1/tickets/{i}").json["status"] for i in ids} == {"new"}

    done = as_supervisor.post(
        "/api/v1/tickets/bulk", json={"ticket_ids": ids, "changes": {"priority": "high"}}
    )
    assert done.status_code == 200
    assert {t["priority"] for t in done.json} == {"high"}


def test_a_bulk_update_names_at_least_one_change(as_supervisor):
    ticket = open_ticket(as_supervisor)

    response = as_supervisor.post("/api/v1/tickets/bulk", json={"ticket_ids": [ticket["id"]], "changes": {}})

    assert response.status_code == 422
    assert response.json["errors"] == {"changes": ["Name at least one change."]}


def test_bulk_update_is_for_supervisors(as_agent):
    ticket = open_ticket(as_agent)

    response = as_agent.post("/api/v1/tickets/bulk", json={"ticket_ids": [ticket["id"]], "changes": {}})

    assert response.status_code == 403


def test_a_reply_that_also_changes_the_status_is_one_new_version(as_agent):
    ticket = open_ticket(as_agent)

    as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "Photo please", "status": "pending"}
    )

    assert as_agent.get(f"/api/v1/tickets/{ticket['id']}").json["version"] == 2
