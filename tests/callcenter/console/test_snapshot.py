"""`GET /api/v1/callcenter/console`: what the calling agent's console shows as of now, and the rooms
whose live events follow it."""

from __future__ import annotations

from datetime import timedelta

from app.callcenter import live
from app.callcenter.calls.models import Call
from app.callcenter.models import BreakReason
from app.callcenter.presence.models import AgentPresence
from app.callcenter.routing.models import Offer, WorkItem
from app.dbtypes import utcnow
from app.extensions import db
from app.tickets.sla.models import SlaTarget
from tests.callcenter.console.helpers import team_queue
from tests.customer_factories import CustomerFactory
from tests.factories import AgentFactory
from tests.helpers import ApiClient, undocumented_nulls
from tests.ticket_factories import QueueFactory, TicketFactory

URL = "/api/v1/callcenter/console"


def _add(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_a_new_agent_is_offline_with_nothing_to_do(app, agent):
    answer = ApiClient.for_agent(app, agent).get(URL)

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["agent"] == {"id": agent.id, "name": agent.name}
    assert body["presence"] == {"state": "offline", "reason_id": None, "reason": None, "since": None}
    assert (body["offers"], body["tickets"], body["calls"]) == ([], [], [])
    assert body["rooms"] == {f"agent:{agent.id}": 0, "queue:0": 0}


def test_presence_and_break_reasons(app, agent):
    (lunch,) = _add(BreakReason(name="Lunch"))
    _add(AgentPresence(agent_id=agent.id, state="break", reason_id=lunch.id, since=utcnow()))

    body = ApiClient.for_agent(app, agent).get(URL).get_json()

    assert body["presence"]["state"] == "break"
    assert (body["presence"]["reason_id"], body["presence"]["reason"]) == (lunch.id, "Lunch")
    assert body["break_reasons"] == [{"id": lunch.id, "name": "Lunch"}]


def test_pending_offers_with_the_customer_to_pop(app, agent):
    other = AgentFactory()
    customer = CustomerFactory(name="Mia Wong", value_tier="gold")
    queue = QueueFactory(name="Phones")
    calls = _add(
        Call(provider="pbx", external_id="c1", caller="+15550100", queue_id=queue.id, offered_at=utcnow()),
        Call(provider="pbx", external_id="c2", caller="+15550101", queue_id=queue.id, offered_at=utcnow()),
    )
    now = utcnow()
    mine, theirs = _add(
        WorkItem(kind="call", subject_id=calls[0].id, queue_id=queue.id, customer_id=customer.id),
        WorkItem(kind="call", subject_id=calls[1].id, queue_id=queue.id),
    )
    pending, _theirs = _add(
        Offer(
            work_item_id=mine.id, agent_id=agent.id, offered_at=now, expires_at=now + timedelta(seconds=20)
        ),
        Offer(
            work_item_id=theirs.id, agent_id=other.id, offered_at=now, expires_at=now + timedelta(seconds=20)
        ),
    )

    client = ApiClient.for_agent(app, agent)
    offers = client.get(URL).get_json()["offers"]

    assert [offer["offer_id"] for offer in offers] == [pending.id]
    offer = offers[0]
    assert (offer["kind"], offer["subject_id"], offer["queue"], offer["timeout_seconds"]) == (
        "call",
        calls[0].id,
        "Phones",
        20,
    )
    assert (offer["title"], offer["caller"]) == ("Call from +15550100", "+15550100")
    assert offer["customer"] | {"contact_points": []} == {
        "id": customer.id,
        "name": "Mia Wong",
        "value_tier": "gold",
        "lifecycle_stage": customer.lifecycle_stage,
        "churn_risk": customer.churn_risk,
        "contact_points": [],
        "tickets": 0,
    }


def test_an_expired_offer_is_not_shown(app, agent):
    queue = QueueFactory()
    call = _add(
        Call(provider="pbx", external_id="c1", caller="+15550100", queue_id=queue.id, offered_at=utcnow())
    )[0]
    item = _add(WorkItem(kind="call", subject_id=call.id, queue_id=queue.id))[0]
    now = utcnow()
    _add(
        Offer(work_item_id=item.id, agent_id=agent.id, offered_at=now, expires_at=now - timedelta(seconds=1))
    )

    assert ApiClient.for_agent(app, agent).get(URL).get_json()["offers"] == []


def test_open_tickets_assigned_to_the_agent_soonest_due_first(app, agent):
    now = utcnow()
    later = TicketFactory(assignee_id=agent.id, status="open", subject="Later")
    sooner = TicketFactory(assignee_id=agent.id, status="pending", subject="Sooner")
    TicketFactory(assignee_id=agent.id, status="solved")
    TicketFactory(assignee_id=AgentFactory().id, status="open")
    _add(
        SlaTarget(
            ticket_id=later.id,
            kind="resolution",
            target_seconds=60,
            started_at=now,
            due_at=now + timedelta(hours=2),
        ),
        SlaTarget(
            ticket_id=sooner.id,
            kind="first_response",
            target_seconds=60,
            started_at=now,
            due_at=now + timedelta(minutes=5),
        ),
        SlaTarget(
            ticket_id=sooner.id,
            kind="resolution",
            target_seconds=60,
            started_at=now,
            due_at=now + timedelta(minutes=1),
            met_at=now,
        ),
    )

    tickets = ApiClient.for_agent(app, agent).get(URL).get_json()["tickets"]

    assert [ticket["subject"] for ticket in tickets] == ["Sooner", "Later"]
    assert [(due["target"], due["breached"]) for due in tickets[0]["sla"]] == [("first_response", False)]


def test_tickets_in_a_queue_the_agent_no_longer_sees_are_left_out(app, agent):
    hidden = team_queue(AgentFactory())
    TicketFactory(assignee_id=agent.id, status="open", queue_id=hidden.id)

    assert ApiClient.for_agent(app, agent).get(URL).get_json()["tickets"] == []


def test_active_calls_and_ended_ones_not_wrapped_up(app, agent):
    now = utcnow()

    def call(name, status, **values):
        return Call(
            provider="pbx",
            external_id=name,
            caller=name,
            status=status,
            agent_id=agent.id,
            offered_at=now,
            **values,
        )

    _add(
        call("talking", "talking", answered_at=now),
        call("wrapping", "ended", answered_at=now, ended_at=now),
        call("done", "ended", answered_at=now, ended_at=now, wrap_up_ended_at=now),
        call("abandoned", "abandoned"),
        Call(
            provider="pbx", external_id="theirs", status="talking", agent_id=AgentFactory().id, offered_at=now
        ),
    )

    calls = ApiClient.for_agent(app, agent).get(URL).get_json()["calls"]

    assert sorted((call["caller"], call["status"]) for call in calls) == [
        ("talking", "talking"),
        ("wrapping", "ended"),
    ]


def test_rooms_carry_their_last_numbers(app, agent):
    queue = team_queue(agent)
    live.publish("work.changed", {}, rooms=[f"queue:{queue.id}"])
    live.publish("work.changed", {}, rooms=[f"queue:{queue.id}"])

    rooms = ApiClient.for_agent(app, agent).get(URL).get_json()["rooms"]

    assert rooms == {f"agent:{agent.id}": 0, f"team:{queue.team_id}": 0, "queue:0": 0, f"queue:{queue.id}": 2}


def test_every_null_the_snapshot_holds_is_documented(app, agent):
    client = ApiClient.for_agent(app, agent)

    assert undocumented_nulls(client.client, "Console", client.get(URL).get_json()) == set()


def test_nobody_signed_in_gets_401(client):
    assert client.get(URL).status_code == 401


def test_the_rooms_numbers_are_read_before_what_the_snapshot_shows(app, agent, monkeypatch):
    """News published while the snapshot is read (after its change's commit) is numbered past the
    snapshot's numbers, so the console applies it rather than taking it for old."""
    from app.callcenter.console import services

    read_offers = services._pending_offers

    def offers_then_news(who):
        offers = read_offers(who)
        live.publish("offer.new", {"offer_id": 1}, rooms=[f"agent:{who.id}"])
        return offers

    monkeypatch.setattr(services, "_pending_offers", offers_then_news)

    body = ApiClient.for_agent(app, agent).get(URL).get_json()

    assert body["offers"] == []
    assert body["rooms"][f"agent:{agent.id}"] == 0
