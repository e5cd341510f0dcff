"""The ticket list in a real browser: sorting by a column header, the filters folded away until asked
for, and a supervisor's change to the tickets ticked in the list."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.tickets import services
from app.tickets.models import Ticket
from tests.browser.test_sign_in import sign_in
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def _ticket(actor, subject, **fields):
    return services.open_ticket(
        subject=subject,
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        actor=actor,
        **fields,
    )


def test_a_column_header_sorts_the_list_and_the_filters_stay(page, live_app):
    agent = AgentFactory(email="alex@example.com")
    _ticket(agent, "Low one", priority="low")
    _ticket(agent, "Urgent one", priority="urgent")
    _ticket(agent, "Normal one", priority="normal", type="incident")
    sign_in(page, agent.email)
    page.goto("/tickets")
    subjects = page.locator("td.subject")

    page.get_by_role("link", name="Priority", exact=True).click()
    expect(subjects).to_have_text(["Urgent one", "Normal one", "Low one"])
    expect(page.get_by_role("columnheader", name="Priority")).to_have_attribute("aria-sort", "descending")
    page.get_by_role("link", name="Priority").click()
    expect(subjects).to_have_text(["Low one", "Normal one", "Urgent one"])
    expect(page.get_by_role("columnheader", name="Priority")).to_have_attribute("aria-sort", "ascending")

    # A search keeps the order it was given.
    page.get_by_role("searchbox", name="Search tickets").fill("one")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(subjects).to_have_text(["Low one", "Normal one", "Urgent one"])


def test_the_filters_unfold_when_asked_for_and_stay_open_while_in_use(page, live_app):
    agent = AgentFactory(email="alex@example.com")
    _ticket(agent, "A question")
    _ticket(agent, "An incident", type="incident")
    sign_in(page, agent.email)
    page.goto("/tickets")

    status = page.get_by_label("Status", exact=True)
    expect(status).to_be_hidden()
    expect(page.get_by_role("searchbox", name="Search tickets")).to_be_visible()
    page.get_by_text("Filters", exact=True).click()
    expect(status).to_be_visible()
    page.get_by_label("Type", exact=True).select_option("incident")
    page.get_by_role("button", name="Apply filters").click()

    expect(page.locator("td.subject")).to_have_text(["An incident"])
    expect(page.get_by_label("Type", exact=True)).to_be_visible()
    expect(page.locator("details.more-filters summary")).to_contain_text("(1 in use)")


def test_a_supervisor_changes_ticked_tickets_and_a_refusal_changes_none(page, live_app):
    supervisor = AgentFactory(name="Sam Supervisor", email="sam@example.com", role="supervisor")
    AgentFactory(name="Alex Agent", email="alex@example.com")
    first = _ticket(supervisor, "First")
    second = _ticket(supervisor, "Second")
    done = _ticket(supervisor, "Already closed")
    services.update_ticket(done.id, {"status": "solved"}, expected_version=done.version, actor=supervisor)
    db.session.refresh(done)
    services.update_ticket(done.id, {"status": "closed"}, expected_version=done.version, actor=supervisor)
    sign_in(page, supervisor.email)
    page.goto("/tickets")

    # The header box ticks the whole page; the supervisor unticks the closed ticket again.
    page.get_by_label("Tick all tickets on this page").check()
    page.get_by_label(f"Tick {done.reference}").uncheck()
    expect(page.get_by_label("Tick all tickets on this page")).not_to_be_checked()
    bulk = page.locator("#bulk-form")
    bulk.get_by_label("Assignee").select_option(label="Alex Agent")
    bulk.get_by_label("Priority").select_option("high")
    bulk.get_by_role("button", name="Apply to the ticked tickets").click()
    page.get_by_text("2 tickets were changed.").wait_for()

    db.session.expire_all()
    for ticket_id in (first.id, second.id):
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.assignee.name, ticket.priority) == ("Alex Agent", "high")

    # With the closed ticket ticked too, nothing changes, and the refusal names it.
    page.get_by_label("Tick all tickets on this page").check()
    bulk.get_by_label("Priority").select_option("urgent")
    bulk.get_by_role("button", name="Apply to the ticked tickets").click()
    alert = page.locator("#bulk-problem")
    expect(alert).to_contain_text("none were changed")
    expect(alert.get_by_role("link", name=done.reference)).to_be_visible()
    expect(page.get_by_label(f"Tick {first.reference}")).to_be_checked()
    db.session.expire_all()
    assert db.session.get(Ticket, first.id).priority == "high"
