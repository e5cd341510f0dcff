"""Jobs of agent presence: the end of a wrap-up, the end of a closed console's grace period, going
offline now, and the periodic presence sweep (ids in, each safe to repeat).

The sweep runs every `PRESENCE_SWEEP_INTERVAL_SECONDS` as a self-rescheduling chain booked with
`queue.book_next_slot` (one job per interval, however many workers book it). It is the safety net of the
other jobs: a wrap-up or a grace period whose job was lost ends at its next run, and the consoles of a
web process that died stop counting once that process's heartbeat lapses.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from rq.job import Job

from app.callcenter.presence import services
from app.queue import book_next_slot


def end_wrap_up(agent_id: int, period_id: int) -> None:
    """The wrap-up period `period_id` has lasted `WRAP_UP_MAX_SECONDS`: available again if still in it."""
    services.end_wrap_up(agent_id, period_id)


def go_offline_if_gone(agent_id: int, token: str) -> None:
    """The grace period after the agent's last console closed is over: offline unless one came back."""
    services.go_offline_if_gone(agent_id, token)


def go_offline(agent_id: int) -> None:
    """Offline now (signed out everywhere, disabled)."""
    services.go_offline(agent_id)


def run_presence_sweep() -> None:
    """One link of the periodic chain: book the next interval's run, then sweep."""
    schedule_presence_sweep()
    services.sweep_presence()


def schedule_presence_sweep(now: datetime | None = None) -> Job:
    """Book the sweep of the first interval boundary after `now` (booking again books nothing new)."""
    interval = max(1, int(current_app.config["PRESENCE_SWEEP_INTERVAL_SECONDS"]))
    return book_next_slot(
        run_presence_sweep,
        name="callcenter-presence-sweep",
        interval=interval,
        description=f"presence sweep every {interval} s",
        now=now,
    )


def schedule_periodic_jobs(app: Flask) -> None:
    """Book the package's periodic jobs; every worker calls this when it starts (idempotent)."""
    with app.app_context():
        schedule_presence_sweep()
