"""A console that reconnects asks what each of its rooms published since the last number it saw: it
gets the events when the history still holds them all, and is told to reload its snapshot otherwise.
Only the rooms the connection is in are answered, whatever the client names."""

from __future__ import annotations

from app.callcenter import live
from app.callcenter.services import agent_room
from app.extensions import db
from app.tickets.models import OutsiderAccess
from tests.callcenter.console.helpers import console_of, emit, received, team_queue
from tests.factories import AgentFactory
from tests.ticket_factories import TicketFactory


def test_a_console_gets_what_it_missed_in_order(app, agent):
    console = console_of(app, agent)
    mine = agent_room(agent.id)
    for number in (1, 2, 3):
        live.publish("offer.ended", {"offer_id": number}, rooms=[mine])

    answer = emit(console, "sync", {"since": {mine: 1}})

    assert answer["ok"]
    assert answer["rooms"][mine]["complete"] is True
    assert answer["rooms"][mine]["last_seq"] == 3
    assert answer["rooms"][mine]["events"] == [
        {"event": "offer.ended", "data": {"offer_id": 2, "room": mine, "seq": 2}},
        {"event": "offer.ended", "data": {"offer_id": 3, "room": mine, "seq": 3}},
    ]


def test_a_history_that_no_longer_reaches_back_is_incomplete(app, agent, monkeypatch):
    monkeypatch.setattr(live, "HISTORY_LENGTH", 2)
    console = console_of(app, agent)
    mine = agent_room(agent.id)
    for number in range(1, 120):
        live.publish("offer.ended", {"offer_id": number}, rooms=[mine])

    assert emit(console, "sync", {"since": {mine: 1}})["rooms"][mine]["complete"] is False


def test_a_room_the_console_names_no_number_for_is_incomplete(app, agent):
    console = console_of(app, agent)

    rooms = emit(console, "sync", {"since": {}})["rooms"]

    assert rooms[agent_room(agent.id)] == {"complete": False, "last_seq": 0, "events": []}


def test_rooms_the_connection_is_not_in_are_not_answered(app, agent):
    hidden = team_queue(AgentFactory())
    secret = live.room("queue", hidden.id)
    live.publish("ticket.created", {"subject": "secret"}, rooms=[secret])
    console = console_of(app, agent)

    rooms = emit(console, "sync", {"since": {secret: 0, "agent:999": 0}})["rooms"]

    assert secret not in rooms and "agent:999" not in rooms
    assert agent_room(agent.id) in rooms


def test_a_resync_leaves_rooms_the_agent_may_no_longer_be_in(app, agent):
    queue = team_queue(AgentFactory(), outsider_access=OutsiderAccess.READ)
    ticket = TicketFactory(queue_id=queue.id)
    console = console_of(app, agent)
    emit(console, "ticket.watch", {"ticket_id": ticket.id})
    queue.outsider_access = OutsiderAccess.NONE.value
    db.session.commit()

    rooms = emit(console, "sync", {"since": {}})["rooms"]

    assert f"ticket:{ticket.id}" not in rooms
    assert live.room("queue", queue.id) not in rooms


def test_sync_data_must_be_numbers_per_room(app, agent):
    console = console_of(app, agent)

    answer = emit(console, "sync", {"since": {agent_room(agent.id): "many"}})

    assert answer["ok"] is False and answer["status"] == 422


def test_a_resync_joins_the_rooms_the_agent_may_now_be_in(app, agent):
    queue = team_queue(AgentFactory())
    console = console_of(app, agent)
    queue.team.members.append(agent)
    db.session.commit()

    rooms = emit(console, "sync", {"since": {}})["rooms"]
    live.publish("ticket.created", {"ticket_id": 1}, rooms=[live.room("queue", queue.id)])

    assert rooms[live.room("queue", queue.id)]["complete"] is False
    assert [event["ticket_id"] for event in received(console, "ticket.created")] == [1]
