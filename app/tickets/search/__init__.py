"""Ticket search: filters, full text (with the database's index), and agents' saved views."""
