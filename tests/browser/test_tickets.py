"""Agents work tickets in a real browser: open one, reply, move it along, see the history."""

from __future__ import annotations

import re

import pytest

from app.tickets import services
from tests.browser.test_sign_in import sign_in
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def test_agent_opens_a_ticket_replies_and_changes_its_status(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    sign_in(page, agent.email)

    page.get_by_role("link", name="Tickets").click()
    page.get_by_role("link", name="New ticket").click()
    # The complaint fields are only shown for complaints.
    expect(page.get_by_label("Complaint category")).to_be_hidden()
    page.get_by_label("Type").select_option("complaint")
    expect(page.get_by_label("Complaint category")).to_be_visible()
    page.get_by_label("Type").select_option("incident")
    page.get_by_label("Subject").fill("Router keeps rebooting")
    page.get_by_label("Description (plain text or simple HTML)").fill("Every ten minutes.\nSince Monday.")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Customer name").fill("Olivia Bennett")
    page.get_by_label("Customer e-mail").fill("olivia@example.com")
    page.get_by_role("button", name="Open ticket").click()

    page.get_by_role("heading", name="Router keeps rebooting", level=1).wait_for()
    assert page.get_by_text(re.compile(r"Ticket SB-\d+ was opened\.")).is_visible()
    assert page.locator("#description").inner_text() == "Every ten minutes.\nSince Monday."
    assert page.get_by_role("link", name="Olivia Bennett").is_visible()

    page.get_by_label("Message (plain text or simple HTML)").fill("Hello Olivia, we are looking into it.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Your reply was sent.").wait_for()
    reply = page.locator("#conversation .message-reply")
    assert "Hello Olivia, we are looking into it." in reply.inner_text()

    page.get_by_label("Internal note (agents only)").check()
    page.get_by_label("Message (plain text or simple HTML)").fill("Firmware 2.1 known issue?")
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Your note was added.").wait_for()
    assert "Firmware 2.1 known issue?" in page.locator("#conversation .message-note").inner_text()

    page.get_by_label("Status", exact=True).select_option("pending")
    page.get_by_role("button", name="Save fields").click()
    page.get_by_text("The ticket was saved.").wait_for()

    assert page.get_by_text("Status: Pending").is_visible()
    history = page.locator("#history")
    assert history.get_by_text(re.compile(r"changed the status: Open → Pending")).is_visible()
    assert history.get_by_text("added an internal note").is_visible()
    assert page.outside_requests == []


def test_claim_and_keyboard_reply(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    ticket = services.open_ticket(
        subject="Where is my parcel?",
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        actor=None,
    )
    sign_in(page, agent.email)

    page.goto(f"/tickets/{ticket.id}")
    page.get_by_role("button", name="Claim").click()
    page.get_by_text("The ticket is yours now.").wait_for()
    assert page.get_by_text("Assignee: Alex Agent").is_visible()

    editor = page.get_by_label("Message (plain text or simple HTML)")
    editor.fill("On its way, arriving Friday.")
    editor.press("Control+Enter")
    page.get_by_text("Your reply was sent.").wait_for()
    assert "arriving Friday" in page.locator("#conversation").inner_text()
    assert page.outside_requests == []


def test_ticket_pages_fit_a_phone(page, live_app):
    agent = AgentFactory(email="alex@example.com")
    ticket = services.open_ticket(
        subject="A rather long subject that has to wrap on a small screen without scrolling sideways",
        description="<p>" + "word " * 200 + "</p>",
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        actor=agent,
    )
    sign_in(page, agent.email)
    page.set_viewport_size({"width": 375, "height": 800})

    for path in (f"/tickets/{ticket.id}", "/tickets/new", "/tickets"):
        page.goto(path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path


def test_ticket_pages_load_with_their_icon_and_without_console_errors(page, live_app):
    agent = AgentFactory(email="alex@example.com")
    ticket = services.open_ticket(
        subject="Where is my parcel?",
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        actor=agent,
    )
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    failed: list[str] = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    sign_in(page, agent.email)

    for path in ("/tickets", f"/tickets/{ticket.id}", "/tickets/new"):
        page.goto(path)
        page.wait_for_load_state("load")
        # Headless Chromium skips the icon a visible tab would fetch: fetch what the page names.
        icon = page.request.get(page.locator("link[rel=icon]").get_attribute("href"))
        assert icon.status == 200, path
        assert icon.headers["content-type"].startswith("image/svg+xml"), path

    assert failed == []
    assert errors == []


def test_supervisor_assigns_from_the_ticket_page_and_mentions_by_typing_a_name(page, live_app):
    supervisor = AgentFactory(name="Sam Supervisor", email="sam@example.com", role="supervisor")
    AgentFactory(name="Alex Agent", email="alex@example.com")
    ticket = services.open_ticket(
        subject="Where is my parcel?",
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        actor=supervisor,
    )
    sign_in(page, supervisor.email)
    page.goto(f"/tickets/{ticket.id}")

    page.get_by_label("Assign to").select_option(label="Alex Agent")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("The ticket was assigned.").wait_for()
    assert page.get_by_text("Assignee: Alex Agent").is_visible()

    page.get_by_label("Internal note (agents only)").check()
    message = page.get_by_label("Message (plain text or simple HTML)")
    message.fill("@Alexandra will know")
    # A name counts as a whole word: "@Alexandra" is not Alex.
    expect(page.locator("input[name='reply-mention_ids']:checked")).to_have_count(0)
    message.fill("@Alex please call her back")
    # Typing "@Alex" picked Alex: the agents picked are listed beside the editor.
    expect(page.locator(".mention-picked li")).to_have_text(["Alex Agent \u00d7"])
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Your note was added.").wait_for()
    assert page.locator("#conversation .message-note").get_by_text("Mentioned: Alex Agent").is_visible()
    assert page.outside_requests == []
