"""Stored XSS stays inert in the agent's ticket pages, checked in a real Chromium.

Every payload of `tests/tickets/xss_payloads.py` goes in where people write: a ticket's subject and
description, public replies, internal notes and the customer's messages. Then the pages that show them
are opened and must run nothing (no dialog, no `window.__xss` marker), contain no active element or event
handler inside the conversation and description, and fetch nothing from elsewhere.

To stay fast the payloads travel in batches (a page load costs ~0.2 s): each batch ticket carries its
payloads as separate comments (each sanitized on its own, as people send them) and all of them at once in
its description; every payload is also the subject of a ticket of its own, checked on the list pages.
"""

from __future__ import annotations

import pytest

from app.tickets import services
from app.tickets.models.tickets import SUBJECT_MAX
from tests.browser.test_sign_in import sign_in
from tests.factories import AgentFactory
from tests.tickets.xss_payloads import XSS_PAYLOADS

pytestmark = pytest.mark.browser

# The payloads above call alert(); these set a marker instead, in case dialogs were suppressed somehow.
MARKERS = [
    '<img src=x onerror="window.__xss=1">',
    '<svg onload="window.__xss=1"></svg>',
    "<script>window.__xss=1</script>",
    '<a href="javascript:window.__xss=1" id="xss-link">click</a>',
    '<details open ontoggle="window.__xss=1">x</details>',
    '<input autofocus onfocus="window.__xss=1">',
]
PAYLOADS = XSS_PAYLOADS + MARKERS
BATCH = 10
CUSTOMER = {"name": "Mallory <b>Customer</b>", "email": "mallory@example.com"}
FORBIDDEN = (
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "svg",
    "math",
    "img",
    "form",
    "input",
    "style",
    "link",
    "meta",
    "base",
    "video",
    "audio",
    "source",
    "template",
)
CONTAINERS = ("#description", "#conversation", "table.tickets")
# Event handlers, inline styles, frames' documents, and URLs that are not plain web or mail links.
RISKY_ATTRIBUTES = """(selector) => {
  const safeUrl = (value) => {
    try { return ['http:', 'https:', 'mailto:'].includes(new URL(value, location.href).protocol); }
    catch { return false; }
  };
  const urlNames = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'background'];
  return [...document.querySelectorAll(selector + ' *')].flatMap(element => [...element.attributes]
    .filter(a => a.name.startsWith('on') || a.name === 'style' || a.name === 'srcdoc'
      || (urlNames.includes(a.name) && !safeUrl(a.value)))
    .map(a => `${element.tagName} ${a.name}=${a.value}`));
}"""


def _batches(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _inert_or_report(page, where: str, dialogs: list[str]) -> list[str]:
    """What ran or could run on the page just loaded, as readable problems."""
    problems = [f"{where}: dialog {message!r}" for message in dialogs]
    if page.evaluate("() => window.__xss !== undefined"):
        problems.append(f"{where}: window.__xss was set")
    for container in CONTAINERS:
        for tag in FORBIDDEN:
            found = page.query_selector_all(f"{container} {tag}")
            if found:
                problems.append(f"{where}: {len(found)} <{tag}> in {container}")
        risky = page.evaluate(RISKY_ATTRIBUTES, container)
        problems += [f"{where}: {attribute} in {container}" for attribute in risky]
    return problems


def test_payloads_in_descriptions_and_conversations_run_nothing(watched, live_app):
    page = watched
    agent = AgentFactory(email="alex@example.com")
    tickets = []
    for number, batch in enumerate(_batches(PAYLOADS, BATCH)):
        ticket = services.open_ticket(
            subject=batch[0][:SUBJECT_MAX],
            description="\n".join(batch),
            customer=CUSTOMER,
            actor=agent,
        )
        for index, payload in enumerate(batch):
            # Every kind of message, in turn: public reply, internal note, the customer writing.
            body = f"Message {number}.{index}: {payload}"
            kind = index % 3
            if kind == 2:
                services.add_customer_message(ticket.id, body=body)
            else:
                services.add_comment(ticket.id, body=body, public=kind == 0, actor=agent)
        tickets.append((ticket.id, len(batch)))
    sign_in(page, agent.email)

    problems = []
    for ticket_id, count in tickets:
        page.dialogs.clear()
        page.goto(f"/tickets/{ticket_id}")
        # Every message is there (nothing swallowed the ones after it), so every payload was rendered.
        assert page.locator("#conversation > li.message").count() == count
        page.wait_for_timeout(30)  # let autofocus, onload and friends fire if they survived
        problems += _inert_or_report(page, f"ticket {ticket_id}", page.dialogs)

    assert problems == []
    assert page.outside_requests == []


def test_payloads_in_subjects_run_nothing(watched, live_app):
    page = watched
    agent = AgentFactory(email="alex@example.com")
    for payload in PAYLOADS:
        services.open_ticket(
            subject=payload[:SUBJECT_MAX], description=payload, customer=CUSTOMER, actor=agent
        )
    sign_in(page, agent.email)

    problems = []
    page.goto("/tickets")
    pages = int(page.locator(".pager .muted").inner_text().split(" of ")[1].split(" ")[0])
    for number in range(1, pages + 1):
        page.dialogs.clear()
        page.goto(f"/tickets?page={number}")
        page.wait_for_timeout(30)
        problems += _inert_or_report(page, f"list page {number}", page.dialogs)
    # The ticket page shows the subject in its title and heading, and the customer's timeline lists the
    # latest ones: check the newest ticket's page too.
    page.goto("/tickets")
    page.locator("table.tickets tbody tr").first.get_by_role("link").click()
    page.wait_for_timeout(30)
    problems += _inert_or_report(page, "newest ticket", page.dialogs)

    assert problems == []
    assert page.outside_requests == []
