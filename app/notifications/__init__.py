"""Notifications (level 3): the outbox. Every message we owe someone, written in the same transaction as
its cause, rendered in the recipient's language and delivered by a worker with retries.

Rooms above call `services.notify` in their use cases; the tickets room below reaches the outbox by its
staged signals (see `receivers`).
"""

from flask import Flask

from app import extensions, queue


def init_app(app: Flask) -> None:
    # `extensions.api`, not `api`: the name belongs to this package's module of REST endpoints.
    from app.notifications import api as api_views
    from app.notifications import jobs, pages, receivers

    for blueprint in api_views.blueprints:
        extensions.csrf.exempt(blueprint)
        extensions.api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)
    receivers.connect()
    queue.register_periodic(app, jobs.schedule_outbox_jobs)
