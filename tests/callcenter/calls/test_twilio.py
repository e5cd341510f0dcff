"""Twilio's voice webhooks: an incoming call is queued with TwiML and recorded; status callbacks move
the same call record; only requests Twilio signed with our auth token are heard."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app.callcenter.calls.models import Call, CallbackRequest, CallEvent
from app.extensions import db
from tests.callcenter.calls.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN
from tests.customer_factories import CustomerFactory
from tests.factories import AgentFactory
from tests.ticket_factories import QueueFactory

VOICE = "/api/v1/callcenter/twilio/voice"
STATUS = "/api/v1/callcenter/twilio/status"
INCOMING = {
    "CallSid": "CA0123456789abcdef",
    "AccountSid": "AC0123",
    "From": "+14155550100",
    "To": "+14155559999",
    "CallStatus": "ringing",
    "Direction": "inbound",
}


def twilio_post(client, path, form, *, token=TWILIO_TOKEN, signed_url=None, signature=None):
    """POST as Twilio does: the form, signed over the public URL it called."""
    url = signed_url or PUBLIC_BASE_URL + path
    sent = signature if signature is not None else RequestValidator(token).compute_signature(url, form)
    headers = {"X-Twilio-Signature": sent} if sent else {}
    return client.post(path, data=form, headers=headers)


def the_call() -> Call:
    db.session.expire_all()
    return db.session.scalars(select(Call)).one()


def test_an_incoming_call_is_queued_with_twiml_and_recorded_as_offered(client):
    queue = QueueFactory(name="Support line")
    customer = CustomerFactory(phones=["+14155550100"])

    response = twilio_post(client, VOICE, INCOMING)

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    enqueue = ElementTree.fromstring(response.data).find("Enqueue")
    assert enqueue.text == "Support line"
    assert enqueue.get("action") == f"{PUBLIC_BASE_URL}{STATUS}"
    call = the_call()
    assert (call.provider, call.external_id, call.status) == ("twilio", INCOMING["CallSid"], "queued")
    assert (call.caller, call.dialed, call.queue_id, call.customer_id) == (
        "+14155550100",
        "+14155559999",
        queue.id,
        customer.id,
    )


def test_the_queue_is_the_one_the_webhook_url_names(client):
    QueueFactory(name="General")
    sales = QueueFactory(name="Sales")

    response = twilio_post(client, f"{VOICE}?queue=Sales", INCOMING)

    assert ElementTree.fromstring(response.data).find("Enqueue").text == "Sales"
    assert the_call().queue_id == sales.id


def test_the_configured_queue_serves_calls_when_the_url_names_none(app, client):
    QueueFactory(name="General")
    QueueFactory(name="Hotline")
    app.config["TWILIO_QUEUE"] = "Hotline"

    response = twilio_post(client, VOICE, INCOMING)

    assert ElementTree.fromstring(response.data).find("Enqueue").text == "Hotline"


def test_twilio_retrying_the_incoming_call_records_it_once(client):
    QueueFactory()
    twilio_post(client, VOICE, INCOMING)
    twilio_post(client, VOICE, INCOMING)

    assert db.session.query(CallEvent).count() == 1


@pytest.mark.parametrize("path", [VOICE, STATUS])
def test_an_unsigned_request_is_refused(client, path):
    response = twilio_post(client, path, INCOMING, signature="")

    assert response.status_code == 403
    assert db.session.scalars(select(Call)).all() == []


@pytest.mark.parametrize(
    "how",
    ["another token", "another url", "changed form"],
)
def test_a_badly_signed_request_is_refused(client, how):
    form = dict(INCOMING)
    signature = None
    if how == "another token":
        signature = RequestValidator("guessed").compute_signature(PUBLIC_BASE_URL + VOICE, form)
    elif how == "another url":
        signature = RequestValidator(TWILIO_TOKEN).compute_signature("https://evil.example.com" + VOICE, form)
    else:
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + VOICE, form)
        form["From"] = "+19005550000"

    assert twilio_post(client, VOICE, form, signature=signature).status_code == 403


def test_a_request_signed_for_the_address_it_was_sent_to_is_accepted(client):
    QueueFactory()

    response = twilio_post(client, VOICE, INCOMING, signed_url="http://localhost" + VOICE)

    assert response.status_code == 200


def test_without_an_auth_token_every_request_is_refused(app, client):
    app.config["TWILIO_AUTH_TOKEN"] = ""

    response = twilio_post(client, VOICE, INCOMING, token="")

    assert response.status_code == 403
    assert "TWILIO_AUTH_TOKEN is not set" in response.json["message"]


def test_status_callbacks_answer_and_end_the_call(client):
    QueueFactory()
    agent = AgentFactory(email="alex@example.com")
    twilio_post(client, VOICE, INCOMING)

    base = {"CallSid": INCOMING["CallSid"], "Timestamp": "Mon, 07 Dec 2026 09:00:10 +0000"}
    answered = twilio_post(
        client, f"{STATUS}?agent=alex@example.com", {**base, "QueueResult": "bridged", "QueueTime": "10"}
    )
    ended = twilio_post(
        client,
        STATUS,
        {
            **base,
            "CallStatus": "completed",
            "SequenceNumber": "3",
            "Timestamp": "Mon, 07 Dec 2026 09:02:10 +0000",
        },
    )

    assert (answered.status_code, ended.status_code) == (200, 200)
    assert ElementTree.fromstring(ended.data).tag == "Response"
    call = the_call()
    assert (call.status, call.agent_id, call.talk_seconds) == ("ended", agent.id, 120)


def test_a_caller_hanging_up_in_the_queue_is_abandoned_and_owed_a_callback(client):
    QueueFactory()
    twilio_post(client, VOICE, INCOMING)

    twilio_post(client, STATUS, {"CallSid": INCOMING["CallSid"], "QueueResult": "hangup"})
    twilio_post(
        client, STATUS, {"CallSid": INCOMING["CallSid"], "CallStatus": "completed", "SequenceNumber": "2"}
    )

    assert the_call().status == "abandoned"
    assert db.session.scalars(select(CallbackRequest)).one().source == "abandoned_call"


def test_a_status_callback_twilio_sends_twice_is_recorded_once(client):
    form = {"CallSid": "CA1", "CallStatus": "completed", "SequenceNumber": "4"}
    twilio_post(client, STATUS, form)
    twilio_post(client, STATUS, form)

    assert db.session.query(CallEvent).count() == 1


def test_a_status_that_reports_nothing_new_is_acknowledged(client):
    response = twilio_post(client, STATUS, {"CallSid": "CA1", "CallStatus": "ringing"})

    assert response.status_code == 200
    assert db.session.scalars(select(Call)).all() == []


def test_twilio_answering_the_callers_leg_to_run_our_twiml_is_no_agent_answering(client):
    QueueFactory()
    twilio_post(client, VOICE, INCOMING)

    twilio_post(
        client, STATUS, {"CallSid": INCOMING["CallSid"], "CallStatus": "in-progress", "SequenceNumber": "1"}
    )

    call = the_call()
    assert (call.status, call.answered_at) == ("queued", None)


def test_an_agent_taking_the_caller_from_the_queue_answers_the_call(client):
    QueueFactory()
    agent = AgentFactory(email="maria@example.com")
    twilio_post(client, VOICE, INCOMING)

    response = twilio_post(
        client,
        f"{STATUS}?agent=maria@example.com",
        {"CallSid": INCOMING["CallSid"], "DequeingCallSid": "CA-agent-leg", "QueueTime": "12"},
    )

    assert response.status_code == 200
    call = the_call()
    assert (call.status, call.agent_id) == ("talking", agent.id)


def test_the_agents_own_leg_answering_answers_its_parent_call(client):
    QueueFactory()
    agent = AgentFactory(email="maria@example.com")
    twilio_post(client, VOICE, INCOMING)

    leg = {"CallSid": "CA-agent-leg", "ParentCallSid": INCOMING["CallSid"], "SequenceNumber": "1"}
    twilio_post(client, f"{STATUS}?agent=maria@example.com", {**leg, "CallStatus": "in-progress"})
    twilio_post(client, STATUS, {**leg, "CallStatus": "completed", "SequenceNumber": "2"})

    call = the_call()
    assert (call.status, call.agent_id, call.external_id) == ("talking", agent.id, INCOMING["CallSid"])
