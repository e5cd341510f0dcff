"""The agent console (`/console`): its page and scripts, the snapshot and resync a console loads over
HTTP, the rooms of teams, queues and tickets a console joins, collision detection, and the live news of
tickets (receivers of the tickets room's signals)."""

from typing import Any

from flask import Flask


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
