"""Macros: a canned response applied in one step, all or nothing."""

from __future__ import annotations

from tests.factories import AgentFactory
from tests.tickets.workflow import open_ticket, ticket_in

ASK_FOR_PHOTO = {
    "name": "Ask for a photo",
    "actions": {
        "set": {"status": "pending", "priority": "high"},
        "add_tags": ["needs-photo"],
        "reply": {"body": "Could you send us a photo of the damage?"},
    },
}


def test_supervisor_creates_and_agent_applies_a_macro(as_supervisor, as_agent):
    macro = as_supervisor.post("/api/v1/macros", json=ASK_FOR_PHOTO)
    assert macro.status_code == 201
    ticket = open_ticket(as_agent, tags=["damaged"])

    response = as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/macro",
        json={"macro_id": macro.json["id"], "version": ticket["version"]},
    )

    assert response.status_code == 200, response.json
    after = response.json
    assert (after["status"], after["priority"], after["tags"]) == (
        "pending",
        "high",
        ["damaged", "needs-photo"],
    )
    assert after["version"] == ticket["version"] + 1
    assert after["first_response_at"] is not None
    comments = as_agent.get(f"/api/v1/tickets/{ticket['id']}/comments").json
    assert [c["body"] for c in comments] == ["<p>Could you send us a photo of the damage?</p>"]


def test_a_macro_that_cannot_apply_changes_nothing(as_supervisor, as_agent):
    macro = as_supervisor.post("/api/v1/macros", json=ASK_FOR_PHOTO).json
    ticket = ticket_in(as_agent, "closed")

    response = as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/macro", json={"macro_id": macro["id"], "version": ticket["version"]}
    )

    assert response.status_code == 422
    assert as_agent.get(f"/api/v1/tickets/{ticket['id']}/comments").json == []
    assert as_agent.get(f"/api/v1/tickets/{ticket['id']}").json["priority"] == "normal"


def test_applying_to_a_stale_version_gets_409(as_supervisor, as_agent):
    macro = as_supervisor.post("/api/v1/macros", json=ASK_FOR_PHOTO).json
    ticket = open_ticket(as_agent)

    response = as_agent.post(
        f"/api/v1/tickets/{ticket['id']}/macro", json={"macro_id": macro["id"], "version": 9}
    )

    assert response.status_code == 409


def test_agents_cannot_write_macros(as_agent):
    assert as_agent.post("/api/v1/macros", json=ASK_FOR_PHOTO).status_code == 403


def test_a_macro_must_do_something_and_only_what_it_may(as_supervisor):
    assert as_supervisor.post("/api/v1/macros", json={"name": "Nothing", "actions": {}}).status_code == 422
    response = as_supervisor.post(
        "/api/v1/macros", json={"name": "Sneaky", "actions": {"set": {"subject": "x"}}}
    )
    assert response.status_code == 422


def test_macro_names_are_unique(as_supervisor):
    as_supervisor.post("/api/v1/macros", json=ASK_FOR_PHOTO)

    assert as_supervisor.post("/api/v1/macros", json=ASK_FOR_PHOTO).status_code == 409


def test_a_macro_cannot_give_tickets_to_a_disabled_agent(as_supervisor):
    gone = AgentFactory(active=False)

    response = as_supervisor.post(
        "/api/v1/macros", json={"name": "To the past", "actions": {"set": {"assignee_id": gone.id}}}
    )

    assert response.status_code == 422
    assert response.json["errors"] == {"actions": {"set": {"assignee_id": ["The agent is disabled."]}}}
    assert as_supervisor.get("/api/v1/macros").json == []


def test_a_macro_cannot_name_a_queue_or_agent_that_does_not_exist(as_supervisor):
    response = as_supervisor.post(
        "/api/v1/macros", json={"name": "To nowhere", "actions": {"set": {"queue_id": 9999}}}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"actions": {"set": {"queue_id": ["Queue 9999 not found."]}}}
    response = as_supervisor.post(
        "/api/v1/macros", json={"name": "To nobody", "actions": {"set": {"assignee_id": 9999}}}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"actions": {"set": {"assignee_id": ["Agent 9999 not found."]}}}
    assert as_supervisor.get("/api/v1/macros").json == []

    macro = as_supervisor.post("/api/v1/macros", json=ASK_FOR_PHOTO).json
    response = as_supervisor.patch(
        f"/api/v1/macros/{macro['id']}", json={"actions": {"set": {"queue_id": 9999}}, "version": 1}
    )
    assert response.status_code == 422
    assert as_supervisor.get(f"/api/v1/macros/{macro['id']}").json["actions"] == macro["actions"]
