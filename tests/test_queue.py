"""Jobs run through RQ on a real Redis server (real layer) and on the embedded in-process stand-in."""

from __future__ import annotations

import time

import pytest
from rq import Worker
from rq.registry import ScheduledJobRegistry

from app.queue import enqueue, make_worker, schedule_periodic_jobs, start_embedded_worker
from tests import backends
from tests.factories import AgentFactory
from tests.sample_jobs import count_agents


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
        "tickets-outbox-sweep",
        "tickets-sla-check",
    ]
    assert [listed.name for listed in Worker.all(connection=connection)] == [worker.name]
