"""The rooms a console is in: its teams' and the queues' whose tickets its agent may see, joined by the
server at connect; a ticket's room only for an agent who may read the ticket."""

from __future__ import annotations

from app.callcenter import live
from app.callcenter.console import services
from app.tickets.models import OutsiderAccess
from tests.callcenter.console.helpers import console_of, emit, received, team_queue
from tests.factories import AgentFactory
from tests.ticket_factories import QueueFactory, TicketFactory


def test_a_console_hears_its_teams_and_the_queues_it_may_see(app, agent):
    outsider = AgentFactory()
    mine = team_queue(agent)
    open_to_all = QueueFactory()
    team = mine.team
    console, other = console_of(app, agent), console_of(app, outsider)

    for name in (live.room("team", team.id), live.room("queue", mine.id), live.room("queue", open_to_all.id)):
        live.publish("work.changed", {"to": name}, rooms=[name])

    assert [event["to"] for event in received(console)] == [
        live.room("team", team.id),
        live.room("queue", mine.id),
        live.room("queue", open_to_all.id),
    ]
    assert [event["to"] for event in received(other)] == [live.room("queue", open_to_all.id)]


def test_a_queue_open_to_outsiders_for_reading_is_heard_by_them(app, agent):
    readable = team_queue(AgentFactory(), outsider_access=OutsiderAccess.READ)
    hidden = team_queue(AgentFactory())

    assert services.queue_room(readable.id) in services.console_rooms(agent)
    assert services.queue_room(hidden.id) not in services.console_rooms(agent)
    assert services.UNQUEUED_ROOM in services.console_rooms(agent)


def test_supervisors_hear_every_queue(app, supervisor):
    hidden = team_queue(AgentFactory())

    assert services.queue_room(hidden.id) in services.console_rooms(supervisor)


def test_watching_a_ticket_joins_its_room(app, agent):
    ticket = TicketFactory(queue_id=team_queue(agent).id)
    console = console_of(app, agent)

    answer = emit(console, "ticket.watch", {"ticket_id": ticket.id})
    received(console)
    live.publish("ticket.changed", {"ticket_id": ticket.id}, rooms=[services.ticket_room(ticket.id)])

    assert answer["ok"] and answer["room"] == f"ticket:{ticket.id}"
    assert received(console, "ticket.changed") == [
        {"ticket_id": ticket.id, "room": f"ticket:{ticket.id}", "seq": 2}
    ]


def test_an_outsider_cannot_watch_a_hidden_ticket_nor_tell_it_from_a_missing_one(app, agent):
    hidden = TicketFactory(queue_id=team_queue(AgentFactory()).id)
    console = console_of(app, agent)

    refused = emit(console, "ticket.watch", {"ticket_id": hidden.id})
    missing = emit(console, "ticket.watch", {"ticket_id": hidden.id + 1000})
    live.publish("ticket.changed", {"ticket_id": hidden.id}, rooms=[services.ticket_room(hidden.id)])

    assert refused["ok"] is False and refused["status"] == 404
    assert refused["error"] == f"Ticket {hidden.id} not found."
    assert missing["status"] == 404
    assert received(console, "ticket.changed") == []
    assert services.ticket_viewers(hidden.id) == []


def test_a_watch_without_a_valid_ticket_id_is_refused_with_field_messages(app, agent):
    console = console_of(app, agent)

    for data in ({}, {"ticket_id": "x"}, {"ticket_id": 0}, "7", None):
        answer = emit(console, "ticket.watch", data)
        assert answer["ok"] is False and answer["status"] == 422
        assert "ticket_id" in answer["errors"]


def test_unwatching_leaves_the_tickets_room(app, agent):
    ticket = TicketFactory()
    console = console_of(app, agent)
    emit(console, "ticket.watch", {"ticket_id": ticket.id})

    assert emit(console, "ticket.unwatch", {"ticket_id": ticket.id}) == {"ok": True}
    received(console)
    live.publish("ticket.changed", {"ticket_id": ticket.id}, rooms=[services.ticket_room(ticket.id)])

    assert received(console) == []
