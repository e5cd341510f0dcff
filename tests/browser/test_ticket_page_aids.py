"""The ticket page in a real browser: files attached from the page, agents mentioned by picking them
from the suggestions after "@" (with the keyboard too), and the notifications card that shows a mail
sent without a reload."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.notifications import services as notifications
from app.notifications.models import Notification
from app.tickets import services
from app.tickets.models import Comment
from tests.browser.test_sign_in import sign_in
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def live_app(live_app, tmp_path):
    live_app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    return live_app


def _ticket(actor, **fields):
    return services.open_ticket(
        subject="Where is my parcel?",
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        actor=actor,
        **fields,
    )


def test_an_agent_attaches_files_to_the_ticket_and_to_a_reply(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    ticket = _ticket(agent)
    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.id}")

    page.get_by_label("Files to attach").set_input_files(
        [{"name": "receipt.txt", "mimeType": "text/plain", "buffer": b"Paid 12.50 EUR\n"}]
    )
    page.get_by_role("button", name="Attach", exact=True).click()
    page.get_by_text("The files were attached.").wait_for()
    files = page.locator("#attachments")
    expect(files.get_by_role("link", name="receipt.txt")).to_be_visible()

    page.get_by_label("Message (plain text or simple HTML)").fill("Here is the label.")
    page.get_by_label("Attach files").set_input_files(
        [{"name": "label.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Your reply was sent.").wait_for()
    expect(files.get_by_role("link", name="label.png")).to_be_visible()

    # A file of a kind not accepted is named beside the upload; nothing is stored.
    page.get_by_label("Files to attach").set_input_files(
        [{"name": "page.html", "mimeType": "text/html", "buffer": b"<html><script>alert(1)</script>"}]
    )
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator("#attach-files-errors")).to_contain_text("page.html")
    expect(page.locator("#attachments ul.attachments > li")).to_have_count(2)
    assert page.outside_requests == []


def test_a_file_over_the_limit_is_named_before_it_is_sent(page, live_app):
    live_app.config["ATTACHMENT_MAX_BYTES"] = 50
    agent = AgentFactory(email="alex@example.com")
    ticket = _ticket(agent)
    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.id}")

    page.get_by_label("Files to attach").set_input_files(
        [{"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * 51}]
    )

    expect(page.locator("#attach-files-errors")).to_have_text("big.txt is larger than the limit.")
    page.get_by_role("button", name="Attach", exact=True).click()
    # The browser kept the form: no page with the upload's refusal was loaded.
    expect(page.get_by_text("The file was not accepted.")).to_have_count(0)


def test_typing_at_suggests_agents_and_the_keyboard_picks_one(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    sam = AgentFactory(name="Sam Supervisor", email="sam@example.com", role="supervisor")
    AgentFactory(name="Sandra Smith", email="sandra@example.com")
    ticket = _ticket(agent)
    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.id}")

    # The boxes fold away once the page's script runs: the suggestions replace them.
    expect(page.locator(".mention-choices")).to_be_hidden()
    page.get_by_label("Internal note (agents only)").check()
    message = page.get_by_label("Message (plain text or simple HTML)")
    message.click()
    message.press_sequentially("Please check @sa")

    suggestions = page.get_by_role("listbox", name="Agents to mention")
    expect(suggestions.get_by_role("option")).to_have_text(["Sam Supervisor", "Sandra Smith"])
    expect(message).to_have_attribute("aria-expanded", "true")
    message.press("ArrowDown")
    expect(suggestions.get_by_role("option", name="Sandra Smith")).to_have_attribute("aria-selected", "true")
    message.press("ArrowUp")
    message.press("Enter")

    expect(message).to_have_value("Please check @Sam Supervisor ")
    expect(suggestions).to_be_hidden()
    expect(page.locator(".mention-picked li")).to_have_text(["Sam Supervisor \u00d7"])

    # Escape closes the suggestions without picking.
    message.press_sequentially("and @al")
    expect(suggestions.get_by_role("option")).to_have_text(["Alex Agent"])
    message.press("Escape")
    expect(suggestions).to_be_hidden()

    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Your note was added.").wait_for()
    note = db.session.scalar(db.select(Comment).where(Comment.ticket_id == ticket.id))
    assert [a.id for a in note.mentions] == [sam.id]


def test_a_mention_picked_by_mistake_is_removed_with_its_button(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    AgentFactory(name="Sam Supervisor", email="sam@example.com", role="supervisor")
    ticket = _ticket(agent)
    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.id}")

    message = page.get_by_label("Message (plain text or simple HTML)")
    message.click()
    message.press_sequentially("@sam")
    page.get_by_role("option", name="Sam Supervisor").click()
    page.get_by_role("button", name="Remove the mention of Sam Supervisor").click()

    expect(page.locator(".mention-picked li")).to_have_count(0)
    expect(page.locator("input[name='reply-mention_ids']:checked")).to_have_count(0)


def test_the_notifications_card_shows_a_mail_sent_without_a_reload(page, live_app, monkeypatch):
    agent = AgentFactory(email="alex@example.com")
    # No worker takes the confirmation: it waits, pending, until this test delivers it.
    monkeypatch.setattr(notifications, "enqueue_delivery", lambda *args, **kwargs: None)
    ticket = _ticket(agent, channel="web")
    [row] = db.session.scalars(db.select(Notification).where(Notification.ticket_id == ticket.id))
    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.id}")
    card = page.locator("#notifications")
    expect(card.locator(".badge")).to_have_text("pending")
    page.evaluate("() => { window.notReloaded = true; }")

    notifications.deliver_notification(row.id)

    expect(card.locator(".badge")).to_have_text("sent", timeout=15_000)
    assert page.evaluate("() => window.notReloaded") is True
    # Nothing pending any more: the card stops asking.
    expect(card).not_to_have_attribute("data-pending", "")
