"""The `/wallboard` namespace in-process (Flask-SocketIO's test client): supervisors and admins only,
every event authenticated and authorized again, following one agent, resync by sequence numbers."""

from __future__ import annotations

import pytest

from app.accounts import services as accounts
from app.callcenter import live
from app.callcenter.live import WALLBOARD_NAMESPACE
from app.callcenter.presence.signals import presence_changed
from app.callcenter.wallboard import services
from app.extensions import socketio
from tests.callcenter.wallboard.rows import ago, presence
from tests.factories import AgentFactory
from tests.helpers import signed_in


def connect(app, person=None, **kwargs):
    if person is not None:
        _token, raw = accounts.create_api_token(person.id)
        kwargs["auth"] = {"token": raw}
    return socketio.test_client(app, namespace=WALLBOARD_NAMESPACE, **kwargs)


def emit(board, event, data=None):
    return board.emit(event, data or {}, namespace=WALLBOARD_NAMESPACE, callback=True)


def received(board, name):
    return [event["args"][0] for event in board.get_received(WALLBOARD_NAMESPACE) if event["name"] == name]


def test_supervisors_and_admins_connect_into_the_wallboard_room(app, supervisor, admin):
    boards = [connect(app, supervisor), connect(app, admin)]

    live.publish("wallboard.changed", {"queue_id": 1}, rooms=["wallboard"], namespace=WALLBOARD_NAMESPACE)

    for board in boards:
        assert board.is_connected(WALLBOARD_NAMESPACE)
        assert received(board, "wallboard.changed") == [{"queue_id": 1, "room": "wallboard", "seq": 1}]


def test_agents_are_refused_by_token_and_by_session(app, client, agent):
    assert not connect(app, agent).is_connected(WALLBOARD_NAMESPACE)
    signed_in(client, agent)
    assert not connect(app, flask_test_client=client).is_connected(WALLBOARD_NAMESPACE)


@pytest.mark.parametrize("auth", [None, {}, {"token": ""}, {"token": "sb_unknown"}, {"token": 3}])
def test_without_valid_credentials_the_connection_is_refused(app, auth):
    assert not connect(app, auth=auth).is_connected(WALLBOARD_NAMESPACE)


def test_a_signed_in_supervisors_session_connects(app, client, supervisor):
    signed_in(client, supervisor)

    assert connect(app, flask_test_client=client).is_connected(WALLBOARD_NAMESPACE)


def test_every_event_checks_the_token_again(app, supervisor):
    token, raw = accounts.create_api_token(supervisor.id)
    board = connect(app, auth={"token": raw})
    assert emit(board, "unfollow")["ok"] is True

    accounts.revoke_token(token.id, actor=supervisor)

    assert emit(board, "unfollow") == {
        "ok": False,
        "status": 401,
        "error": "Sign in, or connect with a valid API token: {'token': '...'}.",
    }
    assert not board.is_connected(WALLBOARD_NAMESPACE)


def test_every_event_checks_the_permission_again(app, supervisor, admin):
    board = connect(app, supervisor)

    accounts.update_agent(supervisor.id, {"role": "agent"}, actor=admin)

    answer = emit(board, "follow", {"agent_id": admin.id})
    assert (answer["ok"], answer["status"]) == (False, 403)
    assert not board.is_connected(WALLBOARD_NAMESPACE)


def test_a_supervisor_follows_one_agents_events(app, supervisor, admin):
    followed, other = AgentFactory(name="Fay"), AgentFactory()
    board, bystander = connect(app, supervisor), connect(app, admin)
    row = presence(followed, "available", since=ago(5))
    presence_changed.send(
        row, agent_id=followed.id, state="available", previous="offline", reason_id=None, actor_id=None
    )

    answer = emit(board, "follow", {"agent_id": followed.id})
    presence_changed.send(
        row, agent_id=followed.id, state="busy", previous="available", reason_id=None, actor_id=None
    )
    presence_changed.send(
        row, agent_id=other.id, state="busy", previous="available", reason_id=None, actor_id=None
    )

    assert answer["ok"] and answer["name"] == "Fay" and answer["room"] == f"follow:{followed.id}"
    assert [event["state"] for event in answer["events"]] == ["available"]  # what happened just before
    news = received(board, "wallboard.agent_event")
    assert [(event["agent_id"], event["kind"], event["state"]) for event in news] == [
        (followed.id, "presence", "busy")
    ]
    assert received(bystander, "wallboard.agent_event") == []


def test_following_another_agent_leaves_the_first(app, supervisor):
    first, second = AgentFactory(), AgentFactory()
    board = connect(app, supervisor)
    emit(board, "follow", {"agent_id": first.id})
    emit(board, "follow", {"agent_id": second.id})

    services.publish_agent_event(first.id, "presence", {"state": "busy"})
    services.publish_agent_event(second.id, "presence", {"state": "break"})

    assert [event["agent_id"] for event in received(board, "wallboard.agent_event")] == [second.id]


def test_following_nobody_or_nonsense_is_refused(app, supervisor):
    board = connect(app, supervisor)

    assert emit(board, "follow", {"agent_id": 999_999})["status"] == 404
    nonsense = emit(board, "follow", {"agent_id": "x"})
    assert (nonsense["status"], list(nonsense["errors"])) == (422, ["agent_id"])


def test_a_wallboard_that_reconnects_gets_what_it_missed_or_is_told_to_reload(app, supervisor):
    for number in range(1, 4):
        live.publish("wallboard.changed", {"n": number}, rooms=["wallboard"], namespace=WALLBOARD_NAMESPACE)
    board = connect(app, supervisor)

    answer = emit(board, "sync", {"since": {"wallboard": 1}})
    ahead = emit(board, "sync", {"since": {"wallboard": 40}})

    room = answer["rooms"]["wallboard"]
    assert room["complete"] and room["last_seq"] == 3
    assert [(event["seq"], event["payload"]["n"]) for event in room["events"]] == [(2, 2), (3, 3)]
    assert ahead["rooms"]["wallboard"]["complete"] is False


def test_sync_answers_only_the_connections_own_rooms(app, supervisor):
    board = connect(app, supervisor)

    answer = emit(board, "sync", {"since": {"agent:1": 0}})

    assert (answer["ok"], answer["status"]) == (False, 422)


def test_a_supervisor_changes_an_agents_state(app, supervisor):
    from app.callcenter.presence.models import AgentPresence
    from app.extensions import db

    followed = AgentFactory()
    board = connect(app, supervisor)

    answer = emit(board, "presence.set", {"agent_id": followed.id, "state": "offline"})

    assert answer["ok"] is True
    assert db.session.get(AgentPresence, followed.id).state == "offline"


def test_a_change_of_state_names_a_known_state(app, supervisor, agent):
    board = connect(app, supervisor)

    answer = emit(board, "presence.set", {"agent_id": agent.id, "state": "asleep"})

    assert (answer["status"], list(answer["errors"])) == (422, ["state"])
