"""The job worker process: `python worker.py` runs an RQ worker on every queue inside the app."""

from __future__ import annotations

import logging

from app import create_app
from app.queue import make_worker, schedule_periodic_jobs


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app()
    if not app.config["REDIS_URL"]:
        raise SystemExit("worker.py needs REDIS_URL; embedded mode runs its worker inside the web process.")
    schedule_periodic_jobs(app)
    make_worker(app).work(with_scheduler=True)


if __name__ == "__main__":
    main()
