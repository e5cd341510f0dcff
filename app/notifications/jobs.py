"""Background jobs of the outbox (ids in, idempotent): delivering one row, and the periodic sweep that
hands lost deliveries to a worker again (booked like the SLA check: one job per interval boundary)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from rq.job import Job

from app.notifications import services
from app.queue import book_next_slot

OUTBOX_QUEUE = "default"


def deliver_notification(notification_id: int) -> None:
    """Send one outbox row (safe to repeat: a row already sent, failed or being sent is skipped)."""
    services.deliver_notification(notification_id)


def run_periodic_outbox_sweep() -> None:
    """One link of the outbox sweep's chain: book the next, then sweep."""
    schedule_outbox_sweep()
    services.sweep_outbox()


def schedule_outbox_sweep(now: datetime | None = None) -> Job:
    """Book the outbox sweep of the next `NOTIFICATION_SWEEP_INTERVAL_SECONDS` boundary (one per slot)."""
    interval = int(current_app.config.get("NOTIFICATION_SWEEP_INTERVAL_SECONDS", 60))
    return book_next_slot(
        run_periodic_outbox_sweep,
        name="tickets-outbox-sweep",
        interval=interval,
        description=f"Outbox sweep every {interval} s",
        queue=OUTBOX_QUEUE,
        now=now,
    )


def schedule_outbox_jobs(app: Flask) -> None:
    """Book the outbox sweep; every worker calls this when it starts (idempotent)."""
    with app.app_context():
        schedule_outbox_sweep()
