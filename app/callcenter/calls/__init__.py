"""Calls: the telephony adapters' events (a PBX's signed webhook, Twilio's voice webhooks), the call
records, wrap-up, callback requests, the call history import and the simulator."""

from typing import Any

from flask import Flask

from app import extensions


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
    from app.callcenter.calls import api as calls_api
    from app.callcenter.calls import pages, receivers
    from app.callcenter.calls.cli import callcenter_cli

    for blueprint in calls_api.blueprints:
        extensions.csrf.exempt(blueprint)
        extensions.api.register_blueprint(blueprint)
    # The customer's callback form checks its CSRF token inside its rate limit, as the portal's do.
    extensions.csrf.exempt(pages.bp)
    app.register_blueprint(pages.bp)
    app.cli.add_command(callcenter_cli)
    receivers.connect()
