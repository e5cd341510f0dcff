"""Agent presence: the state each agent is in (available, busy, wrap-up, break, offline), its history,
and the consoles that keep it alive."""

from typing import Any

from flask import Flask


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
