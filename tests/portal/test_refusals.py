"""A customer's post that the desk refuses halfway leaves nothing behind, not even in the session."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.customers.models import Customer
from app.errors import Invalid
from app.extensions import db
from app.portal import services as portal
from app.tickets import services
from app.tickets.models import Ticket
from app.tickets.signals import ticket_open_staged
from tests.helpers import nothing_pending


def _submit(**fields):
    values = {
        "type": "incident",
        "name": "Rosa Díaz",
        "email": "rosa@example.com",
        "phone": None,
        "description": "The parcel arrived crushed.",
        "idempotency_key": portal.new_idempotency_key(),
    }
    return portal.submit_web_form(**{**values, **fields})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_submission_refused_after_its_customer_was_staged_leaves_nothing_behind(app):
    def refuse(_ticket, **_):
        raise Invalid("A room above refuses the new ticket.")

    ticket_open_staged.connect(refuse)
    try:
        with pytest.raises(Invalid):
            _submit()
    finally:
        ticket_open_staged.disconnect(refuse)

    assert nothing_pending()
    assert (_count(Customer), _count(Ticket)) == (0, 0)


def test_a_message_refused_after_its_follow_up_was_staged_leaves_nothing_behind(app, agent):
    ticket, token = _submit()
    for status in ("solved", "closed"):
        current = services.get_ticket(ticket.id)
        services.update_ticket(ticket.id, {"status": status}, expected_version=current.version, actor=agent)

    # A closed case starts a follow-up for the message, which then turns out to be empty.
    with pytest.raises(Invalid):
        portal.reply_from_portal(token, "   ")

    assert nothing_pending()
    assert _count(Ticket) == 1
