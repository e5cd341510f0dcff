"""The customers' side of the desk (level 4): the public complaint and request form, the private
tracking page and its links, satisfaction surveys (`surveys`), and where the form's submissions land
(`routing`).

Public pages: each checks its own credential (a form's CSRF token inside its rate limits, a link's
token), never an agent's session.
"""

from flask import Flask

from app import setting_pages, versions
from app.extensions import api, csrf


def init_app(app: Flask) -> None:
    from app.portal import pages, receivers
    from app.portal.routing import api as routing_api
    from app.portal.routing import pages as routing_pages
    from app.portal.routing.models import WebFormRouting
    from app.portal.routing.schemas import WebFormRoutingSchema
    from app.portal.surveys import api as survey_api
    from app.portal.surveys import follow_ups
    from app.portal.surveys import pages as survey_pages
    from app.portal.surveys.cli import surveys_cli

    for blueprint in survey_api.blueprints:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    # The portal checks CSRF inside its rate limits (see `pages.csrf_inside_limits`).
    csrf.exempt(pages.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(survey_pages.bp)
    app.register_blueprint(follow_ups.bp)
    csrf.exempt(routing_api.bp)
    api.register_blueprint(routing_api.bp)
    app.register_blueprint(routing_pages.bp)
    for section in routing_pages.SECTIONS:
        setting_pages.add_section(app, section)
    versions.dump_current_with(app, {WebFormRouting: WebFormRoutingSchema()})
    app.cli.add_command(surveys_cli)
    receivers.connect()
