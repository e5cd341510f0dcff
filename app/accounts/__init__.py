"""Accounts: agents, supervisors and admins, teams, skills, sign-in and API tokens (level 0)."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import setting_pages, versions
from app.errors import error_response
from app.extensions import api, csrf, login_manager


def init_app(app: Flask) -> None:
    from app.accounts import services
    from app.accounts.access import (
        Permission,
        current_agent,
        enforce_access_rule,
        has_permission,
        sends_authorization,
    )
    from app.accounts.cli import accounts_cli
    from app.accounts.models import Team
    from app.accounts.schemas import TeamSchema
    from app.accounts.views import api as api_views
    from app.accounts.views import pages

    login_manager.login_view = "accounts_pages.login"
    login_manager.session_protection = "basic"

    # One means of authentication per request: a request with an Authorization header is its token's
    # or nobody's, whatever cookies come with it; only a request without one is the session's.
    # Flask-Login asks the user loader first (session or remember cookie), then the request loader, so
    # both give the token's answer when there is a header.
    @login_manager.user_loader
    def _agent_of_session(session_key: str):
        if sends_authorization():
            return _agent_of_authorization_header()
        return services.agent_for_session(session_key)

    @login_manager.request_loader
    def _agent_of_bearer_token(_request):
        return _agent_of_authorization_header() if sends_authorization() else None

    def _agent_of_authorization_header():
        scheme, _, credentials = request.headers["Authorization"].partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return services.agent_for_token(credentials.strip())
        return None

    @app.errorhandler(services.SignInLocked)
    def _locked(error: services.SignInLocked):
        response, status = error_response(error.status, error.message, error.errors)
        response.headers["Retry-After"] = str(error.retry_after)
        return response, status

    app.before_request(enforce_access_rule)
    # A stale change of a team answers with the team as it is now.
    versions.dump_current_with(app, {Team: TeamSchema()})

    @app.template_global("may")
    def _may(permission: str) -> bool:
        """Whether the signed-in person holds a permission: pages show only the links that would work."""
        return current_user.is_authenticated and has_permission(current_agent(), Permission[permission])

    app.add_template_global(pages.visible_sections, "setting_sections")
    setting_pages.add_section(
        app,
        setting_pages.Section(
            "accounts_pages.settings_changes",
            _l("Settings changes"),
            _l("Who created, changed or deleted which setting, with the values before and after."),
            Permission.SETTINGS_CHANGES_READ,
        ),
    )

    for blueprint in api_views.blueprints:
        # The API's CSRF check depends on how the caller signed in; access.enforce_access_rule does it.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)
    app.cli.add_command(accounts_cli)
