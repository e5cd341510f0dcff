# ruff: noqa: RUF001 (the page texts are Chinese, full-width punctuation included)
"""The customer's 360° timeline speaks the page's language (beside a ticket and on the profile); the
API's timeline titles stay English, whoever asks."""

from __future__ import annotations

import pytest
from markupsafe import escape

from app.customers import services as customers
from app.extensions import db
from app.portal import links
from app.portal.surveys import services as surveys
from app.tickets import services
from tests.factories import AgentFactory
from tests.helpers import ApiClient, signed_in


@pytest.fixture
def history(app):
    """A customer with a profile, one ticket worked to the end and a survey answer; its agent speaks
    `zh`."""
    agent = AgentFactory(language="zh", name="Wang Agent")
    customer = customers.create_customer(name="Olivia Bennett", emails=["olivia@example.com"], actor=agent)
    ticket = services.open_ticket(
        subject="Lamp <b>arrived</b> broken",
        channel="web",
        customer_id=customer.id,
        assignee_id=agent.id,
        actor=agent,
    )
    services.add_customer_message(ticket.id, body="Any news?")
    services.add_comment(ticket.id, body="A new lamp is on its way.", status="solved", actor=agent)
    token = links.issue_survey_token(surveys.get_survey(ticket.id))
    db.session.commit()
    surveys.answer_survey(token, {"csat": "4"})
    ticket = services.get_ticket(ticket.id)
    services.update_ticket(ticket.id, {"status": "closed"}, expected_version=ticket.version, actor=agent)
    return agent, customer, services.get_ticket(ticket.id)


def _ticket_side(client, ticket) -> str:
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    return page[page.index('id="customer"') :]


def _profile_timeline(client, customer) -> str:
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    return page[page.index('id="timeline-h"') :]


def _chinese(reference: str) -> list[str]:
    return [
        "客户资料已创建",
        f"工单 {reference} 已创建：Lamp &lt;b&gt;arrived&lt;/b&gt; broken",
        f"客户在 {reference} 中发来了消息",
        f"坐席回复了 {reference}",
        f"工单 {reference} 的状态变为已解决",
        f"工单 {reference} 的状态变为已关闭",
        f"{reference} 的满意度问卷已作答：CSAT 4 分（满分 5 分）",
    ]


def _english(reference: str) -> list[str]:
    return [
        "Profile created",
        f"Ticket {reference} opened: Lamp <b>arrived</b> broken",
        f"Customer wrote on {reference}",
        f"Agent replied on {reference}",
        f"Ticket {reference} is now solved",
        f"Ticket {reference} is now closed",
        f"Survey answered on {reference}: CSAT 4 of 5",
    ]


def test_the_chinese_ui_shows_the_timeline_in_chinese(client, history):
    agent, customer, ticket = history
    client = signed_in(client, agent)

    for part in (_ticket_side(client, ticket), _profile_timeline(client, customer)):
        for sentence in _chinese(ticket.reference):
            assert sentence in part
        assert "wrote on" not in part and "is now" not in part and "Profile created" not in part
        assert "<b>arrived</b>" not in part


def test_the_switcher_chooses_the_timeline_language(client, history):
    agent, customer, ticket = history
    client = signed_in(client, agent)

    client.get("/language/en")
    for part in (_ticket_side(client, ticket), _profile_timeline(client, customer)):
        for sentence in _english(ticket.reference):
            assert escape(sentence) in part
        assert "<b>arrived</b>" not in part

    client.get("/language/zh")
    assert f"工单 {ticket.reference} 的状态变为已关闭" in _profile_timeline(client, customer)


def test_the_english_ui_is_unchanged(client, history):
    _agent, customer, ticket = history
    client = signed_in(client, AgentFactory(language="en"))

    for part in (_ticket_side(client, ticket), _profile_timeline(client, customer)):
        for sentence in _english(ticket.reference):
            assert escape(sentence) in part


def test_a_complaint_and_its_status_read_in_chinese(client, history):
    agent, customer, _ticket = history
    complaint = services.open_ticket(
        subject="Rude courier",
        type="complaint",
        complaint={"category": "delivery"},
        customer_id=customer.id,
        actor=agent,
    )
    services.update_ticket(
        complaint.id, {"status": "on_hold"}, expected_version=complaint.version, actor=agent
    )
    client = signed_in(client, agent)

    part = _profile_timeline(client, customer)

    assert f"投诉 {complaint.reference} 已创建：Rude courier" in part
    assert f"投诉 {complaint.reference} 的状态变为挂起" in part
    client.get("/language/en")
    assert f"Complaint {complaint.reference} is now on hold" in _profile_timeline(client, customer)


def test_the_api_timeline_stays_english_for_a_chinese_agent(app, history):
    agent, customer, ticket = history

    response = ApiClient.for_agent(app, agent).get(f"/api/v1/customers/{customer.id}/timeline")

    assert response.status_code == 200
    items = response.json["items"]
    assert sorted(item["title"] for item in items) == sorted(_english(ticket.reference))
    assert all(set(item) == {"occurred_at", "kind", "source", "title", "data", "ref"} for item in items)


def test_api_titles_stay_english_for_a_signed_in_chinese_page_visitor(client, history):
    """The browser console calls the API with the session of an agent whose pages are Chinese."""
    agent, customer, ticket = history
    client = signed_in(client, agent)
    client.get("/language/zh")

    response = client.get(f"/api/v1/customers/{customer.id}/timeline")

    assert response.status_code == 200
    assert sorted(item["title"] for item in response.json["items"]) == sorted(_english(ticket.reference))
