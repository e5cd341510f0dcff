"""Callback requests: promised by an agent through the API, asked for by the customer from their case's
tracking page at a time of their choosing; routed as work from that time on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.callcenter.calls.models import CallbackRequest
from app.callcenter.routing.models import WorkItem
from app.dbtypes import utcnow
from app.extensions import db
from app.portal import services as portal
from tests.customer_factories import CustomerFactory
from tests.helpers import csrf_token_from
from tests.ticket_factories import QueueFactory

CALLBACKS = "/api/v1/callcenter/callbacks"


@pytest.fixture(autouse=True)
def _quiet(routed):
    """Routing's seam recorded rather than reached."""


def test_an_agent_promises_a_callback_routed_from_its_time_on(as_agent, agent, routed):
    customer = CustomerFactory(phones=["+14155550100"])
    queue = QueueFactory()
    when = (utcnow() + timedelta(hours=2)).replace(microsecond=0)

    response = as_agent.post(
        CALLBACKS, json={"phone": "(415) 555-0100", "queue_id": queue.id, "requested_for": when.isoformat()}
    )

    assert response.status_code == 201, response.json
    body = response.json
    assert (body["phone"], body["customer_id"], body["source"], body["agent_id"]) == (
        "+14155550100",
        customer.id,
        "agent",
        agent.id,
    )
    item = db.session.scalars(select(WorkItem)).one()
    assert (item.kind, item.subject_id, item.queue_id, item.not_before) == (
        "callback",
        body["id"],
        queue.id,
        when,
    )
    assert routed == [queue.id]
    assert [row["id"] for row in as_agent.get(CALLBACKS).json] == [body["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"requested_for_hours": -2}, "requested_for"),
        ({"requested_for_hours": 24 * 30}, "requested_for"),
        ({"phone": "not a number"}, "phone"),
        ({"queue_id": 999999}, "queue_id"),
        ({"customer_id": 999999}, "customer_id"),
    ],
)
def test_a_callback_that_cannot_be_made_is_refused_with_its_field(as_agent, change, field):
    change = dict(change)
    hours = change.pop("requested_for_hours", 1)
    body = {
        "phone": "+14155550100",
        "requested_for": (utcnow() + timedelta(hours=hours)).isoformat(),
        **change,
    }

    response = as_agent.post(CALLBACKS, json=body)

    assert response.status_code == 422
    assert field in response.json["errors"]
    assert db.session.scalars(select(CallbackRequest)).all() == []


# -- the customer's page -------------------------------------------------------------------------------


@pytest.fixture
def case(app):
    """A web case with its tracking link, as the customer was mailed it."""
    queue = QueueFactory()
    ticket, token = portal.submit_web_form(
        type="incident",
        name="Rosa Díaz",
        email="rosa@example.com",
        phone="+14155550100",
        description="The parcel arrived crushed.",
        idempotency_key=portal.new_idempotency_key(),
    )
    ticket.queue_id = queue.id
    db.session.commit()
    return ticket, token


def form_of(client, token):
    page = client.get(f"/track/{token}/callback")
    return page, csrf_token_from(page.get_data(as_text=True))


def test_the_tracking_page_offers_a_callback(client, case):
    _ticket, token = case

    page = client.get(f"/track/{token}").get_data(as_text=True)

    assert f'href="/track/{token}/callback"' in page


def test_the_customer_asks_for_a_callback_at_a_time_of_their_choosing(client, case, routed):
    ticket, token = case
    page, csrf = form_of(client, token)
    assert page.status_code == 200
    assert 'value="+14155550100"' in page.get_data(as_text=True)  # their number, filled in
    when = (utcnow() + timedelta(days=1)).replace(minute=30, second=0, microsecond=0)

    response = client.post(
        f"/track/{token}/callback",
        data={
            "csrf_token": csrf,
            "phone": "+14155550100",
            "day": when.date().isoformat(),
            "clock": when.strftime("%H:%M"),
        },
    )

    assert response.status_code == 302
    assert response.location.endswith(f"/track/{token}")
    callback = db.session.scalars(select(CallbackRequest)).one()
    assert (callback.source, callback.ticket_id, callback.customer_id, callback.queue_id) == (
        "portal",
        ticket.id,
        ticket.customer_id,
        ticket.queue_id,
    )
    assert callback.requested_for == when  # the customer's clock is UTC here
    assert routed == [ticket.queue_id]
    assert "We will call you at" in client.get(f"/track/{token}").get_data(as_text=True)


def test_a_time_in_the_past_or_too_far_ahead_is_refused_with_a_message(client, case):
    _ticket, token = case
    _page, csrf = form_of(client, token)
    past = utcnow() - timedelta(days=1)
    later = utcnow() + timedelta(days=60)

    refused = [
        client.post(
            f"/track/{token}/callback",
            data={
                "csrf_token": csrf,
                "phone": "+14155550100",
                "day": day.date().isoformat(),
                "clock": "10:00",
            },
        )
        for day in (past, later)
    ]

    assert [answer.status_code for answer in refused] == [422, 422]
    assert "Choose a time from now on." in refused[0].get_data(as_text=True)
    assert "Choose a time within the next 14 days." in refused[1].get_data(as_text=True)
    assert db.session.scalars(select(CallbackRequest)).all() == []


def test_the_form_needs_its_csrf_token(client, case):
    _ticket, token = case
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()

    response = client.post(
        f"/track/{token}/callback", data={"phone": "+14155550100", "day": tomorrow, "clock": "10:00"}
    )

    assert response.status_code == 400
    assert db.session.scalars(select(CallbackRequest)).all() == []


def test_a_link_that_opens_no_case_opens_no_callback_form(client, case):
    assert client.get("/track/not-a-link/callback").status_code == 404


def test_the_form_speaks_the_customers_language(client, case):
    _ticket, token = case

    page = client.get(f"/track/{token}/callback", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert "请我们回电" in page
    assert re.search(r'type="date"', page) and re.search(r'type="time"', page)
