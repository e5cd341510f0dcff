"""Accounts: agents, supervisors and admins, teams, skills, sign-in and API tokens (level 0)."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from app.extensions import api, csrf, login_manager


def init_app(app: Flask) -> None:
    from app.accounts import services
    from app.accounts.access import Permission, current_agent, enforce_access_rule, has_permission
    from app.accounts.cli import accounts_cli
    from app.accounts.views import api as api_views
    from app.accounts.views import pages

    login_manager.login_view = "accounts_pages.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(services.agent_for_session)

    @login_manager.request_loader
    def _agent_from_bearer_token(_request):
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials:
            return services.agent_for_token(credentials.strip())
        return None

    app.before_request(enforce_access_rule)

    @app.template_global("may")
    def _may(permission: str) -> bool:
        """Whether the signed-in person holds a permission: pages show only the links that would work."""
        return current_user.is_authenticated and has_permission(current_agent(), Permission[permission])

    for blueprint in api_views.blueprints:
        # The API's CSRF check depends on how the caller signed in; access.enforce_access_rule does it.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)
    app.cli.add_command(accounts_cli)
