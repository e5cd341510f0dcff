"""Background jobs of the customers room (ids in, idempotent)."""

from app.customers import services


def run_customer_import(import_id: int) -> None:
    """Process a stored CSV import; an import already finished is left as it is."""
    services.run_import(import_id)
