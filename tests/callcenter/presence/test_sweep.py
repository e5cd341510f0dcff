"""The presence sweep: no agent stays in a state without a console on a live process once their grace
period is over, whoever lost track of them (a closed tab whose job was lost, a process that died)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.registry import ScheduledJobRegistry

from app.callcenter.live import AGENTS_NAMESPACE
from app.callcenter.presence import connections, jobs, services
from app.queue import get_queue
from tests.callcenter.presence.presence_helpers import console
from tests.factories import AgentFactory

GRACE = timedelta(seconds=30)  # PRESENCE_GRACE_SECONDS by default


def state_of(agent) -> str:
    return services.current_presence(agent.id).state


def test_an_agent_without_a_console_goes_offline_once_their_grace_period_has_passed(app, agent):
    since = services.set_presence(agent.id, "available", actor=agent).since

    assert services.sweep_presence(now=since + GRACE - timedelta(seconds=1)) == services.Swept(0, 0)
    assert state_of(agent) == "available"
    assert services.sweep_presence(now=since + GRACE) == services.Swept(offline=1, available=0)
    assert state_of(agent) == "offline"


def test_the_grace_period_counts_from_the_last_console_closing(app, agent):
    services.set_presence(agent.id, "busy", actor=None)
    console(app, agent).disconnect(namespace=AGENTS_NAMESPACE)
    closed_at = connections.away(agent.id).at

    services.sweep_presence(now=closed_at + GRACE - timedelta(seconds=1))
    assert state_of(agent) == "busy"
    services.sweep_presence(now=closed_at + GRACE)
    assert state_of(agent) == "offline"


def test_an_agent_with_a_console_on_a_live_process_keeps_their_state(app, agent):
    since = services.set_presence(agent.id, "available", actor=agent).since
    console(app, agent)

    services.sweep_presence(now=since + timedelta(days=1))

    assert state_of(agent) == "available"


def test_the_consoles_of_a_process_that_died_stop_counting(app, agent):
    since = services.set_presence(agent.id, "available", actor=agent).since
    console(app, agent)
    process = app.extensions["presence.process"]
    app.extensions["redis"].delete(f"{connections.PREFIX}:process:{process.id}")  # its beats lapsed

    services.sweep_presence(now=since + GRACE)

    assert state_of(agent) == "offline"
    assert not connections.connected(agent.id)


def test_offline_agents_are_left_alone(app, agent):
    services.set_presence(agent.id, "available", actor=agent)
    services.set_presence(agent.id, "offline", actor=agent)
    AgentFactory()  # never had a state

    assert services.sweep_presence(now=datetime.now(UTC) + timedelta(days=1)) == services.Swept(0, 0)


def test_the_sweep_is_booked_once_per_interval_however_many_workers_start(app):
    app.config["PRESENCE_SWEEP_INTERVAL_SECONDS"] = 30

    jobs.schedule_periodic_jobs(app)
    jobs.schedule_periodic_jobs(app)  # a second worker starting

    booked = ScheduledJobRegistry(queue=get_queue()).get_job_ids()
    [job_id] = [job_id for job_id in booked if job_id.startswith("callcenter-presence-sweep-")]
    assert int(job_id.rsplit("-", 1)[1]) % 30 == 0
