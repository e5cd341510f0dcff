"""The job worker process: `python worker.py` runs an RQ worker on every queue inside the app.

It outlives Redis outages. RQ's worker waits out a Redis that refuses connections by itself (and then
books the periodic jobs again, `app.queue.AppWorker.heartbeat`), but stops on others: a command that
timed out, Redis gone in the middle of a job's bookkeeping. Then this process waits until Redis
answers and starts a new worker, rather than exiting; it exits only when asked to (SIGTERM, SIGINT).
"""

from __future__ import annotations

import logging
import signal
import time

from redis.exceptions import RedisError

from app import create_app
from app.queue import make_worker, schedule_periodic_jobs

log = logging.getLogger("worker")
# Between tries to reach Redis again, after a worker stopped because of it.
RETRY_SECONDS = 2.0


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app()
    if not app.config["REDIS_URL"]:
        raise SystemExit("worker.py needs REDIS_URL; embedded mode runs its worker inside the web process.")
    while True:
        wait_for_redis(app)
        worker = make_worker(app)
        try:
            schedule_periodic_jobs(app)
            worker.work(with_scheduler=True)
        except RedisError as error:
            log.warning("Worker stopped: Redis out of reach (%s); a new one starts when it is back", error)
        if worker.stop_requested:
            return
        # RQ's handlers would ask Redis about the stopped worker: until the next one, a signal just ends us.
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        log.warning("The worker stopped without being asked to; starting a new one")


def wait_for_redis(app) -> None:
    """Return once Redis answers; say so once while it does not."""
    said = False
    while True:
        try:
            app.extensions["redis"].ping()
            return
        except RedisError as error:
            if not said:
                log.warning("Redis is out of reach (%s); trying again every %g s", error, RETRY_SECONDS)
                said = True
        time.sleep(RETRY_SECONDS)


if __name__ == "__main__":
    main()
