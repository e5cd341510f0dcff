"""Consoles keep presence alive: the `presence.set` event, and what happens when consoles come and go
(Flask-SocketIO's test client in-process; the delayed jobs run here as a worker would run them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import ScheduledJobRegistry

from app.callcenter import services as callcenter
from app.callcenter.live import AGENTS_NAMESPACE
from app.callcenter.presence import connections, services
from app.queue import get_queue
from tests.callcenter.presence.presence_helpers import booked, connected, console, periods, received, run
from tests.factories import AgentFactory, TeamFactory


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRESENCE_GRACE_SECONDS": 7}


def state_of(agent) -> str:
    return services.current_presence(agent.id).state


def test_an_agent_sets_their_state_from_a_console_and_their_other_consoles_hear_of_it(app, agent):
    lunch = callcenter.create_break_reason(name="Lunch", actor=None)
    here, there = console(app, agent), console(app, agent)

    answer = here.emit(
        "presence.set", {"state": "break", "reason_id": lunch.id}, namespace=AGENTS_NAMESPACE, callback=True
    )

    assert answer["ok"] is True
    assert {k: answer["presence"][k] for k in ("agent_id", "state", "reason")} == {
        "agent_id": agent.id,
        "state": "break",
        "reason": "Lunch",
    }
    [news] = received(there, "presence.changed")
    assert (news["state"], news["reason_id"], news["since"]) == (
        "break",
        lunch.id,
        answer["presence"]["since"],
    )
    assert [set_by for *_, set_by in periods(agent.id)] == [agent.id]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"state": "break"}, {"reason_id": ["Pick a break reason."]}),
        ({"state": "nap"}, {"state": ["Must be one of: available, busy, wrap_up, break, offline."]}),
        ({"state": "break", "reason_id": 0}, {"reason_id": ["Must be an id from 1 to 2147483647."]}),
        ({"state": "break", "reason_id": 404}, {"reason_id": ["No break reason has this id or name."]}),
        ("available", {"state": ["Missing data for required field."]}),
    ],
)
def test_a_state_set_from_a_console_is_refused_with_field_messages(app, agent, data, errors):
    answer = console(app, agent).emit("presence.set", data, namespace=AGENTS_NAMESPACE, callback=True)

    assert answer == {"ok": False, "status": 422, "error": answer["error"], "errors": errors}
    assert state_of(agent) == "offline"


def test_connecting_sets_no_state(app, agent, supervisor):
    services.set_presence(supervisor.id, "available", actor=supervisor)

    console(app, agent)
    console(app, supervisor)

    assert (state_of(agent), state_of(supervisor)) == ("offline", "available")


def test_when_the_last_console_closes_the_agent_goes_offline_after_the_grace_period(app, agent):
    services.set_presence(agent.id, "available", actor=agent)
    first, second = console(app, agent), console(app, agent)

    first.disconnect(namespace=AGENTS_NAMESPACE)
    assert booked("go_offline_if_gone") == []  # another console is open
    second.disconnect(namespace=AGENTS_NAMESPACE)
    [job] = booked("go_offline_if_gone")
    assert state_of(agent) == "available"  # until the grace period is over

    run(job)

    assert state_of(agent) == "offline"
    assert [(state, set_by) for state, _, _, _, set_by in periods(agent.id)] == [
        ("available", agent.id),
        ("offline", None),
    ]


def test_the_grace_period_is_the_configured_one(app, agent):
    closing = console(app, agent)
    before = datetime.now(UTC)
    closing.disconnect(namespace=AGENTS_NAMESPACE)
    after = datetime.now(UTC)

    [job] = booked("go_offline_if_gone")
    due = ScheduledJobRegistry(queue=get_queue()).get_scheduled_time(job)
    assert before.replace(microsecond=0) + timedelta(seconds=7) <= due <= after + timedelta(seconds=7)


def test_a_console_that_comes_back_within_the_grace_period_keeps_the_state(app, agent):
    services.set_presence(agent.id, "available", actor=agent)
    console(app, agent).disconnect(namespace=AGENTS_NAMESPACE)
    [job] = booked("go_offline_if_gone")

    console(app, agent)  # the page reloaded
    run(job)

    assert state_of(agent) == "available"


def test_only_the_job_of_the_last_closing_takes_the_agent_offline(app, agent):
    services.set_presence(agent.id, "available", actor=agent)
    console(app, agent).disconnect(namespace=AGENTS_NAMESPACE)
    [earlier] = booked("go_offline_if_gone")
    console(app, agent).disconnect(namespace=AGENTS_NAMESPACE)
    [later] = [job for job in booked("go_offline_if_gone") if job.id != earlier.id]

    run(earlier)  # its grace is over, but the later closing's is not
    assert state_of(agent) == "available"
    run(later)
    assert state_of(agent) == "offline"


def test_an_agent_who_connects_while_offline_stays_offline_until_they_choose(app, agent):
    services.set_presence(agent.id, "available", actor=agent)
    console(app, agent).disconnect(namespace=AGENTS_NAMESPACE)
    run(booked("go_offline_if_gone")[0])

    back = console(app, agent)

    assert state_of(agent) == "offline"
    assert back.emit("presence.set", {"state": "available"}, namespace=AGENTS_NAMESPACE, callback=True)["ok"]
    assert state_of(agent) == "available"


def test_a_process_writes_its_consoles_again_at_each_beat_should_redis_lose_them(app, agent):
    console(app, agent)
    app.extensions["redis"].flushall()  # Redis restarted empty
    assert not connections.connected(agent.id)

    connections.beat(app)

    assert connections.connected(agent.id)


def test_a_closed_console_is_not_written_back_by_the_next_beat(app, agent):
    console(app, agent).disconnect(namespace=AGENTS_NAMESPACE)

    connections.beat(app)

    assert not connections.connected(agent.id)
    assert connected(console(app, agent))


def test_a_console_hears_of_its_teammates_presence_and_not_of_others(app, agent):
    teammate, stranger = AgentFactory(name="Tea Mate"), AgentFactory()
    TeamFactory(members=[agent, teammate])
    TeamFactory(members=[stranger])
    listening = console(app, agent)

    console(app, teammate).emit("presence.set", {"state": "available"}, namespace=AGENTS_NAMESPACE)
    console(app, stranger).emit("presence.set", {"state": "available"}, namespace=AGENTS_NAMESPACE)

    assert [(news["name"], news["state"]) for news in received(listening, "presence.changed")] == [
        ("Tea Mate", "available")
    ]
