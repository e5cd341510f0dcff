"""Adapters of the call center: its API and its settings pages."""
