"""The call simulator plays a shift through the real, signed endpoint: Poisson arrivals, exponential talk
times, agents answering first come first served, callers giving up when nobody is free in time."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import func, select

from app.callcenter.calls import cli, simulator
from app.callcenter.calls.models import Call
from app.callcenter.calls.webhooks import signed_headers
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


# -- the desk's agents answer in their consoles (--agents 0) -------------------------------------------


class Shift:
    """A clock that moves only when the simulator sleeps, and a desk whose agents take the calls named."""

    def __init__(self, answers: dict[str, float]):
        self.now = 0.0
        self.answers = answers  # call id -> when (real seconds) an agent accepts its offer
        self.sent: list[tuple[float, str, str]] = []  # (when, type, call id)

    def sleep(self, seconds):
        self.now += seconds

    def clock(self):
        return self.now

    def send(self, body, headers):
        event = json.loads(body)
        self.sent.append((self.now, event["type"], event["call_id"]))
        return 200

    def status_of(self, call_id):
        ended = any(kind != "call.offered" and sent == call_id for _at, kind, sent in self.sent)
        if ended:
            return "ended"
        answered_at = self.answers.get(call_id)
        return "talking" if answered_at is not None and self.now >= answered_at else "queued"


def desk_calls():
    return [
        simulator.DeskCall(0, arrives=0.0, patience=30.0, talk=60.0),
        simulator.DeskCall(1, arrives=10.0, patience=20.0, talk=60.0),
    ]


def test_with_the_desk_answering_the_simulator_only_offers_ends_answered_calls_and_hangs_up_on_the_rest():
    shift = Shift(
        answers={"sim-r-0": 5.0}
    )  # an agent accepts the first call 5 s after it rings; nobody the second

    summary = simulator.play_for_the_desk(
        desk_calls(),
        send=shift.send,
        secret=SECRET,
        status_of=shift.status_of,
        queue="Sales",
        speed=1.0,
        poll=1.0,
        sleep=shift.sleep,
        clock=shift.clock,
        run="r",
    )

    # No call.answered from the simulator: the console's accept is the answer. The first call ends its
    # talk time after the answer; the second caller gives up when their patience runs out.
    assert shift.sent == [
        (0.0, "call.offered", "sim-r-0"),
        (10.0, "call.offered", "sim-r-1"),
        (30.0, "call.abandoned", "sim-r-1"),
        (65.0, "call.ended", "sim-r-0"),
    ]
    assert (summary.calls, summary.answered, summary.abandoned) == (2, 1, 1)
    assert summary.answered_in_time == 1
    assert summary.failures == 0


def test_a_call_the_desk_already_closed_is_left_alone():
    shift = Shift(answers={})
    calls = [simulator.DeskCall(0, arrives=0.0, patience=30.0, talk=60.0)]
    shift.status_of = lambda call_id: "abandoned"

    summary = simulator.play_for_the_desk(
        calls,
        send=shift.send,
        secret=SECRET,
        status_of=shift.status_of,
        queue=None,
        speed=1.0,
        sleep=shift.sleep,
        clock=shift.clock,
        run="r",
    )

    assert [kind for _at, kind, _call in shift.sent] == ["call.offered"]
    assert summary.abandoned == summary.answered == 0


def test_desk_callers_repeat_for_the_same_seed_and_the_desk_mode_needs_real_time():
    def callers():
        return simulator.plan_desk_calls(
            rate=6.0, aht=30.0, minutes=10.0, patience=60.0, rng=random.Random(5)
        )

    assert callers() == callers()
    assert 30 < len(callers()) < 100
    with pytest.raises(ValueError):
        simulator.play_for_the_desk(callers(), send=None, secret=SECRET, status_of=None, queue=None, speed=0)


def test_the_command_with_no_agents_lets_the_desk_answer(app, client, monkeypatch, presence_moves, routed):
    """The command watches the desk's own record of each call: here the desk's agent takes every even
    call (its answer recorded on the desk, as the console's accept does), and the odd callers give up."""
    agent = AgentFactory(email="desk-1@example.com")
    db.session.commit()
    through = _through(client)

    def desk(body, headers):
        status = through(body, headers)
        event = json.loads(body)
        if event["type"] == "call.offered" and int(event["call_id"].rsplit("-", 1)[1]) % 2 == 0:
            answer = {**event, "id": event["id"] + "-desk", "type": "call.answered", "agent": agent.id}
            answered = json.dumps(answer).encode()
            through(answered, signed_headers(SECRET, answered))
        return status

    monkeypatch.setattr(cli, "_poster", lambda url: desk)

    result = app.test_cli_runner().invoke(
        args=[
            "callcenter",
            "simulate",
            "--rate",
            "6",
            "--aht",
            "30",
            "--agents",
            "0",
            "--minutes",
            "1",
            "--patience",
            "30",
            "--speed",
            "60",
            "--seed",
            "4",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "answered by the desk's agents" in result.output
    assert "failed: 0" in result.output
    statuses = dict(db.session.execute(select(Call.status, func.count()).group_by(Call.status)).all())
    assert set(statuses) <= {"ended", "abandoned"}
    assert sum(statuses.values()) >= 2
    assert db.session.scalar(select(func.count()).where(Call.agent_id == agent.id)) == statuses.get("ended")


def test_the_command_with_no_agents_refuses_to_run_flat_out(app):
    result = app.test_cli_runner().invoke(args=["callcenter", "simulate", "--agents", "0", "--speed", "0"])

    assert result.exit_code != 0
    assert "--speed" in result.output
