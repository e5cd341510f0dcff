"""The signed telephony webhook: only the PBX holding the shared secret is heard, a recorded request
cannot be replayed, and events arriving twice or out of order give the same call record."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from app.callcenter import live
from app.callcenter.calls.models import Call, CallbackRequest, CallEvent
from app.callcenter.calls.signals import call_changed
from app.callcenter.calls.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from app.callcenter.routing.models import WorkItem
from app.extensions import db
from tests.callcenter.calls.conftest import EVENTS, SECRET, at, event, send
from tests.customer_factories import CustomerFactory
from tests.helpers import captured
from tests.ticket_factories import QueueFactory


def the_call() -> Call:
    db.session.expire_all()
    return db.session.scalars(select(Call)).one()


# -- signatures -----------------------------------------------------------------------------------------


def test_a_signed_event_is_recorded(client, presence_moves, routed):
    queue = QueueFactory(name="Billing")

    response = send(client, event("call.offered", "e-1", caller="+14155550100", queue="Billing"))

    assert response.status_code == 200
    call = the_call()
    assert response.json == {"call_id": call.id, "status": "queued", "duplicate": False}
    assert (call.provider, call.external_id, call.queue_id, call.caller) == (
        "pbx",
        "c-1",
        queue.id,
        "+14155550100",
    )


def test_an_unsigned_request_is_refused(client):
    response = client.post(EVENTS, json=event("call.offered", "e-1"))

    assert response.status_code == 401
    assert db.session.scalars(select(Call)).all() == []


def test_a_signature_made_with_another_secret_is_refused(client):
    assert send(client, event("call.offered", "e-1"), secret="guessed").status_code == 401


def test_a_body_changed_after_signing_is_refused(client):
    raw = json.dumps(event("call.offered", "e-1")).encode()
    timestamp = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(SECRET, timestamp, raw)}

    response = client.post(
        EVENTS, data=raw.replace(b"e-1", b"e-2"), headers=headers, content_type="application/json"
    )

    assert response.status_code == 401


def test_a_signature_for_another_timestamp_is_refused(client):
    raw = json.dumps(event("call.offered", "e-1")).encode()
    now = int(time.time())
    headers = {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: signature(SECRET, now - 1, raw)}

    assert client.post(EVENTS, data=raw, headers=headers, content_type="application/json").status_code == 401


@pytest.mark.parametrize("offset", [-301, 301, -86400], ids=["old", "future", "a-day-old"])
def test_a_request_signed_more_than_five_minutes_away_is_refused_as_a_replay(client, offset):
    response = send(client, event("call.offered", "e-1"), now=time.time() + offset)

    assert response.status_code == 401
    assert "replay" in response.json["message"]


def test_a_request_signed_within_five_minutes_is_accepted(client):
    assert send(client, event("call.offered", "e-1"), now=time.time() - 290).status_code == 200


@pytest.mark.parametrize("timestamp", ["", "soon", "1e9", "-5", "\u0661" * 10])
def test_a_timestamp_that_is_not_unix_seconds_is_refused(client, timestamp):
    raw = json.dumps(event("call.offered", "e-1")).encode()
    headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(SECRET, timestamp, raw)}

    assert client.post(EVENTS, data=raw, headers=headers, content_type="application/json").status_code == 401


def test_without_a_configured_secret_every_event_is_refused(app, client):
    app.config["TELEPHONY_WEBHOOK_SECRET"] = ""

    response = send(client, event("call.offered", "e-1"), secret="")

    assert response.status_code == 401
    assert "TELEPHONY_WEBHOOK_SECRET is not set" in response.json["message"]


def test_a_signed_body_that_is_not_an_event_gets_field_messages(client):
    response = send(client, {"id": "e-1", "type": "call.exploded", "timestamp": "yesterday"})

    assert response.status_code == 422
    assert set(response.json["errors"]) == {"type", "call_id", "timestamp"}


def test_an_unknown_queue_or_agent_is_a_field_message_and_stores_nothing(client):
    offered = send(client, event("call.offered", "e-1", queue="Nowhere"))
    answered = send(client, event("call.answered", "e-2", agent="nobody@example.com"))

    assert (offered.status_code, answered.status_code) == (422, 422)
    assert offered.json["errors"] == {"queue": ["No such queue."]}
    assert answered.json["errors"] == {"agent": ["No such agent."]}
    assert db.session.scalars(select(CallEvent)).all() == []


# -- idempotent and tolerant of order -------------------------------------------------------------------


def test_a_repeated_event_changes_nothing_and_answers_as_the_first(client, agent, presence_moves):
    first = send(client, event("call.answered", "e-2", at=at(5), agent=agent.email))
    again = send(client, event("call.answered", "e-2", at=at(50), agent=agent.email))

    assert first.status_code == again.status_code == 200
    assert again.json == {**first.json, "duplicate": True}
    assert the_call().answered_at == at(5)
    assert db.session.query(CallEvent).count() == 1
    assert presence_moves == [(agent.id, "busy")]


SHIFT = [
    ("call.offered", "e-1", 0, {"caller": "+14155550100", "queue": "Billing"}),
    ("call.answered", "e-2", 10, {"agent": "alex@example.com"}),
    ("call.held", "e-3", 30, {}),
    ("call.resumed", "e-4", 45, {}),
    ("call.held", "e-5", 60, {}),
    ("call.resumed", "e-6", 70, {}),
    ("call.transferred", "e-7", 80, {"agent": "maria@example.com"}),
    ("call.ended", "e-8", 130, {}),
]


def record(client, events):
    for kind, event_id, seconds, fields in events:
        assert send(client, event(kind, event_id, at=at(seconds), **fields)).status_code == 200
    call = the_call()
    return {
        name: getattr(call, name)
        for name in (
            "status",
            "caller",
            "queue_id",
            "agent_id",
            "offered_at",
            "answered_at",
            "ended_at",
            "abandoned_at",
            "hold_seconds",
            "talk_seconds",
            "transfers",
            "customer_id",
        )
    }


def shift_world():
    from tests.factories import AgentFactory

    QueueFactory(name="Billing")
    AgentFactory(email="alex@example.com")
    return AgentFactory(email="maria@example.com")


@pytest.mark.parametrize(
    "order",
    [
        list(range(8)),
        list(reversed(range(8))),
        [7, 1, 0, 3, 2, 6, 5, 4],
        [0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 7, 0],
    ],
    ids=["in-order", "reversed", "shuffled", "with-repeats"],
)
def test_events_in_any_order_or_repeated_give_the_same_record(client, order, presence_moves, routed):
    maria = shift_world()

    stored = record(client, [SHIFT[index] for index in order])

    assert stored["status"] == "ended"
    assert (stored["offered_at"], stored["answered_at"], stored["ended_at"]) == (at(0), at(10), at(130))
    assert stored["hold_seconds"] == 25  # 15 s and 10 s on hold
    assert stored["talk_seconds"] == 120 - 25
    assert (stored["transfers"], stored["agent_id"], stored["abandoned_at"]) == (1, maria.id, None)


def test_an_answer_arriving_after_the_end_leaves_the_call_ended(client, agent, presence_moves):
    send(client, event("call.offered", "e-1", at=at(0)))
    send(client, event("call.ended", "e-3", at=at(100)))
    response = send(client, event("call.answered", "e-2", at=at(20), agent=agent.id))

    assert response.json["status"] == "ended"
    call = the_call()
    assert (call.answered_at, call.talk_seconds, call.agent_id) == (at(20), 80, agent.id)
    # Nobody is made busy by a call that is over.
    assert (agent.id, "busy") not in presence_moves


def test_an_answer_before_its_offer_creates_the_call_and_the_offer_fills_it_in(client, agent, presence_moves):
    queue = QueueFactory(name="Sales")
    send(client, event("call.answered", "e-2", at=at(8), agent=agent.email))
    response = send(client, event("call.offered", "e-1", at=at(0), caller="+14155550100", queue=queue.id))

    assert response.json["status"] == "talking"
    call = the_call()
    assert (call.offered_at, call.answered_at, call.queue_id, call.caller) == (
        at(0),
        at(8),
        queue.id,
        "+14155550100",
    )
    # Already answered: not put in the queue's line for routing.
    assert db.session.scalars(select(WorkItem)).all() == []


def test_a_call_on_hold_when_it_ends_counts_its_hold_to_the_end(client):
    send(client, event("call.answered", "e-1", at=at(0)))
    send(client, event("call.held", "e-2", at=at(40)))
    send(client, event("call.ended", "e-3", at=at(100)))

    call = the_call()
    assert (call.status, call.hold_seconds, call.talk_seconds, call.held_since) == ("ended", 60, 40, None)


def test_a_held_call_says_so_until_resumed(client):
    send(client, event("call.answered", "e-1", at=at(0)))
    held = send(client, event("call.held", "e-2", at=at(40)))
    resumed = send(client, event("call.resumed", "e-3", at=at(55)))

    assert (held.json["status"], resumed.json["status"]) == ("held", "talking")
    assert the_call().hold_seconds == 15


# -- what an event sets in motion ----------------------------------------------------------------------


def test_an_offered_call_finds_its_customer_by_number_and_waits_in_its_queue(client, routed):
    customer = CustomerFactory(phones=["+14155550100"])
    queue = QueueFactory(name="Billing")

    send(client, event("call.offered", "e-1", caller="(415) 555-0100", queue="Billing"))

    call = the_call()
    assert call.customer_id == customer.id
    item = db.session.scalars(select(WorkItem)).one()
    assert (item.kind, item.subject_id, item.queue_id, item.customer_id) == (
        "call",
        call.id,
        queue.id,
        customer.id,
    )
    assert routed == [queue.id]


def test_an_unknown_caller_is_no_customer(client):
    send(client, event("call.offered", "e-1", caller="+14155550199"))

    assert the_call().customer_id is None


def test_presence_follows_the_call_busy_then_wrap_up(client, agent, presence_moves):
    send(client, event("call.offered", "e-1", at=at(0)))
    send(client, event("call.answered", "e-2", at=at(5), agent=agent.id))
    send(client, event("call.held", "e-3", at=at(10)))
    send(client, event("call.ended", "e-4", at=at(60)))

    assert presence_moves == [(agent.id, "busy"), (agent.id, "wrap_up")]


def test_a_transfer_makes_the_new_agent_busy_and_the_first_wrap_up(client, presence_moves):
    from tests.factories import AgentFactory

    first, second = AgentFactory(), AgentFactory()
    send(client, event("call.answered", "e-1", at=at(0), agent=first.id))
    send(client, event("call.transferred", "e-2", at=at(30), agent=second.email))

    assert presence_moves == [(first.id, "busy"), (second.id, "busy"), (first.id, "wrap_up")]
    assert the_call().transfers == 1


@pytest.mark.parametrize(
    ("ending", "source", "status"),
    [("call.abandoned", "abandoned_call", "abandoned"), ("call.ended", "missed_call", "ended")],
)
def test_a_call_nobody_answered_leaves_one_callback_routed_as_work(client, routed, ending, source, status):
    customer = CustomerFactory(phones=["+14155550100"])
    queue = QueueFactory()
    send(client, event("call.offered", "e-1", at=at(0), caller="+14155550100", queue=queue.id))
    response = send(client, event(ending, "e-2", at=at(45)))
    send(client, event(ending, "e-3", at=at(46)))

    assert response.json["status"] == status
    callback = db.session.scalars(select(CallbackRequest)).one()
    call = the_call()
    assert (callback.source, callback.call_id, callback.customer_id, callback.queue_id, callback.phone) == (
        source,
        call.id,
        customer.id,
        queue.id,
        "+14155550100",
    )
    work = {(item.kind, item.subject_id) for item in db.session.scalars(select(WorkItem))}
    assert ("callback", callback.id) in work
    assert routed.count(queue.id) >= 2


def test_an_answered_call_leaves_no_callback(client):
    send(client, event("call.answered", "e-1", at=at(0)))
    send(client, event("call.ended", "e-2", at=at(10)))

    assert db.session.scalars(select(CallbackRequest)).all() == []


def test_each_change_is_announced_after_its_commit_to_the_agent_and_the_queue(
    app, client, agent, monkeypatch
):
    queue = QueueFactory()
    published = []
    monkeypatch.setattr(
        live,
        "publish",
        lambda name, payload, rooms, **_: name == "call.changed" and published.append((name, payload, rooms)),
    )

    with captured(call_changed) as sent:
        send(client, event("call.offered", "e-1", at=at(0), caller="+14155550100", queue=queue.id))
        send(client, event("call.answered", "e-2", at=at(3), agent=agent.id))
        send(client, event("call.answered", "e-2", at=at(3), agent=agent.id))  # a repeat: no news

    assert [kwargs["status"] for _sender, kwargs in sent] == ["queued", "talking"]
    name, payload, rooms = published[-1]
    assert name == "call.changed"
    assert rooms == [f"agent:{agent.id}", f"queue:{queue.id}"]
    assert (
        payload["status"] == "talking"
        and payload["agent_id"] == agent.id
        and payload["caller"] == "+14155550100"
    )
    assert len(published) == 2


def test_an_answer_arriving_after_the_end_withdraws_the_callback_the_end_seemed_to_owe(client, agent):
    send(client, event("call.offered", "e-1", at=at(0), caller="+14155550100", queue=QueueFactory().id))
    send(client, event("call.ended", "e-3", at=at(100)))
    callback = db.session.scalars(select(CallbackRequest)).one()
    assert callback.status == "waiting"

    send(client, event("call.answered", "e-2", at=at(20), agent=agent.id))

    db.session.expire_all()
    assert db.session.get(CallbackRequest, callback.id).status == "cancelled"
    owed = db.session.scalars(select(WorkItem).where(WorkItem.kind == "callback")).one()
    assert owed.status == "cancelled"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_timestamp_with_no_place_on_the_utc_clock_is_a_field_message(client, moment):
    response = send(client, {**event("call.offered", "e-1"), "timestamp": moment})

    assert response.status_code == 422
    assert response.json["errors"] == {"timestamp": ["Out of range."]}
