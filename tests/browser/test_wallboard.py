"""A supervisor watches the desk on the wallboard in a real browser: what changes after the page loaded
(new waiting work, an agent's state) appears without a reload, and the followed agent's news lists in
the side panel. Agents are refused the page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.callcenter.presence.models import AgentPresence
from app.callcenter.presence.signals import presence_changed
from app.callcenter.routing.models import WorkItem
from app.callcenter.routing.signals import work_changed
from app.dbtypes import utcnow
from app.extensions import db
from app.tickets.sla.models import SlaTarget
from tests.browser.test_sign_in import sign_in
from tests.factories import AgentFactory, TeamFactory
from tests.ticket_factories import QueueFactory, TicketFactory

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = pytest.mark.browser


def change_state(agent, state):
    row = db.session.get(AgentPresence, agent.id) or AgentPresence(agent_id=agent.id)
    previous, row.state, row.since = row.state, state, utcnow()
    db.session.add(row)
    db.session.commit()
    presence_changed.send(
        row, agent_id=agent.id, state=state, previous=previous, reason_id=None, actor_id=None
    )


def test_a_supervisor_sees_new_work_and_an_agents_state_without_a_reload(page, live_app):
    live_app.config["WALLBOARD_COALESCE_MS"] = 0  # no trailing runs: this server has no worker
    supervisor = AgentFactory(role="supervisor", email="sam@example.com")
    ann = AgentFactory(name="Ann Lee")
    queue = QueueFactory(name="Billing", team=TeamFactory(members=[ann]))
    change_state(ann, "available")
    sign_in(page, supervisor.email)

    page.get_by_role("link", name="Wallboard").click()
    expect(page.locator("[data-status]")).to_have_text("Live")
    tile = page.locator("[data-queue]").filter(has_text="Billing")
    card = page.locator("[data-agent]").filter(has_text="Ann Lee")
    expect(tile.locator("[data-field='waiting.calls']")).to_have_text("0")
    expect(card.locator("[data-field='state']")).to_have_text("Available")
    card.get_by_role("button", name="Follow").click()
    expect(page.locator("[data-follow-title]")).to_have_text("Following Ann Lee")

    item = WorkItem(kind="call", subject_id=1, queue_id=queue.id, status="waiting", waiting_since=utcnow())
    db.session.add(item)
    db.session.commit()
    work_changed.send(item, queue_id=queue.id, work_item_id=item.id, status="waiting")
    change_state(ann, "break")

    expect(tile.locator("[data-field='waiting.calls']")).to_have_text("1")
    expect(page.locator("[data-totals] [data-field='waiting.calls']")).to_have_text("1")
    expect(card.locator("[data-field='state']")).to_have_text("On break")
    expect(page.locator("[data-follow-events] li").first).to_contain_text("State: On break")


def test_a_supervisor_reassigns_a_ticket_at_risk(page, live_app):
    live_app.config["WALLBOARD_COALESCE_MS"] = 0
    supervisor = AgentFactory(role="supervisor", email="sam@example.com")
    ann = AgentFactory(name="Ann Lee")
    queue = QueueFactory(name="Billing", team=TeamFactory(members=[ann]))
    ticket = TicketFactory(queue=queue, status="open", subject="Refund still missing")
    due = utcnow() - timedelta(minutes=5)
    db.session.add(
        SlaTarget(ticket_id=ticket.id, kind="first_response", target_seconds=3600, started_at=due, due_at=due)
    )
    db.session.commit()
    sign_in(page, supervisor.email)
    page.goto("/wallboard")
    row = page.locator("[data-risk] tbody tr").filter(has_text="Refund still missing")
    expect(row.locator("[data-field='assignee']")).to_have_text("unassigned")
    expect(page.locator("[data-status]")).to_have_text("Live")

    row.get_by_label("Assign to").select_option(label="Ann Lee · Offline")
    row.get_by_role("button", name="Assign").click()

    expect(row.locator("[data-field='assignee']")).to_have_text("Ann Lee")
    expect(page.locator("[data-message]")).to_be_hidden()


def test_an_agent_is_refused_the_wallboard(page, live_app):
    agent = AgentFactory(email="alex@example.com")
    sign_in(page, agent.email)

    assert page.get_by_role("link", name="Wallboard").count() == 0
    assert page.goto("/wallboard").status == 403


def test_the_reassign_list_names_each_agents_state_as_it_changes(page, live_app):
    live_app.config["WALLBOARD_COALESCE_MS"] = 0
    supervisor = AgentFactory(role="supervisor", email="sam@example.com")
    ann = AgentFactory(name="Ann Lee")
    queue = QueueFactory(name="Billing", team=TeamFactory(members=[ann]))
    ticket = TicketFactory(queue=queue, status="open", subject="Refund still missing")
    due = utcnow() - timedelta(minutes=5)
    db.session.add(
        SlaTarget(ticket_id=ticket.id, kind="first_response", target_seconds=3600, started_at=due, due_at=due)
    )
    db.session.commit()
    sign_in(page, supervisor.email)
    page.goto("/wallboard")
    expect(page.locator("[data-status]")).to_have_text("Live")
    choices = (
        page.locator("[data-risk] tbody tr").filter(has_text="Refund still missing").get_by_label("Assign to")
    )
    expect(choices.locator("option")).to_have_text(["Ann Lee · Offline"])

    change_state(ann, "available")

    expect(
        page.locator("[data-agent]").filter(has_text="Ann Lee").locator("[data-field='state']")
    ).to_have_text("Available")
    expect(choices.locator("option")).to_have_text(["Ann Lee · Available"])
