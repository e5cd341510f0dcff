"""The periodic SLA check (a job of the tickets room's SLA package).

`check_sla` flags breaches and near-breaches from the database, so any run catches up whatever earlier
runs missed. It runs every `SLA_CHECK_INTERVAL_SECONDS` (60 unless configured) through RQ's own
scheduler: each run is a job booked with `enqueue_at` for the next whole interval ("slot"), under a job
id naming that slot, and each run books the following slot before it checks (so a failing check doesn't
end the chain). Booking is unique per slot: the running job and every worker starting up
(`schedule_periodic_jobs`) agree on one job per interval, however many there are.

Production workers run RQ's scheduler (`work(with_scheduler=True)`), which moves booked jobs onto their
queue when due; one worker holds its lock at a time. The chain lives in Redis: if Redis loses it, the
next worker start (or any call of `schedule_periodic_jobs`) books it again, and the first run catches up.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from rq.job import Job

from app.queue import book_next_slot
from app.tickets.sla import services as sla

SLA_CHECK_QUEUE = "default"
DEFAULT_SLA_CHECK_INTERVAL_SECONDS = 60


def check_sla() -> None:
    """Flag SLA breaches and near-breaches now (audit events, then `sla_breached` / `sla_warning`)."""
    sla.check_sla()


def run_periodic_sla_check() -> None:
    """One link of the periodic chain: book the next interval's run, then check."""
    schedule_sla_check()
    check_sla()


def schedule_sla_check(now: datetime | None = None) -> Job:
    """Book the SLA check of the first interval boundary after `now`; one job per boundary, so calling
    this again (another worker starting, a run of the chain) books nothing new and returns that job."""
    interval = sla_check_interval()
    return book_next_slot(
        run_periodic_sla_check,
        name="tickets-sla-check",
        interval=interval,
        description=f"SLA check every {interval} s",
        queue=SLA_CHECK_QUEUE,
        now=now,
    )


def schedule_periodic_jobs(app: Flask) -> None:
    """Book the room's periodic jobs; every worker calls this when it starts (idempotent)."""
    with app.app_context():
        schedule_sla_check()


def sla_check_interval() -> int:
    """Seconds between SLA checks (setting `SLA_CHECK_INTERVAL_SECONDS`, a whole number of seconds)."""
    interval = current_app.config.get("SLA_CHECK_INTERVAL_SECONDS", DEFAULT_SLA_CHECK_INTERVAL_SECONDS)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(
            f"SLA_CHECK_INTERVAL_SECONDS must be a whole number of seconds >= 1, not {interval!r}"
        )
    return interval
