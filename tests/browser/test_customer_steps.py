"""Agents in a real browser: pick a ticket's customer by typing, create one in place, merge a duplicate
from a profile and find the customer's tickets there."""

from __future__ import annotations

import re

import pytest

from app.customers.models import Customer
from app.extensions import db
from app.tickets.models import Ticket
from tests.browser.test_sign_in import sign_in
from tests.customer_factories import CustomerFactory
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def _ticket(subject: str) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(db.select(Ticket).where(Ticket.subject == subject))


def test_an_agent_picks_the_customer_by_typing_part_of_their_e_mail(page, live_app):
    agent = AgentFactory(email="alex@example.com")
    olivia = CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"], phones=["+12015550123"])
    CustomerFactory(name="Sam Jones", emails=["sam@example.com"])
    sign_in(page, agent.email)
    page.goto("/tickets/new")

    page.get_by_label("Subject").fill("Lamp broken")
    search = page.get_by_role("combobox", name="Find by name, e-mail or phone")
    search.press_sequentially("olivia@")
    suggestions = page.get_by_role("listbox", name="Customers found")
    expect(suggestions.get_by_role("option", name=re.compile("Olivia Bennett"))).to_be_visible()
    expect(suggestions.get_by_role("option")).to_have_count(1)
    search.press("ArrowDown")
    search.press("Enter")  # picks; does not send the form

    expect(page.get_by_label("Customer number")).to_have_value(str(olivia.id))
    expect(page.locator("#customer-picked")).to_have_text(
        "Olivia Bennett · olivia@example.com · +12015550123"
    )
    page.get_by_role("button", name="Open ticket").click()
    page.get_by_role("heading", name="Lamp broken", level=1).wait_for()

    assert _ticket("Lamp broken").customer_id == olivia.id
    assert page.outside_requests == []


def test_suggestions_show_names_as_text_and_say_when_nobody_matches(page, live_app):
    agent = AgentFactory(email="alex@example.com")
    CustomerFactory(name="<img src=x onerror=alert(1)> Bennett", emails=["b@example.com"])
    sign_in(page, agent.email)
    page.goto("/tickets/new")
    search = page.get_by_role("combobox", name="Find by name, e-mail or phone")

    search.press_sequentially("Bennett")
    suggestions = page.get_by_role("listbox", name="Customers found")
    expect(suggestions.get_by_role("option", name=re.compile("<img src=x"))).to_be_visible()
    assert page.locator("#customer-suggestions img").count() == 0

    search.fill("")
    search.press_sequentially("nobody-like-this")
    expect(page.locator("#customer-suggestions")).to_contain_text("No customer found.")


def test_an_agent_creates_the_customer_in_place_and_sees_the_customer_forms_errors(page, live_app):
    agent = AgentFactory(email="alex@example.com")
    owner = CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"])
    sign_in(page, agent.email)
    page.goto("/tickets/new")

    page.get_by_label("Subject").fill("Router keeps rebooting")
    page.get_by_label("Customer name").fill("Rosa Díaz")
    page.get_by_label("Customer e-mail").fill("olivia@example.com")
    page.get_by_role("button", name="Open ticket").click()

    expect(page.locator("#customer_email-errors")).to_have_text(
        f"olivia@example.com already belongs to customer {owner.id}."
    )
    expect(page.get_by_label("Customer name")).to_have_value("Rosa Díaz")
    page.get_by_label("Customer e-mail").fill("rosa@example.com")
    page.get_by_role("button", name="Open ticket").click()
    page.get_by_role("heading", name="Router keeps rebooting", level=1).wait_for()

    customer = db.session.get(Customer, _ticket("Router keeps rebooting").customer_id)
    assert (customer.name, customer.id != owner.id) == ("Rosa Díaz", True)
    assert page.get_by_role("link", name="Rosa Díaz").is_visible()


def test_a_supervisor_merges_a_duplicate_from_the_profile_and_opens_a_ticket_for_the_customer(page, live_app):
    supervisor = AgentFactory(email="sam@example.com", role="supervisor")
    olivia = CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"])
    duplicate = CustomerFactory(name="O. Bennett", emails=["olivia@example.com"], phones=["+12015550123"])
    sign_in(page, supervisor.email)
    page.goto(f"/customers/{olivia.id}")

    duplicates = page.get_by_role("region", name="Possible duplicates")
    expect(duplicates.get_by_role("link", name="O. Bennett")).to_be_visible()
    duplicates.get_by_role("link", name="Merge into this profile…").click()
    page.get_by_role("heading", name="Merge O. Bennett into this profile?").wait_for()
    page.get_by_role("button", name="Merge into this profile").click()

    page.get_by_text(f"Customer {duplicate.id} was merged into this profile.").wait_for()
    expect(page.get_by_role("link", name="+12015550123")).to_be_visible()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_text(re.compile(r"was merged into"))).to_have_count(1)
    expect(page.get_by_role("region", name="Possible duplicates")).to_have_count(0)

    page.get_by_role("link", name="New ticket for this customer").click()
    expect(page.locator("#customer-picked")).to_contain_text("Olivia Bennett")
    page.get_by_label("Subject").fill("Parcel late")
    page.get_by_role("button", name="Open ticket").click()
    page.get_by_role("heading", name="Parcel late", level=1).wait_for()
    page.goto(f"/customers/{olivia.id}")
    tickets = page.get_by_role("region", name="Tickets")
    tickets.get_by_role("link", name=_ticket("Parcel late").reference).click()
    page.get_by_role("heading", name="Parcel late", level=1).wait_for()
