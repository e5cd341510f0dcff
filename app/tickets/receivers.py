"""How the tickets room hears about customers (signals of the lower `customers` room)."""

from __future__ import annotations

from app.customers.signals import customers_merged, timeline_requested
from app.queue import enqueue
from app.tickets import services


def _tickets_on_the_timeline(customer_id, *, before=None, limit=50, customer_ids=None, **_):
    # A read-only query answering the customers room's request: the one kind of receiver that returns
    # data instead of emitting or enqueueing.
    return services.timeline_entries(customer_ids or [customer_id], before=before, limit=limit)


def _tickets_follow_merged_customer(target, *, source_id, target_id, **_):
    enqueue("app.tickets.jobs.move_customer_tickets", source_id, target_id)


def connect() -> None:
    timeline_requested.connect(_tickets_on_the_timeline)
    customers_merged.connect(_tickets_follow_merged_customer)
