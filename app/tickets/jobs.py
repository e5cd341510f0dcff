"""Background jobs of the tickets room (ids and plain values in, idempotent).

The periodic SLA check
----------------------
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
from app.tickets import services as tickets
from app.tickets.services import notifications, portal, sla

SLA_CHECK_QUEUE = "default"
DEFAULT_SLA_CHECK_INTERVAL_SECONDS = 60


def move_customer_tickets(source_customer_id: int, target_customer_id: int) -> None:
    """Two customers were merged: their tickets follow the survivor (safe to repeat)."""
    tickets.move_customer_tickets(source_customer_id, target_customer_id)


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


def send_tracking_links(email: str) -> None:
    """Mail the tracking links of the customer owning `email`, if any (safe to repeat)."""
    portal.send_tracking_links(email)


def deliver_notification(notification_id: int) -> None:
    """Send one outbox row (safe to repeat: a row already sent, failed or being sent is skipped)."""
    notifications.deliver_notification(notification_id)


def run_periodic_outbox_sweep() -> None:
    """One link of the outbox sweep's chain (booked like the SLA check): book the next, then sweep."""
    schedule_outbox_sweep()
    notifications.sweep_outbox()


def schedule_outbox_sweep(now: datetime | None = None) -> Job:
    """Book the outbox sweep of the next `NOTIFICATION_SWEEP_INTERVAL_SECONDS` boundary (one per slot)."""
    interval = int(current_app.config.get("NOTIFICATION_SWEEP_INTERVAL_SECONDS", 60))
    return book_next_slot(
        run_periodic_outbox_sweep,
        name="tickets-outbox-sweep",
        interval=interval,
        description=f"Outbox sweep every {interval} s",
        queue=SLA_CHECK_QUEUE,
        now=now,
    )


def schedule_periodic_jobs(app: Flask) -> None:
    """Book the room's periodic jobs; every worker calls this when it starts (idempotent)."""
    with app.app_context():
        schedule_sla_check()


def schedule_outbox_jobs(app: Flask) -> None:
    """Book the outbox sweep; every worker calls this when it starts (idempotent)."""
    with app.app_context():
        schedule_outbox_sweep()


def sla_check_interval() -> int:
    """Seconds between SLA checks (setting `SLA_CHECK_INTERVAL_SECONDS`, a whole number of seconds)."""
    interval = current_app.config.get("SLA_CHECK_INTERVAL_SECONDS", DEFAULT_SLA_CHECK_INTERVAL_SECONDS)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(
            f"SLA_CHECK_INTERVAL_SECONDS must be a whole number of seconds >= 1, not {interval!r}"
        )
    return interval
