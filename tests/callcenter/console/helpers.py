"""Consoles in-process (Flask-SocketIO's test client), and the desk they look at."""

from __future__ import annotations

from app.accounts import services as accounts
from app.callcenter.live import AGENTS_NAMESPACE
from app.extensions import socketio
from app.tickets.models import OutsiderAccess
from tests.factories import TeamFactory
from tests.ticket_factories import QueueFactory


def console_of(app, agent):
    """A connected console of `agent` (by API token)."""
    _token, raw = accounts.create_api_token(agent.id)
    return socketio.test_client(app, namespace=AGENTS_NAMESPACE, auth={"token": raw})


def emit(console, event, data):
    """Send `event` and return its acknowledgement."""
    return console.emit(event, data, namespace=AGENTS_NAMESPACE, callback=True)


def received(console, event=None):
    """The payloads the console received since last asked (of `event` only, if given)."""
    return [
        message["args"][0]
        for message in console.get_received(AGENTS_NAMESPACE)
        if event is None or message["name"] == event
    ]


def team_queue(*members, outsider_access=OutsiderAccess.NONE):
    """A queue worked by a team of `members`, hidden from everyone else unless `outsider_access` says."""
    team = TeamFactory(members=list(members))
    return QueueFactory(team_id=team.id, outsider_access=outsider_access.value)
