"""Live events are numbered per room, so a console that reconnects learns what it missed, or that it
must reload its snapshot because the history no longer reaches back that far."""

from __future__ import annotations

import pytest

from app.callcenter import live
from app.callcenter.events import AgentsNamespace
from app.extensions import socketio
from tests.factories import AgentFactory


def connect(app, **kwargs):
    return socketio.test_client(app, namespace=live.AGENTS_NAMESPACE, **kwargs)


def test_rooms_are_named_by_kind_and_id():
    assert live.room("queue", 3) == "queue:3"
    with pytest.raises(ValueError):
        live.room("everyone", 1)


def test_each_room_numbers_its_own_events_and_the_console_receives_them_numbered(app, agent):
    from app.accounts import services as accounts

    _token, raw = accounts.create_api_token(agent.id)
    console = connect(app, auth={"token": raw})
    mine, other = live.room("agent", agent.id), live.room("agent", AgentFactory().id)

    live.publish("ticket.changed", {"ticket_id": 1}, rooms=[mine])
    live.publish("ticket.changed", {"ticket_id": 2}, rooms=[other])
    live.publish("ticket.changed", {"ticket_id": 3}, rooms=[mine, other])

    received = [event["args"][0] for event in console.get_received(live.AGENTS_NAMESPACE)]
    assert received == [
        {"ticket_id": 1, "room": mine, "seq": 1},
        {"ticket_id": 3, "room": mine, "seq": 2},
    ]
    assert live.last_seq(other) == 2


def test_a_console_that_missed_events_gets_them_in_order(app):
    name = live.room("queue", 5)
    for number in range(1, 6):
        live.publish("work.changed", {"n": number}, rooms=[name])

    missed = live.events_since(name, 2)

    assert missed.complete
    assert missed.last_seq == 5
    assert [(seq, event, payload["n"]) for seq, event, payload in missed.events] == [
        (3, "work.changed", 3),
        (4, "work.changed", 4),
        (5, "work.changed", 5),
    ]
    assert live.events_since(name, 5) == live.Missed([], True, 5)


def test_a_history_that_no_longer_reaches_back_says_so(app, monkeypatch):
    monkeypatch.setattr(live, "HISTORY_LENGTH", 3)
    name = live.room("team", 1)
    for number in range(1, 200):
        live.publish("presence.changed", {"n": number}, rooms=[name])

    assert not live.events_since(name, 1).complete
    assert live.events_since(name, 198).complete


def test_a_console_ahead_of_the_counter_reloads(app):
    """Redis restarted empty: the numbers began again, so what the console holds is no longer comparable."""
    name = live.room("ticket", 9)
    live.publish("ticket.changed", {}, rooms=[name])

    assert not live.events_since(name, 40).complete


def test_namespaces_number_apart(app):
    name = live.room("queue", 1)
    live.publish("work.changed", {}, rooms=[name])
    live.publish("queue.figures", {}, rooms=[name], namespace=live.WALLBOARD_NAMESPACE)
    live.publish("queue.figures", {}, rooms=[name], namespace=live.WALLBOARD_NAMESPACE)

    assert live.last_seq(name) == 1
    assert live.last_seq(name, namespace=live.WALLBOARD_NAMESPACE) == 2


def test_a_registered_event_answers_the_speaking_agent_and_refuses_after_the_token_is_revoked(app, agent):
    from app.accounts import services as accounts

    namespace = socketio.server.namespace_handlers[live.AGENTS_NAMESPACE]
    assert isinstance(namespace, AgentsNamespace)
    namespace.on_event("whoami", lambda speaker, data: {"agent_id": speaker.id, "data": data})
    token, raw = accounts.create_api_token(agent.id)
    console = connect(app, auth={"token": raw})

    assert console.emit("whoami", {"x": 1}, namespace=live.AGENTS_NAMESPACE, callback=True) == {
        "ok": True,
        "agent_id": agent.id,
        "data": {"x": 1},
    }
    assert console.emit("nonsense", namespace=live.AGENTS_NAMESPACE, callback=True)["ok"] is False

    accounts.revoke_token(token.id, actor=agent)
    assert console.emit("whoami", {}, namespace=live.AGENTS_NAMESPACE, callback=True)["ok"] is False
