"""Routing over HTTP: agents answer and list their offers, supervisors set each queue's routing rules;
and how routing's jobs are booked (coalesced per queue, a timeout at each offer's expiry)."""

from __future__ import annotations

from app.callcenter.presence.models import AgentPresence, PresenceState
from app.callcenter.presence.signals import presence_changed
from app.callcenter.routing import services as routing
from app.callcenter.routing.models import OfferOutcome
from app.extensions import db
from app.queue import get_queue
from tests.callcenter.routing.helpers import offers, open_ticket, pending, queue_for, ready_agent, stage_call
from tests.helpers import ApiClient
from tests.ticket_factories import QueueFactory


def test_an_agent_accepts_their_offer_and_lists_their_own_offers(app):
    agent = ready_agent()
    queue = queue_for(agent)
    ticket = open_ticket(queue)
    api = ApiClient.for_agent(app, agent)
    offer_id = offers()[0].id

    accepted = api.post(f"/api/v1/callcenter/offers/{offer_id}/accept")
    again = api.post(f"/api/v1/callcenter/offers/{offer_id}/accept")
    listed = api.get("/api/v1/callcenter/offers?outcome=accepted")

    assert accepted.status_code == 200
    assert accepted.json["outcome"] == "accepted"
    assert (accepted.json["kind"], accepted.json["subject_id"]) == ("ticket", ticket.id)
    assert again.status_code == 409
    assert [row["id"] for row in listed.json] == [offer_id]


def test_an_agent_sees_only_their_own_offers_and_a_supervisor_anyones(app, supervisor):
    first = ready_agent(idle_minutes=10)
    second = ready_agent(idle_minutes=1)
    queue = queue_for(first, second)
    stage_call(1, queue)
    stage_call(2, queue)

    mine = ApiClient.for_agent(app, first).get("/api/v1/callcenter/offers")
    theirs = ApiClient.for_agent(app, first).get(f"/api/v1/callcenter/offers?agent_id={second.id}")
    chosen = ApiClient.for_agent(app, supervisor).get(f"/api/v1/callcenter/offers?agent_id={second.id}")

    assert [row["agent_id"] for row in mine.json] == [first.id]
    assert theirs.status_code == 404
    assert [row["agent_id"] for row in chosen.json] == [second.id]


def test_declining_over_http_offers_the_work_to_the_next_agent(app):
    first = ready_agent(idle_minutes=10)
    second = ready_agent(idle_minutes=1)
    queue = queue_for(first, second)
    stage_call(1, queue)

    answer = ApiClient.for_agent(app, first).post(f"/api/v1/callcenter/offers/{offers()[0].id}/decline")

    assert answer.json["outcome"] == "declined"
    assert pending() == [(second.id, "call", 1)]


def test_a_supervisor_reads_and_sets_a_queues_routing_rules(as_supervisor):
    queue, spare = QueueFactory(), QueueFactory()
    path = f"/api/v1/callcenter/queues/{queue.id}/routing"

    defaults = as_supervisor.get(path)
    changed = as_supervisor._call(
        "PUT",
        path,
        json={
            "claim_allowed": False,
            "offer_timeout_seconds": 45,
            "overflow_queue_id": spare.id,
            "overflow_after_seconds": 300,
        },
    )

    assert defaults.json == {
        "queue_id": queue.id,
        "claim_allowed": True,
        "offer_timeout_seconds": 20,
        "overflow_queue_id": None,
        "overflow_after_seconds": None,
    }
    assert changed.status_code == 200
    assert as_supervisor.get(path).json == {
        "queue_id": queue.id,
        "claim_allowed": False,
        "offer_timeout_seconds": 45,
        "overflow_queue_id": spare.id,
        "overflow_after_seconds": 300,
    }


