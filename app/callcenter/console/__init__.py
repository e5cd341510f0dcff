"""The agent console (`/console`): its page and scripts, the snapshot and resync a console loads over
HTTP, the rooms of teams, queues and tickets a console joins, collision detection, and the live news of
tickets (receivers of the tickets room's signals)."""

from typing import Any

from flask import Flask

from app import extensions


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
    from app.callcenter.console import api as console_api
    from app.callcenter.console import events, pages, receivers

    # (`extensions.api` by its full name: importing this package's `api` module shadows a bare `api`.)
    extensions.csrf.exempt(console_api.bp)
    extensions.api.register_blueprint(console_api.bp)
    app.register_blueprint(pages.bp)
    receivers.connect()
    events.init_app(agents)
