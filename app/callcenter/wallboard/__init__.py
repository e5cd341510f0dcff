"""The supervisors' wallboard (`/wallboard`, Socket.IO namespace `/wallboard`): live figures per queue and
agent, and the supervisor's actions on them."""

from typing import Any

from flask import Flask


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
