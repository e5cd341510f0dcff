"""Tickets and complaints (level 2): workflow, comments, queues, macros, the audit trail, and the
packages that grew inside the room: `sla` (calendars, policies, clocks, the check), `history` (the
import of another helpdesk's tickets), `search` (filters, full text, saved views) and `attachments`."""

from flask import Flask

from app import imports, queue, setting_pages, versions
from app.extensions import api, csrf


def init_app(app: Flask) -> None:
    from app.tickets import receivers
    from app.tickets.attachments import api as attachments_api
    from app.tickets.history import api as history_api
    from app.tickets.history import services as history
    from app.tickets.history.cli import tickets_cli
    from app.tickets.models import Macro, Queue, Ticket
    from app.tickets.schemas import MacroSchema, QueueSchema, TicketSchema
    from app.tickets.search import api as search_api
    from app.tickets.sla import api as sla_api
    from app.tickets.sla import jobs as sla_jobs
    from app.tickets.sla import pages as sla_pages
    from app.tickets.sla.models import Calendar, SlaPolicy
    from app.tickets.sla.schemas import CalendarSchema, SlaPolicySchema
    from app.tickets.views import api as api_views
    from app.tickets.views import pages
    from app.tickets.views import settings as settings_pages

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
    app.register_blueprint(settings_pages.bp)
    app.register_blueprint(sla_pages.bp)
    for section in (*settings_pages.SECTIONS, *sla_pages.SECTIONS):
        setting_pages.add_section(app, section)

    # A stale change's 409 carries the row as it is now, dumped as the API answers it.
    versions.dump_current_with(
        app,
        {
            Ticket: TicketSchema(),
            Queue: QueueSchema(),
            Macro: MacroSchema(),
            Calendar: CalendarSchema(),
            SlaPolicy: SlaPolicySchema(),
        },
    )

    app.cli.add_command(tickets_cli)
    receivers.connect()
    queue.register_periodic(app, sla_jobs.schedule_periodic_jobs)
    imports.register(app, history.HISTORY_IMPORT)
