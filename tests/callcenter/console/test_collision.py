"""Collision detection: a ticket's viewers see who else has it open and who is typing a reply, so two
agents never answer the same customer twice; a closed console or a dead process leaves no ghost."""

from __future__ import annotations

from app.callcenter.console import services
from tests.callcenter.console.helpers import console_of, emit, received, team_queue
from tests.factories import AgentFactory
from tests.ticket_factories import TicketFactory


def test_each_viewer_learns_who_else_views_the_ticket(app):
    ann, bob = AgentFactory(name="Ann"), AgentFactory(name="Bob")
    ticket = TicketFactory()
    first, second = console_of(app, ann), console_of(app, bob)

    alone = emit(first, "ticket.watch", {"ticket_id": ticket.id})
    together = emit(second, "ticket.watch", {"ticket_id": ticket.id})

    ann_only = [{"agent_id": ann.id, "name": "Ann", "typing": False}]
    both = [*ann_only, {"agent_id": bob.id, "name": "Bob", "typing": False}]
    assert alone["viewers"] == ann_only
    assert together["viewers"] == both
    assert [event["viewers"] for event in received(first, "ticket.viewers")] == [both]


def test_typing_is_shown_to_the_other_viewers_until_it_stops(app):
    ann, bob = AgentFactory(name="Ann"), AgentFactory(name="Bob")
    ticket = TicketFactory()
    first, second = console_of(app, ann), console_of(app, bob)
    emit(first, "ticket.watch", {"ticket_id": ticket.id})
    emit(second, "ticket.watch", {"ticket_id": ticket.id})
    received(first)

    emit(second, "ticket.typing", {"ticket_id": ticket.id, "typing": True})
    emit(second, "ticket.typing", {"ticket_id": ticket.id, "typing": False})

    typing = [
        [viewer["typing"] for viewer in event["viewers"]] for event in received(first, "ticket.viewers")
    ]
    assert typing == [[False, True], [False, False]]


def test_two_tabs_of_one_agent_count_once_and_typing_in_either_shows(app):
    ann = AgentFactory(name="Ann")
    ticket = TicketFactory()
    tab, other_tab = console_of(app, ann), console_of(app, ann)
    emit(tab, "ticket.watch", {"ticket_id": ticket.id})
    emit(other_tab, "ticket.watch", {"ticket_id": ticket.id})

    emit(other_tab, "ticket.typing", {"ticket_id": ticket.id, "typing": True})

    assert services.ticket_viewers(ticket.id) == [{"agent_id": ann.id, "name": "Ann", "typing": True}]


def test_typing_on_a_hidden_ticket_is_refused(app, agent):
    hidden = TicketFactory(queue_id=team_queue(AgentFactory()).id)
    console = console_of(app, agent)

    answer = emit(console, "ticket.typing", {"ticket_id": hidden.id, "typing": True})

    assert answer["status"] == 404
    assert services.ticket_viewers(hidden.id) == []


def test_a_viewer_who_unwatches_or_disconnects_is_gone_and_the_others_are_told(app):
    ann, bob, cy = AgentFactory(name="Ann"), AgentFactory(name="Bob"), AgentFactory(name="Cy")
    ticket = TicketFactory()
    first, second, third = console_of(app, ann), console_of(app, bob), console_of(app, cy)
    for console in (first, second, third):
        emit(console, "ticket.watch", {"ticket_id": ticket.id})
    received(first)

    emit(second, "ticket.unwatch", {"ticket_id": ticket.id})
    third.disconnect(namespace="/agents")

    names = [[viewer["name"] for viewer in event["viewers"]] for event in received(first, "ticket.viewers")]
    assert names == [["Ann", "Cy"], ["Ann"]]
    assert services.ticket_viewers(ticket.id) == [{"agent_id": ann.id, "name": "Ann", "typing": False}]


def test_a_viewer_whose_process_died_expires(app, agent, monkeypatch):
    ticket = TicketFactory()
    console = console_of(app, agent)
    emit(console, "ticket.watch", {"ticket_id": ticket.id})
    later = services.time.time() + services.VIEWER_TTL_SECONDS + 1

    monkeypatch.setattr(services.time, "time", lambda: later)

    assert services.ticket_viewers(ticket.id) == []


def test_a_renewed_watch_keeps_the_viewer_and_their_typing(app, agent, monkeypatch):
    ticket = TicketFactory()
    console = console_of(app, agent)
    emit(console, "ticket.watch", {"ticket_id": ticket.id})
    emit(console, "ticket.typing", {"ticket_id": ticket.id, "typing": True})
    renewed_at = services.time.time() + services.VIEWER_RENEW_SECONDS
    monkeypatch.setattr(services.time, "time", lambda: renewed_at)

    emit(console, "ticket.watch", {"ticket_id": ticket.id})
    monkeypatch.setattr(services.time, "time", lambda: renewed_at + services.VIEWER_TTL_SECONDS - 1)

    assert services.ticket_viewers(ticket.id) == [{"agent_id": agent.id, "name": agent.name, "typing": True}]


def test_a_renewal_that_changes_nothing_tells_nobody(app):
    ann, bob = AgentFactory(name="Ann"), AgentFactory(name="Bob")
    ticket = TicketFactory()
    first, second = console_of(app, ann), console_of(app, bob)
    emit(first, "ticket.watch", {"ticket_id": ticket.id})
    emit(second, "ticket.watch", {"ticket_id": ticket.id})
    received(first)

    emit(second, "ticket.watch", {"ticket_id": ticket.id})
    emit(second, "ticket.typing", {"ticket_id": ticket.id, "typing": False})

    assert received(first, "ticket.viewers") == []
