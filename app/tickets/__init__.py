"""Tickets and complaints: workflow, comments, SLA clocks, audit trail, public portal (level 2).

So far the room holds the queues that tickets will wait in.
"""

from flask import Flask

from app.extensions import api, csrf


def init_app(app: Flask) -> None:
    from app.tickets.views import api as api_views

    for blueprint in api_views.blueprints:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
