"""The call simulator plays a shift through the real, signed endpoint: Poisson arrivals, exponential talk
times, agents answering first come first served, callers giving up when nobody is free in time."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from app.callcenter.calls import cli, simulator
from app.callcenter.calls.models import Call
from app.extensions import db
from tests.callcenter.calls.conftest import EVENTS, SECRET
from tests.factories import AgentFactory
from tests.ticket_factories import QueueFactory


def plan(**settings):
    values = {"rate": 6.0, "aht": 120.0, "agents": 2, "minutes": 30.0, "patience": 30.0, **settings}
    return simulator.plan_shift(**values, rng=random.Random(7))


def test_a_shift_is_the_same_for_the_same_seed():
    assert plan()[0] == plan()[0]


def test_every_call_is_answered_and_ended_or_abandoned_and_events_are_in_time_order():
    events, summary = plan(rate=10.0, agents=2)

    kinds: dict[int, list[str]] = {}
    for event in events:
        kinds.setdefault(event.call, []).append(event.kind)
    assert summary.calls == len(kinds) > 100  # about 300 expected
    assert summary.answered + summary.abandoned == summary.calls
    for lifecycle in kinds.values():
        assert lifecycle in (
            ["call.offered", "call.answered", "call.ended"],
            ["call.offered", "call.abandoned"],
        )
    assert [event.at for event in events] == sorted(event.at for event in events)


def test_more_agents_than_calls_need_leave_nobody_abandoned():
    _events, summary = plan(rate=1.0, aht=10.0, agents=5)

    assert summary.abandoned == 0
    assert summary.answered_in_time == summary.calls


def test_an_overloaded_queue_loses_callers():
    _events, summary = plan(rate=20.0, aht=300.0, agents=1, patience=20.0)

    assert summary.abandoned > summary.answered


def _through(client):
    def send(body, headers):
        return client.post(EVENTS, data=body, headers=headers).status_code

    return send


def test_the_shift_is_played_through_the_signed_endpoint(client, presence_moves, routed):
    queue = QueueFactory(name="Sales")
    agents = [AgentFactory().email, AgentFactory().email]
    events, summary = plan(minutes=5.0)
    slept = []

    played = simulator.play(
        events,
        summary,
        send=_through(client),
        secret=SECRET,
        agent_names=agents,
        queue="Sales",
        speed=60.0,
        sleep=slept.append,
        clock=lambda: 0.0,
    )

    assert played.failures == 0
    assert played.statuses == {200: len(events)}
    assert db.session.scalar(select(func.count()).select_from(Call)) == summary.calls
    assert db.session.scalar(select(func.count()).where(Call.queue_id == queue.id)) == summary.calls
    statuses = dict(db.session.execute(select(Call.status, func.count()).group_by(Call.status)).all())
    assert statuses == {
        "ended": summary.answered,
        **({"abandoned": summary.abandoned} if summary.abandoned else {}),
    }
    # Played 60 times faster: each event waits for its moment (the clock stands still here).
    assert slept == [event.at / 60.0 for event in events if event.at > 0]


def test_a_wrong_secret_fails_every_event(client):
    events, summary = plan(minutes=2.0)

    played = simulator.play(
        events, summary, send=_through(client), secret="wrong", agent_names=[], queue=None, speed=0
    )

    assert played.failures == played.events_sent == len(events)
    assert played.statuses == {401: len(events)}


def test_the_command_runs_a_short_shift_and_prints_a_summary(
    app, client, monkeypatch, presence_moves, routed
):
    AgentFactory(email="sim-1@example.com")
    monkeypatch.setattr(cli, "_poster", lambda url: _through(client))

    result = app.test_cli_runner().invoke(
        args=[
            "callcenter",
            "simulate",
            "--rate",
            "6",
            "--aht",
            "60",
            "--agents",
            "1",
            "--minutes",
            "3",
            "--speed",
            "0",
            "--seed",
            "3",
            "--agent-emails",
            "sim-1@example.com",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "calls offered:" in result.output
    assert "failed: 0" in result.output
