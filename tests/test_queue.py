"""Jobs run through RQ on a real Redis server (real layer) and on the embedded in-process stand-in."""

from __future__ import annotations

import time

import pytest
from rq import Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from app.queue import enqueue, make_worker, schedule_periodic_jobs, start_embedded_worker
from tests import backends
from tests.factories import AgentFactory
from tests.sample_jobs import count_agents, outlive_heartbeats


@pytest.fixture
def real_redis_config(app_config):
    url = backends.empty_redis()
    return {**app_config, "REDIS_URL": url, "RQ_ASYNC": True}


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_worker_runs_a_job_from_real_redis_inside_the_app(real_redis_config, request):
    request.getfixturevalue("app_config").update(real_redis_config)
    app = request.getfixturevalue("app")
    AgentFactory.create_batch(2)

    job = enqueue(count_agents)
    assert job.get_status() == "queued"
    make_worker(app).work(burst=True)

    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_embedded_worker_thread_drains_the_in_process_queue(app_config, request):
    app_config["RQ_ASYNC"] = True
    app = request.getfixturevalue("app")
    AgentFactory.create_batch(3)
    start_embedded_worker(app)

    job = enqueue(count_agents)

    deadline = time.monotonic() + 10
    while job.get_status(refresh=True) != "finished" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.return_value() == 3


def test_tests_run_jobs_inline_by_default(app):
    AgentFactory()

    assert enqueue(count_agents).return_value() == 1


def test_a_worker_books_the_periodic_jobs_again_when_redis_comes_back_empty(app):
    """Our Redis keeps nothing on disk: a restart loses the periodic chains, which would otherwise wait
    for the worker's next maintenance pass (ten minutes) to be booked again."""
    connection = app.extensions["redis"]
    schedule_periodic_jobs(app)
    worker = make_worker(app)
    worker.register_birth()
    connection.flushall()  # Redis restarted

    worker.heartbeat()  # the first thing a worker sends once Redis answers again

    booked = ScheduledJobRegistry("default", connection=connection).get_job_ids()
    assert sorted(job_id.rsplit("-", 1)[0] for job_id in booked) == [
        "callcenter-presence-sweep",
        "callcenter-routing-sweep",
        "imports-sweep",
        "tickets-outbox-sweep",
        "tickets-sla-check",
    ]
    assert [listed.name for listed in Worker.all(connection=connection)] == [worker.name]


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_job_whose_worker_died_is_handed_to_the_queue_again_once_its_heartbeats_lapse(
    real_redis_config, request
):
    request.getfixturevalue("app_config").update(real_redis_config, WORKER_HEARTBEAT_SECONDS=5)
    app = request.getfixturevalue("app")
    job = enqueue(count_agents)
    # A worker takes the job and dies before it ends: nothing removes its entry from the registry.
    dying = make_worker(app)
    [queue] = [q for q in dying.queues if q.name == job.origin]
    job, _ = queue.dequeue_any([queue], timeout=None, connection=queue.connection)
    dying.prepare_execution(job)
    registry = StartedJobRegistry(queue.name, connection=queue.connection)
    assert job.id in registry.get_job_ids(cleanup=False)

    # Three missed beats later, a maintenance pass of any worker finds it abandoned.
    registry.cleanup(timestamp=time.time() + 3 * 5 + 1)

    job.refresh()
    assert job.id not in registry.get_job_ids(cleanup=False)
    assert job.get_status() == "scheduled"
    assert job.retries_left == app.config["JOB_RETRY_ATTEMPTS"] - 1
    assert job.id not in FailedJobRegistry(queue.name, connection=queue.connection)


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_job_running_longer_than_the_missed_heartbeats_allow_is_not_taken_for_abandoned(
    real_redis_config, request
):
    request.getfixturevalue("app_config").update(real_redis_config, WORKER_HEARTBEAT_SECONDS=1)
    app = request.getfixturevalue("app")
    # Four seconds of work; its entry would lapse after three without beats.
    job = enqueue(outlive_heartbeats, 4.0)

    make_worker(app).work(burst=True)

    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() is True
