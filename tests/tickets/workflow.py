"""Helpers for ticket tests: open tickets through the API and walk them through the workflow."""

from __future__ import annotations

from typing import Any

CUSTOMER = {"name": "Olivia Bennett", "email": "olivia@example.com", "phone": "+1 415 555 0132"}

# The shortest way from `new` to each state, one legal step at a time.
PATH_TO = {
    "new": [],
    "open": ["open"],
    "pending": ["pending"],
    "on_hold": ["on_hold"],
    "solved": ["solved"],
    "closed": ["solved", "closed"],
}


def open_ticket(api, **fields: Any) -> dict:
    payload = {"subject": "Printer on fire", "description": "It smells.", "customer": CUSTOMER, **fields}
    if "customer_id" in fields:
        del payload["customer"]
    response = api.post("/api/v1/tickets", json=payload)
    assert response.status_code == 201, response.json
    return response.json


def patch(api, ticket: dict, **changes: Any):
    return api.patch(f"/api/v1/tickets/{ticket['id']}", json={"version": ticket["version"], **changes})


def move(api, ticket: dict, *statuses: str) -> dict:
    for status in statuses:
        response = patch(api, ticket, status=status)
        assert response.status_code == 200, response.json
        ticket = response.json
    return ticket


def ticket_in(api, status: str, **fields: Any) -> dict:
    return move(api, open_ticket(api, **fields), *PATH_TO[status])
