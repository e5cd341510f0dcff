"""Tickets and complaints: workflow, comments, SLA clocks, audit trail, public portal (level 2)."""

from flask import Flask

from app import queue
from app.errors import error_response
from app.extensions import api, csrf


def init_app(app: Flask) -> None:
    from app.tickets import jobs, receivers
    from app.tickets.cli import tickets_cli
    from app.tickets.schemas import TicketSchema
    from app.tickets.services import StaleVersion
    from app.tickets.views import api as api_views
    from app.tickets.views import attachments_api, import_api, pages, portal, search_api, sla_api
    from app.tickets.views.follow_ups import bp as follow_ups_bp
    from app.tickets.views.notifications_api import blueprints as notification_api_blueprints
    from app.tickets.views.surveys import bp as surveys_bp

    for blueprint in (
        *api_views.blueprints,
        *sla_api.blueprints,
        *attachments_api.blueprints,
        *import_api.blueprints,
        *search_api.blueprints,
        *notification_api_blueprints,
    ):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(follow_ups_bp)
    # The portal checks CSRF inside its rate limits (see `portal.csrf_inside_limits`).
    csrf.exempt(portal.bp)
    app.register_blueprint(portal.bp)

    @app.errorhandler(StaleVersion)
    def _stale_version(error: StaleVersion):
        # The 409 carries the ticket as it is now, so the client can show what changed and retry.
        return error_response(
            409, error.message, error.errors, {"current": TicketSchema().dump(error.current)}
        )

    app.cli.add_command(tickets_cli)
    receivers.connect()
    queue.register_periodic(app, jobs.schedule_periodic_jobs)
    queue.register_periodic(app, jobs.schedule_outbox_jobs)
