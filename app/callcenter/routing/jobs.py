"""Jobs of routing: routing a queue, timing out an offer, following a ticket's changes, and the
periodic sweep (the safety net for lost jobs: overdue offers, overflow, waiting work).

Jobs take ids and are idempotent: each reads the state it acts on, so running one twice, late or out
of order does what is left to do.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from rq.job import Job

from app.callcenter.routing import services
from app.queue import book_next_slot

DEFAULT_SWEEP_SECONDS = 15


def route_queue(queue_id: int) -> None:
    """Offer the queue's waiting work to the best available agents."""
    services.route_started(queue_id)
    services.route_queue(queue_id)


def time_out_offer(offer_id: int) -> None:
    """Booked at an offer's expiry: time it out if it is still pending, and offer the work on."""
    services.time_out_offer(offer_id)


def follow_ticket(ticket_id: int, may_add: bool = False) -> None:
    """Bring a ticket's work in line with the ticket after a change of the tickets room."""
    services.follow_ticket(ticket_id, may_add=may_add)


def route_for_agent(agent_id: int) -> None:
    """An agent became free: route the queues with waiting work."""
    services.route_for_agent(agent_id)


def withdraw_offers_of(agent_id: int) -> None:
    """An agent went on break or offline: withdraw their pending offer."""
    services.withdraw_offers_of(agent_id)


def run_periodic_sweep() -> None:
    """One link of the periodic chain: book the next run, then sweep."""
    schedule_sweep()
    services.sweep()


def schedule_sweep(now: datetime | None = None) -> Job:
    interval = sweep_interval()
    return book_next_slot(
        run_periodic_sweep,
        name="callcenter-routing-sweep",
        interval=interval,
        description=f"routing sweep every {interval} s",
        now=now,
    )


def schedule_periodic_jobs(app: Flask) -> None:
    """Book the routing sweep; every worker calls this when it starts (idempotent)."""
    with app.app_context():
        schedule_sweep()


def sweep_interval() -> int:
    interval = current_app.config.get("ROUTING_SWEEP_SECONDS", DEFAULT_SWEEP_SECONDS)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f"ROUTING_SWEEP_SECONDS must be a whole number of seconds >= 1, not {interval!r}")
    return interval
