"""Tickets and complaints (level 2): workflow, comments, queues, macros, the audit trail, and the
packages that grew inside the room: `sla` (calendars, policies, clocks, the check), `history` (the
import of another helpdesk's tickets), `search` (filters, full text, saved views) and `attachments`."""

from flask import Flask

from app import imports, queue
from app.errors import error_response
from app.extensions import api, csrf


def init_app(app: Flask) -> None:
    from app.tickets import receivers
    from app.tickets.attachments import api as attachments_api
    from app.tickets.history import api as history_api
    from app.tickets.history import services as history
    from app.tickets.history.cli import tickets_cli
    from app.tickets.schemas import TicketSchema
    from app.tickets.search import api as search_api
    from app.tickets.services import StaleVersion
    from app.tickets.sla import api as sla_api
    from app.tickets.sla import jobs as sla_jobs
    from app.tickets.views import api as api_views
    from app.tickets.views import pages

    for blueprint in (
        *api_views.blueprints,
        *sla_api.blueprints,
        *attachments_api.blueprints,
        *history_api.blueprints,
        *search_api.blueprints,
    ):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)

    @app.errorhandler(StaleVersion)
    def _stale_version(error: StaleVersion):
        # The 409 carries the ticket as it is now, so the client can show what changed and retry.
        return error_response(
            409, error.message, error.errors, {"current": TicketSchema().dump(error.current)}
        )

    app.cli.add_command(tickets_cli)
    receivers.connect()
    queue.register_periodic(app, sla_jobs.schedule_periodic_jobs)
    imports.register(app, history.HISTORY_IMPORT)
