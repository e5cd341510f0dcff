"""Background jobs of the tickets room (ids and plain values in, idempotent)."""

from __future__ import annotations

from app.tickets import services as tickets


def move_customer_tickets(source_customer_id: int, target_customer_id: int) -> None:
    """Two customers were merged: their tickets follow the survivor (safe to repeat). Merges now move
    them in their own transaction; this stays for jobs enqueued before, by an older version."""
    tickets.move_customer_tickets(source_customer_id, target_customer_id)
