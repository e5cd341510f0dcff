"""Agent presence: the state each agent is in (available, busy, wrap-up, break, offline), its history,
and the consoles that keep it alive."""

from typing import Any

from flask import Flask

from app import extensions, queue


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
    from app.callcenter.presence import api as api_views
    from app.callcenter.presence import events, jobs, receivers

    # `extensions.api`, not `api`: the name belongs to this package's module of REST endpoints.
    for blueprint in api_views.blueprints:
        extensions.csrf.exempt(blueprint)
        extensions.api.register_blueprint(blueprint)
    receivers.connect()
    queue.register_periodic(app, jobs.schedule_periodic_jobs)
    agents.on_event("presence.set", events.set_presence)
    agents.connect_steps.append(events.console_connected)
    agents.disconnect_steps.append(events.console_disconnected)
