"""Calls: the telephony adapters' events (a PBX's signed webhook, Twilio's voice webhooks), the call
records, wrap-up, callback requests, the call history import and the simulator."""

from typing import Any

from flask import Flask


def init_app(app: Flask, agents: Any) -> None:
    """Register this package's blueprints, receivers, jobs and the events it handles on `agents`, the
    `/agents` namespace (`on_event`, `connect_steps`, `disconnect_steps`)."""