def test_a_change_of_routing_rules_is_in_the_settings_trail_as_a_change_of_the_queue(
    as_supervisor, supervisor
):
    from sqlalchemy import select

    from app.accounts.models import SettingChange

    queue = QueueFactory()
    path = f"/api/v1/callcenter/queues/{queue.id}/routing"

    as_supervisor._call("PUT", path, json={"claim_allowed": False, "offer_timeout_seconds": 20})

    [change] = db.session.scalars(select(SettingChange)).all()
    assert (change.kind, change.setting_id, change.action) == ("queue", queue.id, "updated")
    assert change.changes == {"claim_allowed": [True, False]}
    assert change.actor_id == supervisor.id


def test_routing_rules_out_of_bounds_are_refused_with_field_messages(as_supervisor):
    queue = QueueFactory()
    path = f"/api/v1/callcenter/queues/{queue.id}/routing"

    short = as_supervisor._call("PUT", path, json={"offer_timeout_seconds": 4})
    long = as_supervisor._call("PUT", path, json={"offer_timeout_seconds": 601})
    itself = as_supervisor._call("PUT", path, json={"overflow_queue_id": queue.id})
    missing = as_supervisor._call("PUT", f"/api/v1/callcenter/queues/{queue.id + 99}/routing", json={})

    assert short.status_code == long.status_code == 422
    assert "offer_timeout_seconds" in str(short.json["errors"])
    assert itself.status_code == 422
    assert "overflow_queue_id" in str(itself.json["errors"])
    assert missing.status_code == 404


def test_the_offer_timeout_of_the_queue_sets_each_offers_expiry(app):
    agent = ready_agent()
    queue = queue_for(agent, offer_timeout_seconds=45)
    stage_call(1, queue)

    offer = offers()[0]

    assert (offer.expires_at - offer.offered_at).total_seconds() == 45


def test_an_agent_becoming_available_has_the_waiting_work_routed(app):
    agent = ready_agent(state=PresenceState.OFFLINE)
    queue = queue_for(agent)
    stage_call(1, queue)
    assert pending() == []

    presence = db.session.get(AgentPresence, agent.id)
    presence.state = PresenceState.AVAILABLE
    db.session.commit()
    presence_changed.send(
        presence,
        agent_id=agent.id,
        state=PresenceState.AVAILABLE,
        previous="offline",
        reason_id=None,
        actor_id=None,
    )

    assert pending() == [(agent.id, "call", 1)]


def test_an_agent_going_on_break_has_their_offer_withdrawn_and_the_work_goes_on(app):
    leaving = ready_agent(idle_minutes=10)
    staying = ready_agent(idle_minutes=1)
    queue = queue_for(leaving, staying)
    stage_call(1, queue)

    presence = db.session.get(AgentPresence, leaving.id)
    presence.state = PresenceState.BREAK
    db.session.commit()
    presence_changed.send(
        presence,
        agent_id=leaving.id,
        state=PresenceState.BREAK,
        previous="available",
        reason_id=None,
        actor_id=None,
    )

    assert [offer.outcome for offer in offers()] == [OfferOutcome.WITHDRAWN, OfferOutcome.PENDING]
    assert pending() == [(staying.id, "call", 1)]


def test_routing_soon_enqueues_one_job_per_queue_until_it_runs(app):
    app.config["RQ_ASYNC"] = True
    queue = QueueFactory()

    routing.route_soon(queue.id)
    routing.route_soon(queue.id)
    assert get_queue().count == 1

    routing.route_started(queue.id)
    routing.route_soon(queue.id)
    assert get_queue().count == 2


def test_each_offer_books_its_timeout_at_its_expiry(app):
    app.config["RQ_ASYNC"] = True
    agent = ready_agent()
    queue = queue_for(agent)
    routing.stage_work("call", 1, queue_id=queue.id)
    db.session.commit()

    [offer] = routing.route_queue(queue.id)

    scheduled = get_queue().scheduled_job_registry
    [job_id] = scheduled.get_job_ids()
    job = get_queue().fetch_job(job_id)
    assert job.func_name == "app.callcenter.routing.jobs.time_out_offer"
    assert job.args == (offer.id,)
    assert offers()[0].outcome == OfferOutcome.PENDING
