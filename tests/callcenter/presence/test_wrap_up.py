"""Wrap-up (after-call work) lasts at most `WRAP_UP_MAX_SECONDS`: then the agent is available again,
through the job booked when it began or, should that job be lost, the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import ScheduledJobRegistry

from app.callcenter.presence import services
from app.queue import get_queue
from tests.callcenter.presence.presence_helpers import booked, console, periods, run


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WRAP_UP_MAX_SECONDS": 45}


def state_of(agent) -> str:
    return services.current_presence(agent.id).state


def test_a_wrap_up_ends_by_itself_after_its_maximum(app, agent):
    services.set_presence(agent.id, "busy", actor=None)
    before = datetime.now(UTC)
    services.set_presence(agent.id, "wrap_up", actor=None)
    after = datetime.now(UTC)

    [job] = booked("end_wrap_up")
    due = ScheduledJobRegistry(queue=get_queue()).get_scheduled_time(job)
    assert before.replace(microsecond=0) + timedelta(seconds=45) <= due <= after + timedelta(seconds=45)
    run(job)

    assert state_of(agent) == "available"
    assert [(state, set_by) for state, _, _, _, set_by in periods(agent.id)] == [
        ("busy", None),
        ("wrap_up", None),
        ("available", None),
    ]


def test_the_end_of_an_earlier_wrap_up_leaves_a_later_one_alone(app, agent):
    services.set_presence(agent.id, "wrap_up", actor=None)
    [earlier] = booked("end_wrap_up")
    services.set_presence(agent.id, "available", actor=agent)  # done early
    services.set_presence(agent.id, "wrap_up", actor=None)  # the next call's
    [later] = [job for job in booked("end_wrap_up") if job.id != earlier.id]

    run(earlier)
    assert state_of(agent) == "wrap_up"
    run(later)
    assert state_of(agent) == "available"


def test_a_wrap_up_left_by_hand_is_not_ended_again(app, agent, supervisor):
    services.set_presence(agent.id, "wrap_up", actor=None)
    services.set_presence(agent.id, "offline", actor=supervisor)

    run(booked("end_wrap_up")[0])

    assert state_of(agent) == "offline"


def test_the_sweep_ends_an_overdue_wrap_up_whose_job_was_lost(app, agent):
    console(app, agent)
    since = services.set_presence(agent.id, "wrap_up", actor=None).since

    services.sweep_presence(now=since + timedelta(seconds=44))
    assert state_of(agent) == "wrap_up"
    assert services.sweep_presence(now=since + timedelta(seconds=45)) == services.Swept(
        offline=0, available=1
    )
    assert state_of(agent) == "available"
