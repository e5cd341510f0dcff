"""Complaints follow the handling procedure: acknowledge, investigate, remedy, resolve, follow up."""

from __future__ import annotations

from tests.helpers import undocumented_nulls
from tests.tickets.workflow import move, open_ticket, patch


def open_complaint(api, **complaint):
    return open_ticket(
        api,
        type="complaint",
        subject="Late delivery ruined the party",
        complaint={"category": "delivery", "severity": "high", "desired_outcome": "refund", **complaint},
    )


def test_a_complaint_starts_received_with_its_details(as_agent):
    ticket = open_complaint(as_agent)

    assert ticket["complaint"]["stage"] == "received"
    assert ticket["complaint"]["category"] == "delivery"
    assert ticket["complaint"]["desired_outcome"] == "refund"


def test_unknown_category_is_refused(as_agent):
    response = as_agent.post(
        "/api/v1/tickets",
        json={
            "subject": "x",
            "type": "complaint",
            "complaint": {"category": "vibes"},
            "customer": {"email": "a@example.com"},
        },
    )

    assert response.status_code == 422


def test_stages_move_forward_and_never_back(as_agent):
    ticket = open_complaint(as_agent)
    ticket = patch(as_agent, ticket, complaint={"stage": "acknowledged"}).json
    assert ticket["complaint"]["acknowledged_at"] is not None
    ticket = patch(as_agent, ticket, complaint={"stage": "investigating"}).json

    back = patch(as_agent, ticket, complaint={"stage": "acknowledged"})

    assert back.status_code == 422


def test_a_complaint_cannot_be_solved_without_root_cause_and_remedy(as_agent):
    ticket = open_complaint(as_agent)

    refused = patch(as_agent, ticket, status="solved")
    assert refused.status_code == 422
    assert set(refused.json["errors"]["complaint"]) == {"root_cause", "remedy"}

    ticket = patch(
        as_agent, ticket, complaint={"root_cause": "Courier lost the parcel", "remedy": "Refunded"}
    ).json
    solved = patch(as_agent, ticket, status="solved")
    assert solved.status_code == 200
    assert solved.json["complaint"]["stage"] == "resolved"


def test_a_complaint_is_closed_only_after_the_follow_up(as_agent):
    ticket = open_complaint(as_agent)
    ticket = patch(as_agent, ticket, complaint={"root_cause": "Courier", "remedy": "Refund"}).json
    ticket = move(as_agent, ticket, "solved")

    assert patch(as_agent, ticket, status="closed").status_code == 422

    ticket = patch(as_agent, ticket, complaint={"follow_up_note": "Called her: happy with the refund"}).json
    assert ticket["complaint"]["stage"] == "followed_up"
    assert ticket["complaint"]["followed_up_at"] is not None
    assert patch(as_agent, ticket, status="closed").status_code == 200


def test_follow_up_before_solving_is_refused(as_agent):
    ticket = open_complaint(as_agent)
    ticket = patch(as_agent, ticket, complaint={"root_cause": "Courier", "remedy": "Refund"}).json

    response = patch(as_agent, ticket, complaint={"follow_up_note": "Called"})

    assert response.status_code == 422


def test_compensation_is_recorded(as_agent):
    ticket = open_complaint(as_agent)

    ticket = patch(
        as_agent,
        ticket,
        complaint={
            "compensation_amount": "25.00",
            "compensation_currency": "USD",
            "compensation_note": "Voucher",
        },
    ).json

    assert ticket["complaint"]["compensation_amount"] == "25.00"


def test_a_new_complaint_is_answered_as_documented(as_agent, client):
    complaint = open_complaint(as_agent)["complaint"]

    assert complaint["acknowledged_at"] is None and complaint["followed_up_at"] is None
    assert undocumented_nulls(client, "Complaint", complaint) == set()
