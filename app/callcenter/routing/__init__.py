"""Routing: waiting work (tickets, queued calls, callback requests) offered to the best available agent,
and the record of every offer."""

from typing import Any

from flask import Flask

from app import extensions, queue


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
    from app.callcenter.routing import api as api_views
    from app.callcenter.routing import events, jobs, receivers

    # (`extensions.api`, not a name of this package: importing the `api` module sets that name here.)
    extensions.csrf.exempt(api_views.bp)
    extensions.api.register_blueprint(api_views.bp)
    receivers.connect()
    queue.register_periodic(app, jobs.schedule_periodic_jobs)
    agents.on_event("offer.accept", events.accept)
    agents.on_event("offer.decline", events.decline)
