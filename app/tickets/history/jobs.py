"""Background job of the ticket history import (an id in; running it again changes nothing)."""

from app.tickets.history import services as history


def run_ticket_import(import_id: int) -> None:
    """Process a stored history import; an import already finished is left as it is."""
    history.run_history_import(import_id)
