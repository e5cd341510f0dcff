"""Routing: waiting work (tickets, queued calls, callback requests) offered to the best available agent,
and the record of every offer."""

from typing import Any

from flask import Flask


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
