"""The agent console and the live ticket pages in a real browser, connected to `/agents` over Socket.IO:
the caller's profile pops up the moment a call is offered, two agents on one ticket see each other and
who is typing, and a ticket created elsewhere shows on the console and the ticket list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.callcenter import live
from app.callcenter.calls.models import Call
from app.callcenter.routing.models import Offer, WorkItem
from app.callcenter.services import agent_room
from app.dbtypes import utcnow
from app.extensions import db, socketio
from app.tickets import services as tickets
from tests.browser.test_sign_in import sign_in
from tests.customer_factories import CustomerFactory
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

OLIVIA = {"name": "Olivia Bennett", "email": "olivia@example.com"}


@pytest.fixture
def second_page(browser, live_server):
    """Another browser (a context of its own: its own cookies), for a second agent."""
    context = browser.new_context(base_url=live_server)
    yield context.new_page()
    context.close()


def _open_console(page):
    page.goto("/console")
    expect(page.locator("[data-connection]")).to_have_text("Live")


def _offer_call(agent, customer):
    """What routing does when it picks `agent` for a call: the work, the offer, and `offer.new`."""
    now = utcnow()
    call = Call(provider="pbx", external_id="call-1", caller="+1 201 555 0123", offered_at=now)
    db.session.add(call)
    db.session.flush()
    item = WorkItem(kind="call", subject_id=call.id, customer_id=customer.id, status="offered")
    db.session.add(item)
    db.session.flush()
    offer = Offer(
        work_item_id=item.id, agent_id=agent.id, offered_at=now, expires_at=now + timedelta(seconds=60)
    )
    db.session.add(offer)
    db.session.commit()
    payload = {
        "offer_id": offer.id,
        "work_item_id": item.id,
        "kind": "call",
        "subject_id": call.id,
        "queue_id": None,
        "queue": None,
        "expires_at": offer.expires_at.isoformat(),
        "timeout_seconds": 60,
        "title": call.caller,
        "customer": {"id": customer.id, "name": customer.name},
    }
    live.publish("offer.new", payload, rooms=[agent_room(agent.id)])


def test_the_callers_profile_pops_up_when_a_call_is_offered(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    customer = CustomerFactory(name="Mia Wong", value_tier="gold", phones=["+1 201 555 0123"])
    tickets.open_ticket(subject="Broken charger", customer_id=customer.id, actor=agent)
    sign_in(page, agent.email)
    _open_console(page)

    _offer_call(agent, customer)

    offer = page.locator("[data-offer]")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("+1 201 555 0123")
    expect(offer.locator("[data-offer-countdown]")).to_contain_text("s to answer")
    profile = page.locator("[data-customer]")
    expect(profile.get_by_role("link", name="Mia Wong")).to_have_attribute(
        "href", f"/customers/{customer.id}"
    )
    expect(profile.locator("[data-customer-tier]")).to_have_text("gold")
    expect(profile.locator("[data-customer-contacts]")).to_contain_text("+1 201 555 0123")
    expect(profile.locator("[data-customer-tickets]")).to_contain_text("Broken charger")


def test_two_agents_on_one_ticket_see_each_other_and_who_is_typing(page, second_page, live_app):
    ann = AgentFactory(name="Ann Archer", email="ann@example.com")
    bob = AgentFactory(name="Bob Baker", email="bob@example.com")
    ticket = tickets.open_ticket(
        subject="Where is my parcel?",
        customer={"name": "Olivia Bennett", "email": "olivia@example.com"},
        actor=ann,
    )
    sign_in(page, ann.email)
    sign_in(second_page, bob.email)
    page.goto(f"/tickets/{ticket.id}")
    second_page.goto(f"/tickets/{ticket.id}")

    expect(page.locator("[data-viewers]")).to_have_text("Also viewing: Bob Baker")
    expect(second_page.locator("[data-viewers]")).to_have_text("Also viewing: Ann Archer")

    second_page.get_by_label("Message (plain text or simple HTML)").fill("Hello Olivia,")
    expect(page.locator("[data-viewers] .typing")).to_contain_text("Bob Baker typing a reply")

    second_page.get_by_label("Message (plain text or simple HTML)").blur()
    expect(page.locator("[data-viewers] .typing")).to_have_count(0)

    second_page.goto("/tickets")
    expect(page.locator("[data-viewers]")).to_be_hidden()


def test_a_ticket_changed_by_someone_else_says_so_on_its_page(page, live_app):
    ann = AgentFactory(name="Ann Archer", email="ann@example.com")
    bob = AgentFactory(name="Bob Baker")
    ticket = tickets.open_ticket(subject="Refund", customer=OLIVIA, actor=ann)
    sign_in(page, ann.email)
    page.goto(f"/tickets/{ticket.id}")
    expect(page.locator("[data-live-tickets][data-watching]")).to_have_count(1)

    tickets.claim_ticket(ticket.id, actor=bob)

    notice = page.locator("[data-changed-notice]")
    expect(notice).to_contain_text("This ticket was changed by Bob Baker.")
    expect(notice.get_by_role("link", name="Reload to see it")).to_be_visible()


def test_a_ticket_created_elsewhere_shows_on_the_console_and_the_list(page, second_page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    sign_in(page, agent.email)
    sign_in(second_page, agent.email)
    _open_console(page)
    second_page.goto("/tickets")
    expect(second_page.locator("[data-live-tickets][data-connected]")).to_have_count(1)

    tickets.open_ticket(subject="My order never came", customer=OLIVIA, actor=None)

    expect(page.locator("[data-alerts]")).to_contain_text("My order never came")
    notice = second_page.locator("[data-live-tickets]")
    expect(notice).to_contain_text("1 new ticket")
    notice.get_by_role("link", name="Refresh the list").click()
    expect(second_page.locator("main")).to_contain_text("My order never came")
    expect(second_page.locator("[data-live-tickets]")).to_be_hidden()


def test_the_console_lists_a_ticket_assigned_to_the_agent_as_it_happens(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    ticket = tickets.open_ticket(subject="Invoice address", customer=OLIVIA, actor=None)
    sign_in(page, agent.email)
    _open_console(page)
    expect(page.locator("[data-tickets]")).to_contain_text("No open tickets assigned to you.")

    tickets.claim_ticket(ticket.id, actor=agent)

    expect(page.locator("[data-tickets]")).to_contain_text("Invoice address")


def test_a_console_that_sees_a_gap_in_the_numbers_reloads_its_snapshot(page, live_app):
    """An event lost on the way (its number skipped) is not lost to the agent: the console reloads the
    snapshot, which holds what the missing event said."""
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    ticket = tickets.open_ticket(subject="Lost in transit", customer=OLIVIA, actor=None)
    sign_in(page, agent.email)
    _open_console(page)
    expect(page.locator("[data-tickets]")).to_contain_text("No open tickets assigned to you.")
    room = agent_room(agent.id)
    # The assignment whose news never arrived, then news numbered one past it.
    ticket.assignee_id = agent.id
    db.session.commit()
    socketio.emit(
        "offer.ended", {"offer_id": 0, "room": room, "seq": 2}, to=room, namespace=live.AGENTS_NAMESPACE
    )

    expect(page.locator("[data-tickets]")).to_contain_text("Lost in transit")


def test_an_ended_call_is_wrapped_up_from_the_console(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    now = utcnow()
    call = Call(
        provider="pbx",
        external_id="call-9",
        caller="+1 201 555 0199",
        status="ended",
        agent_id=agent.id,
        offered_at=now,
        answered_at=now,
        ended_at=now,
    )
    db.session.add(call)
    db.session.commit()
    call_id = call.id
    posted = []

    def calls_api(route):
        # The calls API, as far as the console sees it: what matters here is what the console sends.
        posted.append((route.request.post_data_json, route.request.headers.get("x-csrftoken")))
        with live_app.app_context():
            db.session.execute(update(Call).where(Call.id == call_id).values(wrap_up_ended_at=utcnow()))
            db.session.commit()
        route.fulfill(status=200, content_type="application/json", body="{}")

    page.route(f"**/api/v1/callcenter/calls/{call.id}/wrap-up", calls_api)
    sign_in(page, agent.email)
    _open_console(page)

    form = page.locator("[data-wrap-up]")
    expect(form).to_contain_text("+1 201 555 0199")
    form.get_by_label("Outcome").select_option("follow_up")
    form.get_by_label("Notes").fill("Wants a replacement charger.")
    form.get_by_label("Open a ticket for the caller").check()
    form.get_by_role("button", name="Finish wrap-up").click()

    expect(page.locator("[data-alerts]")).to_contain_text("Call wrapped up.")
    expect(form).to_be_hidden()
    body, csrf = posted[0]
    assert body == {
        "disposition": "follow_up",
        "notes": "Wants a replacement charger.",
        "ticket": {"subject": "Call from +1 201 555 0199"},
    }
    assert csrf
