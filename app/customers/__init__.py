"""Customers: profiles, organizations, contact points, merge, import, the 360° timeline (level 1), and
the package `privacy` (customers' personal data: export, erasure, access log)."""

from __future__ import annotations

from flask import Flask

from app import imports, setting_pages
from app.extensions import api, csrf


def init_app(app: Flask) -> None:
    from app.customers.cli import customers_cli
    from app.customers.privacy import api as privacy_api
    from app.customers.privacy import pages as privacy_pages
    from app.customers.services.imports import CSV_IMPORT
    from app.customers.views import api as api_views
    from app.customers.views import pages
    from app.customers.views import settings as settings_pages

    for blueprint in (*api_views.blueprints, *privacy_api.blueprints):
        # The API's CSRF check depends on how the caller signed in; accounts' access rule does it.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)
    app.register_blueprint(privacy_pages.bp)
    app.register_blueprint(settings_pages.bp)
    for section in settings_pages.SECTIONS:
        setting_pages.add_section(app, section)
    app.cli.add_command(customers_cli)
    imports.register(app, CSV_IMPORT)
