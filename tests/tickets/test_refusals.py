"""A ticket use case refused halfway undoes what it had done: nothing of it waits in the session for a
later commit, and what is stored is what was stored before."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.customers.models import Customer
from app.errors import AppError, Invalid
from app.extensions import db
from app.tickets import services
from app.tickets.models import Comment, Ticket, TicketEvent
from tests.helpers import nothing_pending
from tests.tickets.workflow import CUSTOMER


def _open(actor, **fields) -> Ticket:
    values = {"subject": "Printer on fire", "description": "It smells.", "customer": CUSTOMER, **fields}
    return services.open_ticket(**values, actor=actor)


def _stored(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def _events(ticket_id: int) -> int:
    return db.session.scalar(select(func.count()).where(TicketEvent.ticket_id == ticket_id))


def test_an_illegal_status_after_a_field_change_leaves_nothing_pending(app, agent):
    ticket = _open(agent)
    events = _events(ticket.id)

    with pytest.raises(Invalid):
        services.update_ticket(
            ticket.id,
            {"priority": "urgent", "status": "closed"},
            expected_version=ticket.version,
            actor=agent,
        )

    assert nothing_pending()
    stored = _stored(ticket.id)
    assert (stored.priority, stored.status, stored.version) == ("normal", "new", ticket.version)
    assert _events(ticket.id) == events


def test_a_complaint_solved_without_a_remedy_keeps_neither_the_cause_nor_the_status(app, agent):
    ticket = _open(agent, type="complaint", complaint={"category": "delivery"})

    with pytest.raises(Invalid):
        services.update_ticket(
            ticket.id,
            {"complaint": {"root_cause": "Courier dropped it"}, "status": "solved"},
            expected_version=ticket.version,
            actor=agent,
        )

    assert nothing_pending()
    stored = _stored(ticket.id)
    assert (stored.complaint.root_cause, stored.status) == ("", "new")


def test_a_reply_with_a_status_the_workflow_refuses_leaves_no_comment(app, agent):
    ticket = _open(agent)

    with pytest.raises(Invalid):
        services.add_comment(ticket.id, body="All fixed, closing.", status="closed", actor=agent)

    assert nothing_pending()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_macro_refused_by_its_status_leaves_its_other_changes_undone(app, agent, supervisor):
    ticket = _open(agent)
    macro = services.create_macro(
        name="Close urgently", actions={"set": {"priority": "urgent", "status": "closed"}}, actor=supervisor
    )

    with pytest.raises(Invalid):
        services.apply_macro(ticket.id, macro.id, expected_version=ticket.version, actor=agent)

    assert nothing_pending()
    assert _stored(ticket.id).priority == "normal"


def test_a_ticket_refused_after_its_new_customer_was_written_leaves_no_customer(app, agent):
    with pytest.raises(Invalid):
        _open(agent, customer={"name": "Pat New", "email": "pat@example.com"}, queue_id=99999)

    assert nothing_pending()
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_a_refusal_leaves_the_session_fit_for_the_next_use_case(app, agent):
    ticket = _open(agent)
    with pytest.raises(AppError):
        services.update_ticket(
            ticket.id,
            {"priority": "urgent", "status": "closed"},
            expected_version=ticket.version,
            actor=agent,
        )

    services.update_ticket(
        ticket.id, {"subject": "Printer smoking"}, expected_version=ticket.version, actor=agent
    )

    stored = _stored(ticket.id)
    assert (stored.subject, stored.priority) == ("Printer smoking", "normal")
