"""Job queue access: one Redis connection per app, RQ queues named by purpose, the worker class.

With `REDIS_URL` unset the app runs embedded: an in-process fakeredis server stands in for Redis and
`start_embedded_worker` drains the queues on a daemon thread of the web process.

Redis may be down: the connection's timeouts bound how long a request waits for it
(`REDIS_CONNECT_TIMEOUT_SECONDS`, `REDIS_SOCKET_TIMEOUT_SECONDS`), and what must happen is in the
database first (the outbox), so callers log a failed enqueue and go on. A worker rides the outage out
(`worker.py`) and, once Redis answers again, books the periodic jobs again at once: a Redis that
restarted empty lost them.

A worker that dies (SIGKILL, a lost machine) leaves its job in RQ's started-job registry. While a job
runs, its worker renews the job's entry there every `WORKER_HEARTBEAT_SECONDS` from a thread of its
own, so an entry lapses only when the worker is gone, however long the job: three missed beats. At its
next maintenance pass (every `WORKER_MAINTENANCE_INTERVAL_SECONDS`) any worker finds the lapsed entry
and hands the job to the queue again under its `Retry` policy (`enqueue` gives every job one), or to the
failed-job registry once its retries are spent. Jobs are idempotent: each one run again after a kill at
any point completes its work once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import fakeredis
from flask import Flask, current_app
from redis import Redis
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import DuplicateJobError, StopRequested
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

QUEUE_NAMES = ("default", "kpi")
# Heartbeats a running job's worker may miss before the job counts as abandoned.
MISSED_HEARTBEATS = 3

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    if url := app.config["REDIS_URL"]:
        connection = Redis.from_url(
            url,
            socket_connect_timeout=app.config["REDIS_CONNECT_TIMEOUT_SECONDS"],
            socket_timeout=app.config["REDIS_SOCKET_TIMEOUT_SECONDS"],
        )
    else:
        connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    app.extensions["redis"] = connection


def redis_connection() -> Redis:
    return current_app.extensions["redis"]


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection(), is_async=current_app.config["RQ_ASYNC"])


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    queue: str = "default",
    delay: timedelta | None = None,
    **kwargs: Any,
) -> Job:
    """Enqueue `func(*args, **kwargs)` (after `delay`, if given); jobs take ids and plain values, never
    ORM objects.

    `func` may be a dotted path, so a service can enqueue its room's job without importing `jobs`. The
    job is retried as `retry_policy()` says when it fails or its worker dies (RQ's `retry=` overrides).
    """
    kwargs.setdefault("retry", retry_policy())
    if delay:
        return get_queue(queue).enqueue_in(delay, func, *args, **kwargs)
    return get_queue(queue).enqueue(func, *args, **kwargs)


def enqueue_or_leave_to_sweep(
    func: Callable[..., Any] | str, *args: Any, delay: timedelta | None = None, **kwargs: Any
) -> Job | None:
    """`enqueue`, for a job that a periodic sweep does anyway when it is lost: with Redis out of reach,
    one warning line (no traceback: an outage would flood the log with them) and None, never an error
    of the request or job that asked."""
    try:
        return enqueue(func, *args, delay=delay, **kwargs)
    except RedisError as error:
        log.warning("Job %s%r not enqueued (its sweep will make up for it): %s", func, args, error)
        return None


def retry_policy() -> Retry | None:
    """`JOB_RETRY_ATTEMPTS` more runs, after `JOB_RETRY_BASE_SECONDS`, then four times as long each
    (none with no attempts)."""
    config = current_app.config
    attempts, base = int(config["JOB_RETRY_ATTEMPTS"]), int(config["JOB_RETRY_BASE_SECONDS"])
    if attempts < 1:
        return None
    return Retry(max=attempts, interval=[base * 4**n for n in range(attempts)])


# A periodic run that fails is kept a day for inspection; runs that succeed need no keeping.
_PERIODIC_FAILURE_TTL = 24 * 3600
_PERIODIC_RESULT_TTL = 600
_PERIODIC_TIMEOUT = 600


def book_next_slot(
    func: Callable[..., Any],
    *,
    name: str,
    interval: int,
    description: str,
    queue: str = "default",
    now: datetime | None = None,
) -> Job:
    """Book `func` at the first boundary of `interval` seconds after `now` (a "slot"), under a job id
    naming that slot: booking again (another worker starting, the running link of a chain booking its
    successor) books nothing new and returns the job already there. Periodic jobs are chains of these."""
    slot = (math.floor((now or datetime.now(UTC)).timestamp() / interval) + 1) * interval
    target = get_queue(queue)
    job = target.create_job(
        func,
        job_id=f"{name}-{slot}",
        description=description,
        result_ttl=_PERIODIC_RESULT_TTL,
        failure_ttl=_PERIODIC_FAILURE_TTL,
        timeout=_PERIODIC_TIMEOUT,
    )
    try:
        return target.schedule_job(job, datetime.fromtimestamp(slot, UTC), unique=True)
    except DuplicateJobError:
        return Job.fetch(job.id, connection=target.connection)


def register_periodic(app: Flask, schedule: Callable[[Flask], None]) -> None:
    """A room hands over how it books its periodic jobs; `schedule(app)` must be idempotent."""
    app.extensions.setdefault("periodic_jobs", []).append(schedule)


# Set in Redis once the periodic jobs are booked there: a Redis that restarted empty has lost both.
PERIODIC_BOOKED_KEY = "switchboard:periodic-jobs-booked"


def schedule_periodic_jobs(app: Flask) -> None:
    """Book every room's periodic jobs (each worker does this at start; booking twice books nothing)."""
    for schedule in app.extensions.get("periodic_jobs", ()):
        schedule(app)
    app.extensions["redis"].set(PERIODIC_BOOKED_KEY, datetime.now(UTC).isoformat())


def periodic_jobs_booked(app: Flask) -> bool:
    """Whether this Redis holds the periodic jobs `schedule_periodic_jobs` booked (False after Redis
    restarted empty)."""
    return bool(app.extensions["redis"].exists(PERIODIC_BOOKED_KEY))


class AppWorker(SimpleWorker):
    """Runs each job in its own app context, so every job gets a fresh database session.

    Jobs run in the worker process itself (no fork per job): they are short, and a forked child would
    inherit the parent's pooled database connections.
    """

    # RQ waits longer and longer between tries to reach a Redis that is down, up to this: a worker
    # finds Redis back within seconds of its return, not a minute.
    max_connection_wait_time = 5.0

    def __init__(self, *args: Any, app: Flask, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.app = app
        self._heartbeats: tuple[threading.Event, threading.Thread] | None = None
        self.stop_requested = False
        self.lost_redis = False

    def perform_job(self, job: Job, queue: Queue) -> bool:
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                self._stop_heartbeats()

    def get_heartbeat_ttl(self, job: Job) -> int:
        # SimpleWorker's is the job's timeout (hours for an import) plus a minute: a dead worker's job
        # would wait that long. Beats from `_beat` keep a live one's entry fresh instead.
        return self.job_monitoring_interval * MISSED_HEARTBEATS

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        super().prepare_job_execution(job, remove_from_intermediate_queue)
        stop = threading.Event()
        beating = threading.Thread(target=self._beat, args=(job, stop), name="rq-heartbeat", daemon=True)
        self._heartbeats = (stop, beating)
        beating.start()

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        # The job's function has returned: no beat may renew an entry the worker is about to remove.
        self._stop_heartbeats()
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def _beat(self, job: Job, stop: threading.Event) -> None:
        """Renew the job's started-registry entry (and the worker's key) until told to stop."""
        while not stop.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job)
            except RedisError as error:
                # Redis away for longer than the entry lives: another worker may run the job again,
                # which its idempotence allows.
                log.warning("Worker %s: heartbeat of job %s failed: %s", self.name, job.id, error)

    def _stop_heartbeats(self) -> None:
        if self._heartbeats is not None:
            stop, beating = self._heartbeats
            self._heartbeats = None
            stop.set()
            beating.join()

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        # Periodic chains live in Redis; should Redis lose them, this books them again.
        schedule_periodic_jobs(self.app)

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        """RQ's heartbeat. The first one of the work loop (sent before each wait for a job and after
        each job) after Redis was out of reach, or lost its data (a restart: our Redis keeps nothing on
        disk), runs the maintenance pass at once rather than at its hour: it restarts RQ's scheduler,
        whose process died with its connection, and books the periodic jobs again
        (`run_maintenance_tasks`). Those sent within a job's bookkeeping (a pipeline) are RQ's alone."""
        if pipeline is not None:
            super().heartbeat(timeout, pipeline)
            return
        if self.stop_requested:
            # Asked to stop while Redis was down: RQ could not note it there, and would go on waiting.
            raise StopRequested()
        try:
            emptied = not periodic_jobs_booked(self.app)
            if emptied and not self.connection.exists(self.key):
                self.register_birth()  # the list of workers went with everything else
            super().heartbeat(timeout)
        except RedisConnectionError:
            self.lost_redis = True
            raise
        if emptied or self.lost_redis:
            self.log.warning("Worker %s: Redis answers again; booking the periodic jobs again", self.name)
            self.run_maintenance_tasks()
            self.lost_redis = False

    def handle_warm_shutdown_request(self) -> None:
        super().handle_warm_shutdown_request()
        self.stop_requested = True


class EmbeddedWorker(AppWorker):
    """The worker thread of embedded mode: signals belong to the main thread, so it installs none."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def make_worker(app: Flask, worker_class: type[AppWorker] = AppWorker) -> AppWorker:
    connection = app.extensions["redis"]
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    maintenance = int(app.config["WORKER_MAINTENANCE_INTERVAL_SECONDS"])
    return worker_class(
        queues,
        connection=connection,
        app=app,
        job_monitoring_interval=int(app.config["WORKER_HEARTBEAT_SECONDS"]),
        maintenance_interval=maintenance,
        # An idle worker waits for a job at most `worker_ttl` - 15 s before it looks at the maintenance
        # clock again (RQ's default waits almost seven minutes): it must wake for each pass.
        worker_ttl=maintenance + 15,
    )


def start_embedded_worker(app: Flask) -> threading.Thread:
    schedule_periodic_jobs(app)
    threading.Thread(
        target=_embedded_scheduler, args=(app,), name="rq-embedded-scheduler", daemon=True
    ).start()
    worker = make_worker(app, EmbeddedWorker)
    thread = threading.Thread(target=worker.work, name="rq-embedded-worker", daemon=True)
    thread.start()
    return thread


def _embedded_scheduler(app: Flask, interval: float = 1.0) -> None:
    """Moves due scheduled jobs onto their queues. RQ's own scheduler runs in a forked process, which
    could not reach the in-process Redis stand-in, so embedded mode runs this loop on a thread."""
    scheduler = RQScheduler(QUEUE_NAMES, connection=app.extensions["redis"])
    while True:
        scheduler.acquire_locks()
        scheduler.enqueue_scheduled_jobs()
        time.sleep(interval)
