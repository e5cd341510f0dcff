"""A customer answers the survey from the link in the solve mail; the agent then sees the answer."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.portal import links
from app.tickets import services
from tests.browser.test_sign_in import sign_in
from tests.customer_factories import CustomerFactory
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def test_customer_answers_the_survey_and_the_agent_sees_it_on_the_ticket(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")
    customer = CustomerFactory(name="Olivia Bennett", emails=["olivia@example.com"])
    ticket = services.open_ticket(
        subject="Lamp arrived broken",
        channel="web",
        customer_id=customer.id,
        assignee_id=agent.id,
        actor=agent,
    )
    services.add_comment(ticket.id, body="A new lamp is on its way.", status="solved", actor=agent)
    link = links.survey_link(ticket.id)
    db.session.commit()

    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="How did we do?", level=1)).to_be_visible()
    # Submitting without the required rating is refused, and the error is announced.
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Please choose a rating.")

    satisfaction = page.get_by_role("group", name="How satisfied are you with how we handled your request?")
    satisfaction.get_by_label("2", exact=True).check()
    page.get_by_role("group", name="How easy was it to get your issue resolved?").get_by_label(
        "3", exact=True
    ).check()
    page.get_by_role("group", name="How likely is it that you would recommend us").get_by_label(
        "10 (extremely likely)"
    ).check()
    page.get_by_role("group", name="how good did you expect").get_by_label("5 (excellent)").check()
    page.get_by_role("group", name="actually got").get_by_label("3", exact=True).check()
    page.get_by_label("Anything else you would like to tell us?").fill("The first lamp took two weeks.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you for your answers")).to_be_visible()

    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.id}")
    survey = page.locator("#survey")
    expect(survey.get_by_role("heading", name="Customer survey")).to_be_visible()
    expect(page.locator("#survey-csat")).to_have_text("2 / 5")
    expect(page.locator("#survey-c")).to_contain_text("0.60")
    expect(survey).to_contain_text("The first lamp took two weeks.")
    expect(survey).to_contain_text("CSAT 2 of 5; C = 0.60 (expected 5, got 3)")
    expect(page.locator("#notifications")).to_contain_text("Solved, with survey")
    assert page.outside_requests == []
