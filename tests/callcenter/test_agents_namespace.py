"""The `/agents` namespace in-process (Flask-SocketIO's test client): who may connect, and which room a
connection joins. `tests/live/test_socketio.py` checks the same over a real socket and Redis."""

from __future__ import annotations

import pytest

from app.accounts import services as accounts
from app.callcenter.services import AGENTS_NAMESPACE, agent_room
from app.extensions import socketio
from tests.factories import AgentFactory
from tests.helpers import signed_in


def connect(app, **kwargs):
    return socketio.test_client(app, namespace=AGENTS_NAMESPACE, **kwargs)


def test_agent_room_names_the_room_of_one_agent():
    assert agent_room(7) == "agent:7"


def test_a_valid_token_connects_into_its_agents_room_only(app, agent):
    other = AgentFactory()
    _token, raw = accounts.create_api_token(agent.id)
    console = connect(app, auth={"token": raw})

    socketio.emit("notice", {"to": "other"}, to=agent_room(other.id), namespace=AGENTS_NAMESPACE)
    socketio.emit("notice", {"to": "me"}, to=agent_room(agent.id), namespace=AGENTS_NAMESPACE)

    assert console.is_connected(AGENTS_NAMESPACE)
    assert [event["args"] for event in console.get_received(AGENTS_NAMESPACE)] == [[{"to": "me"}]]


@pytest.mark.parametrize("auth", [None, {}, {"token": ""}, {"token": "sb_unknown"}, {"token": 3}, "sb_x"])
def test_without_valid_credentials_the_connection_is_refused(app, auth):
    assert not connect(app, auth=auth).is_connected(AGENTS_NAMESPACE)


def test_a_revoked_token_or_a_disabled_agent_is_refused(app, agent, supervisor, admin):
    token, raw = accounts.create_api_token(agent.id)
    accounts.revoke_token(token.id, actor=agent)
    _token, other_raw = accounts.create_api_token(supervisor.id)
    accounts.update_agent(supervisor.id, {"active": False}, actor=admin)

    assert not connect(app, auth={"token": raw}).is_connected(AGENTS_NAMESPACE)
    assert not connect(app, auth={"token": other_raw}).is_connected(AGENTS_NAMESPACE)


def test_the_signed_in_session_connects_and_a_bad_token_beside_it_does_not(app, client, agent):
    signed_in(client, agent)

    console = connect(app, flask_test_client=client)
    socketio.emit("notice", {"to": "me"}, to=agent_room(agent.id), namespace=AGENTS_NAMESPACE)

    assert [event["args"] for event in console.get_received(AGENTS_NAMESPACE)] == [[{"to": "me"}]]
    assert not connect(app, flask_test_client=client, auth={"token": "sb_bad"}).is_connected(AGENTS_NAMESPACE)
