"""What the agent sees of a web submission on the ticket page."""

from __future__ import annotations

from app.portal import services as portal
from app.tickets import services
from tests.factories import PASSWORD
from tests.helpers import sign_in


def test_the_ticket_page_shows_order_number_and_expected_satisfaction(client, agent):
    ticket, _token = portal.submit_web_form(
        type="complaint",
        name="Rosa",
        email="rosa@example.com",
        phone=None,
        description="Crushed parcel",
        category="delivery",
        order_number="A-1001",
        expected_satisfaction=2,
        idempotency_key=portal.new_idempotency_key(),
    )
    sign_in(client, agent.email, PASSWORD)

    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)

    assert 'id="web-order-number">A-1001<' in html
    assert 'id="web-expectation">2 of 5<' in html


def test_other_tickets_show_no_web_form_section(client, agent):
    ticket = services.open_ticket(
        subject="Call", customer={"name": "Sam", "email": "s@example.com"}, actor=agent
    )
    sign_in(client, agent.email, PASSWORD)
    assert "web-submission" not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
