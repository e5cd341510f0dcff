"""The public front door in a real Chromium: a customer files a complaint, follows it, writes back;
the form works from the keyboard and on a phone; payloads sent through it run nothing for the agent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.tickets.models import Ticket
from tests.browser.test_sign_in import sign_in
from tests.browser.test_ticket_xss import MARKERS, _batches, _inert_or_report
from tests.factories import AgentFactory
from tests.tickets.xss_payloads import XSS_PAYLOADS

pytestmark = pytest.mark.browser

# Text with a NUL character is refused before any page could show it (tests/test_inputs.py).
PAYLOADS = [payload for payload in XSS_PAYLOADS + MARKERS if "\x00" not in payload]
BATCH = 12


def fill_complaint(page, *, name="Rosa Díaz", email="rosa@example.com", order="A-1001", text="It broke."):
    page.goto("/complaints/new")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Order or account number (optional)").fill(order)
    page.get_by_label("What is your complaint about?").select_option("delivery")
    page.get_by_label("What happened?").fill(text)
    page.get_by_label("A replacement").check()
    page.get_by_label("4", exact=True).check()


def test_a_customer_files_a_complaint_follows_it_and_replies(page, live_app):
    fill_complaint(page, text="The parcel arrived crushed.\nThe vase inside is broken.")
    page.get_by_role("button", name="Send complaint").click()

    page.wait_for_url("**/complaints/sent")
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"SB-\d{6}", reference)
    link = page.locator("#tracking-link")
    assert "/track/" in link.get_attribute("href")

    link.click()
    page.wait_for_url("**/track/**")
    assert page.get_by_role("heading", level=1).inner_text() == f"Your case {reference}"
    assert page.locator("#status").inner_text() == "Received"
    assert page.locator("#stage").count() == 0  # the same word as the status, said once
    assert "The vase inside is broken." in page.content()

    page.get_by_label("Your message").fill("A photo follows by post.")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_url("**/track/**#conversation")
    assert page.get_by_role("status").inner_text() == "Thank you. Your message was added to your case."
    assert page.locator("#conversation li").last.inner_text().endswith("A photo follows by post.")
    assert page.outside_requests == []


def test_after_a_refused_submission_the_focus_is_on_the_error_summary(page, live_app):
    page.goto("/complaints/new")
    page.get_by_role("button", name="Send complaint").click()
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")

    fill_complaint(page)
    page.get_by_role("button", name="Send complaint").click()
    page.wait_for_url("**/complaints/sent")
    page.locator("#tracking-link").click()
    page.wait_for_url("**/track/**")
    assert page.evaluate("() => document.activeElement.id") != "error-summary"
    page.get_by_role("button", name="Send message").click()  # an empty message is refused
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    assert "Please check your entries" in page.locator(":focus").inner_text()


def test_the_form_works_from_the_keyboard_alone(page, live_app):
    page.goto("/complaints/new")
    page.get_by_label("Your name").focus()
    visited = []
    for _ in range(40):
        visited.append(page.evaluate("() => document.activeElement.name || document.activeElement.type"))
        if visited[-1] == "submit":
            break
        page.keyboard.press("Tab")
    assert "referral_code" not in visited  # the honeypot is out of the tab order
    for name in ("name", "email", "phone", "order_number", "category", "description", "desired_outcome"):
        assert name in visited
    assert visited[-1] == "submit"

    page.keyboard.press("Enter")  # sends the empty form
    summary = page.get_by_role("alert").first
    assert "Please check your entries" in summary.inner_text()
    summary.get_by_role("link", name=re.compile("Your name")).click()
    assert page.evaluate("() => document.activeElement.id") == "name"
    assert page.get_by_label("Your name").get_attribute("aria-invalid") == "true"


def test_the_form_fits_a_phone_screen(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto("/complaints/new")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        box = page.get_by_label("What happened?").bounding_box()
        assert box["width"] > 280
    finally:
        context.close()


def test_payloads_sent_through_the_form_run_nothing_in_the_agents_ticket_page(watched, live_app):
    page = watched
    agent = AgentFactory(email="alex@example.com")
    for number, batch in enumerate(_batches(PAYLOADS, BATCH)):
        fill_complaint(
            page,
            name=batch[0][:200],
            email=f"mallory{number}@example.com",
            order=batch[1][:64],
            text="\n".join(batch),
        )
        page.get_by_role("button", name="Send complaint").click()
        page.wait_for_url("**/complaints/sent")
        # The customer's own tracking page shows the text too, with a reply of more payloads.
        page.locator("#tracking-link").click()
        page.get_by_label("Your message").fill("\n\n".join(reversed(batch)))
        page.get_by_role("button", name="Send message").click()
        page.wait_for_url("**/track/**#conversation")
        page.wait_for_timeout(30)
        assert page.dialogs == [] and not page.evaluate("() => window.__xss !== undefined")
    ticket_ids = db.session.scalars(select(Ticket.id).order_by(Ticket.id)).all()
    assert len(ticket_ids) == len(_batches(PAYLOADS, BATCH))

    sign_in(page, agent.email)
    problems = []
    for ticket_id in ticket_ids:
        page.dialogs.clear()
        page.goto(f"/tickets/{ticket_id}")
        assert page.locator("#conversation > li.message").count() == 1
        page.wait_for_timeout(30)
        problems += _inert_or_report(page, f"ticket {ticket_id}", page.dialogs)
    page.goto("/tickets")
    page.wait_for_timeout(30)
    problems += _inert_or_report(page, "ticket list", page.dialogs)

    assert problems == []
    assert page.outside_requests == []
