"""A simulated shift in three browsers: two agents work their consoles and a supervisor watches the
wallboard while a web complaint, a customer's call and a callback come in. Routing offers each to the
longest idle agent, the agent accepts in the console, and the wallboard follows it all without a reload.

The server's jobs run inline (no worker): where time must pass (a callback's hour), the test runs
routing itself, as the scheduler would."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.callcenter.calls import services as calls
from app.callcenter.calls.webhooks import signed_headers
from app.callcenter.routing import services as routing
from app.dbtypes import utcnow
from app.extensions import db
from app.tickets import services as tickets
from tests.browser.test_sign_in import sign_in
from tests.customer_factories import CustomerFactory
from tests.factories import AgentFactory, TeamFactory
from tests.ticket_factories import QueueFactory

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = pytest.mark.browser

SECRET = "pbx-shared-secret"
EVENTS = "/api/v1/callcenter/events"


@pytest.fixture
def browsers(browser, live_server):
    """A browser (its own cookies) for each person on the shift."""
    contexts = []

    def open_browser():
        context = browser.new_context(base_url=live_server)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_browser
    for context in contexts:
        context.close()


def telephony(page, kind: str, call_id: str, **fields) -> None:
    """The PBX tells the desk what happened to a call, through its signed webhook."""
    body = {"id": f"{call_id}-{kind}", "type": kind, "call_id": call_id, "timestamp": utcnow().isoformat()}
    raw = json.dumps({**body, **fields}).encode()
    answer = page.request.post(EVENTS, data=raw, headers=signed_headers(SECRET, raw))
    assert answer.status == 200, answer.text()


def open_console(page):
    page.goto("/console")
    expect(page.locator("[data-connection]")).to_have_text("Live")


def go_available(page):
    page.locator("[data-set-state='available']").click()
    expect(page.locator("[data-state-label]")).to_have_text("Available")


def test_two_agents_and_a_supervisor_work_a_shift(browsers, live_app):
    live_app.config["TELEPHONY_WEBHOOK_SECRET"] = SECRET
    live_app.config["WALLBOARD_COALESCE_MS"] = 0  # no trailing runs: this server has no worker
    supervisor = AgentFactory(role="supervisor", email="sam@example.com")
    ann = AgentFactory(name="Ann Lee", email="ann@example.com")
    bob = AgentFactory(name="Bob Ray", email="bob@example.com")
    queue = QueueFactory(name="Support", team=TeamFactory(members=[ann, bob]))
    mia = CustomerFactory(name="Mia Wong", value_tier="gold", phones=["+12015550123"])
    db.session.commit()
    queue_id, mia_id, bob_id = queue.id, mia.id, bob.id

    ann_page, bob_page, wallboard = browsers(), browsers(), browsers()
    for page, person in ((ann_page, ann), (bob_page, bob), (wallboard, supervisor)):
        sign_in(page, person.email)
    open_console(ann_page)
    go_available(ann_page)  # Ann first: she is the longest idle
    open_console(bob_page)
    go_available(bob_page)
    wallboard.goto("/wallboard")
    expect(wallboard.locator("[data-status]")).to_have_text("Live")
    tile = wallboard.locator("[data-queue]").filter(has_text="Support")
    ann_card = wallboard.locator("[data-agent]").filter(has_text="Ann Lee")
    bob_card = wallboard.locator("[data-agent]").filter(has_text="Bob Ray")
    expect(ann_card.locator("[data-field='state']")).to_have_text("Available")
    expect(bob_card.locator("[data-field='state']")).to_have_text("Available")

    # A complaint from the web form: offered to Ann, accepted, hers, solved.
    ticket = tickets.open_ticket(
        subject="Parcel arrived broken",
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        queue_id=queue_id,
        channel="web",
        actor=None,
    )
    ticket_id = ticket.id
    offer = ann_page.locator("[data-offer]")
    expect(offer).to_contain_text("Parcel arrived broken")
    expect(bob_page.locator("[data-offer]")).to_be_hidden()
    offer.locator("[data-offer-accept]").click()
    expect(offer).to_be_hidden()
    expect(ann_page.locator("[data-tickets]")).to_contain_text("Parcel arrived broken")
    expect(tile.locator("[data-field='waiting.tickets']")).to_have_text("0")

    # Solved through the API, with the session and CSRF token of Ann's console.
    shown = ann_page.request.get(f"/api/v1/tickets/{ticket_id}").json()
    token = ann_page.locator("[data-csrf-token]").get_attribute("data-csrf-token")
    solved = ann_page.request.patch(
        f"/api/v1/tickets/{ticket_id}",
        data={"status": "solved", "version": shown["version"]},
        headers={"X-CSRFToken": token},
    )
    assert solved.status == 200, solved.text()
    expect(ann_page.locator("[data-tickets]")).not_to_contain_text("Parcel arrived broken")

    # Mia calls: Ann is the longest idle again (her ticket is done); her profile pops up on Ann's console.
    telephony(wallboard, "call.offered", "pbx-1", caller="+1 201 555 0123", queue="Support")
    expect(tile.locator("[data-field='waiting.calls']")).to_have_text("1")
    call_offer = ann_page.locator("[data-offer]")
    expect(call_offer).to_contain_text("+1 201 555 0123")
    expect(ann_page.locator("[data-customer]").get_by_role("link", name="Mia Wong")).to_be_visible()
    call_offer.locator("[data-offer-accept]").click()
    expect(ann_page.locator("[data-calls]")).to_contain_text("+1 201 555 0123")
    expect(ann_page.locator("[data-state-label]")).to_have_text("Busy")
    expect(ann_card.locator("[data-field='state']")).to_have_text("Busy")
    expect(tile.locator("[data-field='waiting.calls']")).to_have_text("0")

    telephony(wallboard, "call.ended", "pbx-1")
    form = ann_page.locator("[data-wrap-up]")
    expect(form).to_contain_text("+1 201 555 0123")
    expect(ann_card.locator("[data-field='state']")).to_have_text("Wrap-up")
    form.get_by_label("Outcome").select_option("resolved")
    form.get_by_role("button", name="Finish wrap-up").click()
    expect(form).to_be_hidden()
    expect(ann_page.locator("[data-state-label]")).to_have_text("Available")
    expect(ann_card.locator("[data-field='state']")).to_have_text("Available")

    # Mia asks to be called back in an hour; when the hour comes, routing offers it to Bob (longest idle).
    later = utcnow() + timedelta(hours=1)
    callback = calls.request_callback(
        phone="+1 201 555 0123", requested_for=later, queue_id=queue_id, actor=None
    )
    routing.route_queue(queue_id)
    expect(bob_page.locator("[data-offer]")).to_be_hidden()
    routing.route_queue(queue_id, now=later + timedelta(seconds=1))
    callback_offer = bob_page.locator("[data-offer]")
    expect(callback_offer).to_contain_text("Call back +12015550123")
    expect(bob_page.locator("[data-customer]").get_by_role("link", name="Mia Wong")).to_be_visible()
    expect(tile.locator("[data-field='waiting.callbacks']")).to_have_text("0")
    callback_offer.locator("[data-offer-accept]").click()
    expect(callback_offer).to_be_hidden()
    # The callback is Bob's to make, done by him (as the desk records it once the accept is through).
    wallboard.wait_for_function(
        """async ([id, agent]) => {
            const answer = await fetch("/api/v1/callcenter/callbacks?status=done");
            const done = await answer.json();
            return done.some((callback) => callback.id === id && callback.agent_id === agent);
        }""",
        arg=[callback.id, bob_id],
    )
    assert callback.customer_id == mia_id
