"""Routing offers waiting work to the best available agent, records every offer, and re-offers what is
declined or left unanswered; routing and claiming by hand never both win."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.callcenter import live
from app.callcenter.presence.models import PresenceState
from app.callcenter.routing import services as routing
from app.callcenter.routing.models import OfferOutcome, WorkKind, WorkStatus
from app.dbtypes import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db, socketio
from app.tickets import services as tickets
from tests.callcenter.routing.helpers import (
    offers,
    open_ticket,
    pending,
    queue_for,
    ready_agent,
    stage_call,
    work,
)
from tests.factories import AgentFactory

# -- who gets the work -------------------------------------------------------------------------------


def test_a_new_ticket_is_offered_to_the_available_member_idle_longest(app):
    fresh = ready_agent(idle_minutes=1)
    longest = ready_agent(idle_minutes=30)
    middle = ready_agent(idle_minutes=10)
    queue = queue_for(fresh, longest, middle)

    ticket = open_ticket(queue)

    assert pending() == [(longest.id, "ticket", ticket.id)]
    item = work(WorkKind.TICKET, ticket.id)
    assert (item.status, item.agent_id) == (WorkStatus.OFFERED, longest.id)


def test_only_agents_holding_every_skill_of_the_queue_are_offered_its_work(app):
    english_only = ready_agent(idle_minutes=30, skills=("english",))
    both = ready_agent(idle_minutes=5, skills=("english", "billing"))
    queue = queue_for(english_only, both, skills=("english", "billing"))

    ticket = open_ticket(queue)

    assert pending() == [(both.id, "ticket", ticket.id)]


def test_agents_who_are_not_available_or_not_in_the_team_get_nothing(app):
    on_break = ready_agent(idle_minutes=30, state=PresenceState.BREAK)
    outsider = ready_agent(idle_minutes=20)
    member = ready_agent(idle_minutes=1)
    queue = queue_for(on_break, member)
    del outsider

    ticket = open_ticket(queue)

    assert pending() == [(member.id, "ticket", ticket.id)]


def test_nobody_available_leaves_the_work_waiting_until_an_agent_becomes_available(app):
    queue = queue_for()
    ticket = open_ticket(queue)
    assert pending() == []
    assert work(WorkKind.TICKET, ticket.id).status == WorkStatus.WAITING

    agent = ready_agent()
    queue.team.members.append(agent)
    db.session.commit()
    routing.route_for_agent(agent.id)

    assert pending() == [(agent.id, "ticket", ticket.id)]


def test_an_agent_holds_one_pending_offer_at_a_time(app):
    agent = ready_agent()
    queue = queue_for(agent)

    first = open_ticket(queue)
    open_ticket(queue, subject="Second")

    assert pending() == [(agent.id, "ticket", first.id)]


def test_an_agent_with_as_many_open_tickets_as_their_capacity_gets_no_more(app):
    full = ready_agent(idle_minutes=30, ticket_capacity=1)
    other = ready_agent(idle_minutes=1)
    queue = queue_for(full, other)
    held = open_ticket(queue)
    routing.accept_offer(offers()[0].id, actor=full)

    ticket = open_ticket(queue, subject="Next")

    assert held.id != ticket.id
    assert pending() == [(other.id, "ticket", ticket.id)]


def test_the_desk_call_capacity_counts_calls_in_hand(app):
    agent = ready_agent(idle_minutes=30)
    other = ready_agent(idle_minutes=1)
    queue = queue_for(agent, other)
    stage_call(1, queue)
    routing.accept_offer(offers()[0].id, actor=agent)

    stage_call(2, queue)

    assert pending() == [(other.id, "call", 2)]
    # The call ends: the agent has room again (capacity 1 by default).
    routing.finish_work(WorkKind.CALL, 1)
    db.session.commit()
    routing.announce()
    stage_call(3, queue)
    assert (agent.id, "call", 3) in pending()


def test_higher_priority_then_longer_waiting_work_is_offered_first(app):
    queue = queue_for()
    now = utcnow()
    stage_call(1, queue, priority=0, waiting_since=now - timedelta(minutes=30))
    stage_call(2, queue, priority=2, waiting_since=now - timedelta(minutes=1))
    stage_call(3, queue, priority=2, waiting_since=now - timedelta(minutes=5))
    first, second, third = (ready_agent(idle_minutes=minutes) for minutes in (30, 20, 10))
    queue.team.members.extend([first, second, third])
    db.session.commit()

    routing.route_queue(queue.id)

    assert pending() == [(first.id, "call", 3), (second.id, "call", 2), (third.id, "call", 1)]


def test_work_not_before_a_later_time_waits_until_then(app):
    agent = ready_agent()
    queue = queue_for(agent)
    later = utcnow() + timedelta(hours=1)
    routing.stage_work(WorkKind.CALLBACK, 7, queue_id=queue.id, not_before=later)
    db.session.commit()
    routing.announce()
    assert pending() == []

    routing.route_queue(queue.id, now=later + timedelta(seconds=1))

    assert pending() == [(agent.id, "callback", 7)]


# -- answering ---------------------------------------------------------------------------------------


def test_accepting_a_ticket_offer_gives_the_ticket_to_the_agent_and_records_it(app):
    agent = ready_agent()
    queue = queue_for(agent)
    ticket = open_ticket(queue)
    offer = offers()[0]

    routing.accept_offer(offer.id, actor=agent)

    [recorded] = offers()
    assert recorded.outcome == OfferOutcome.ACCEPTED
    assert recorded.decided_at is not None and recorded.offered_at <= recorded.decided_at
    assert recorded.expires_at == recorded.offered_at + timedelta(seconds=20)
    assert tickets.get_ticket(ticket.id).assignee_id == agent.id
    assert work(WorkKind.TICKET, ticket.id).status == WorkStatus.ASSIGNED


def test_accepting_a_call_makes_it_the_agents(app):
    agent = ready_agent()
    queue = queue_for(agent)
    stage_call(5, queue)

    routing.accept_offer(offers()[0].id, actor=agent)

    assert routing.assigned_agent(WorkKind.CALL, 5) == agent.id


def test_only_the_offered_agent_answers_and_only_once(app):
    agent = ready_agent()
    queue = queue_for(agent)
    open_ticket(queue)
    offer = offers()[0]

    with pytest.raises(NotFound):
        routing.accept_offer(offer.id, actor=AgentFactory())
    routing.decline_offer(offer.id, actor=agent)
    with pytest.raises(Conflict):
        routing.accept_offer(offer.id, actor=agent)


def test_a_declined_offer_goes_to_the_next_agent_at_once(app):
    first = ready_agent(idle_minutes=30)
    second = ready_agent(idle_minutes=10)
    queue = queue_for(first, second)
    ticket = open_ticket(queue)

    routing.decline_offer(offers()[0].id, actor=first)

    assert [o.outcome for o in offers()] == [OfferOutcome.DECLINED, OfferOutcome.PENDING]
    assert pending() == [(second.id, "ticket", ticket.id)]


def test_an_unanswered_offer_times_out_and_goes_to_the_next_agent(app):
    first = ready_agent(idle_minutes=30)
    second = ready_agent(idle_minutes=10)
    queue = queue_for(first, second)
    ticket = open_ticket(queue)
    offer = offers()[0]

    assert not routing.time_out_offer(offer.id, now=offer.expires_at - timedelta(seconds=1))
    assert routing.time_out_offer(offer.id, now=offer.expires_at)

    assert [o.outcome for o in offers()] == [OfferOutcome.TIMED_OUT, OfferOutcome.PENDING]
    assert pending() == [(second.id, "ticket", ticket.id)]


def test_the_sweep_times_out_overdue_offers_whose_job_was_lost(app):
    first = ready_agent(idle_minutes=30)
    second = ready_agent(idle_minutes=10)
    queue = queue_for(first, second)
    ticket = open_ticket(queue)
    offer = offers()[0]

    done = routing.sweep(now=offer.expires_at + timedelta(seconds=5))

    assert done["timed_out"] == 1
    assert pending() == [(second.id, "ticket", ticket.id)]


def test_an_expired_offer_cannot_be_accepted(app):
    agent = ready_agent()
    queue = queue_for(agent)
    ticket = open_ticket(queue)
    offer = offers()[0]

    with pytest.raises(Conflict):
        routing.accept_offer(offer.id, actor=agent, now=offer.expires_at + timedelta(seconds=1))

    assert offers()[0].outcome == OfferOutcome.TIMED_OUT
    assert tickets.get_ticket(ticket.id).assignee_id is None


def test_who_declined_is_offered_the_work_again_only_when_nobody_else_can_and_not_at_once(app):
    agent = ready_agent()
    queue = queue_for(agent)
    ticket = open_ticket(queue)

    routing.decline_offer(offers()[0].id, actor=agent)
    assert pending() == []

    routing.route_queue(queue.id, now=utcnow() + timedelta(seconds=21))
    assert pending() == [(agent.id, "ticket", ticket.id)]


# -- claiming by hand ----------------------------------------------------------------------------------


def test_a_claim_by_hand_while_offered_withdraws_the_offer(app):
    offered = ready_agent(idle_minutes=30)
    claimer = AgentFactory()
    queue = queue_for(offered, claimer)
    ticket = open_ticket(queue)
    offer = offers()[0]
    console = socketio.test_client(app, namespace=live.AGENTS_NAMESPACE, auth={"token": _token(offered)})
    console.get_received(live.AGENTS_NAMESPACE)

    tickets.claim_ticket(ticket.id, actor=claimer)

    assert offers()[0].outcome == OfferOutcome.WITHDRAWN
    assert work(WorkKind.TICKET, ticket.id).agent_id == claimer.id
    ended = [e["args"][0] for e in console.get_received(live.AGENTS_NAMESPACE) if e["name"] == "offer.ended"]
    assert [(e["offer_id"], e["outcome"]) for e in ended] == [(offer.id, "withdrawn")]
    # The agent answering late loses: the ticket stays the claimer's.
    with pytest.raises(Conflict):
        routing.accept_offer(offer.id, actor=offered)
    assert tickets.get_ticket(ticket.id).assignee_id == claimer.id


def test_accept_after_a_claim_whose_news_has_not_arrived_is_refused_and_the_offer_withdrawn(app, monkeypatch):
    offered = ready_agent(idle_minutes=30)
    claimer = AgentFactory()
    queue = queue_for(offered, claimer)
    ticket = open_ticket(queue)
    offer = offers()[0]
    # The claim's job has not run yet (a busy worker): routing has not heard of it.
    monkeypatch.setattr(routing, "enqueue_job", lambda *args, **kwargs: None)
    tickets.claim_ticket(ticket.id, actor=claimer)

    with pytest.raises(Conflict):
        routing.accept_offer(offer.id, actor=offered)

    assert offers()[0].outcome == OfferOutcome.WITHDRAWN
    assert tickets.get_ticket(ticket.id).assignee_id == claimer.id
    item = work(WorkKind.TICKET, ticket.id)
    assert (item.status, item.agent_id) == (WorkStatus.ASSIGNED, claimer.id)


def test_accept_first_and_the_claim_by_hand_is_refused(app):
    offered = ready_agent()
    claimer = AgentFactory()
    queue = queue_for(offered, claimer)
    ticket = open_ticket(queue)

    routing.accept_offer(offers()[0].id, actor=offered)

    with pytest.raises(Conflict):
        tickets.claim_ticket(ticket.id, actor=claimer)
    assert tickets.get_ticket(ticket.id).assignee_id == offered.id


def test_where_the_queue_forbids_claiming_agents_wait_for_offers_and_supervisors_may_claim(app, supervisor):
    offered = ready_agent()
    claimer = AgentFactory()
    queue = queue_for(offered, claimer, claim_allowed=False)
    ticket = open_ticket(queue)

    with pytest.raises(Forbidden):
        tickets.claim_ticket(ticket.id, actor=claimer)
    # The agent holding the offer takes it by accepting (a claim on their behalf).
    routing.accept_offer(offers()[0].id, actor=offered)
    assert tickets.get_ticket(ticket.id).assignee_id == offered.id

    other = open_ticket(queue, subject="Other")
    assert tickets.claim_ticket(other.id, actor=supervisor).assignee_id == supervisor.id


def test_assigning_by_hand_withdraws_the_offer(app, supervisor):
    offered = ready_agent()
    other = AgentFactory()
    queue = queue_for(offered, other)
    ticket = open_ticket(queue)

    tickets.assign_ticket(ticket.id, other.id, actor=supervisor)

    assert offers()[0].outcome == OfferOutcome.WITHDRAWN
    assert work(WorkKind.TICKET, ticket.id).status == WorkStatus.ASSIGNED


def test_a_solved_ticket_leaves_the_line(app, supervisor):
    queue = queue_for()
    ticket = open_ticket(queue)

    tickets.update_ticket(ticket.id, {"status": "solved"}, expected_version=ticket.version, actor=supervisor)

    assert work(WorkKind.TICKET, ticket.id).status == WorkStatus.CANCELLED


def test_a_ticket_moved_to_another_queue_waits_there(app, supervisor):
    first, second = queue_for(), queue_for()
    ticket = open_ticket(first)

    moved = {"queue_id": second.id}
    tickets.update_ticket(ticket.id, moved, expected_version=ticket.version, actor=supervisor)

    assert work(WorkKind.TICKET, ticket.id).queue_id == second.id


def test_a_call_abandoned_while_offered_is_cancelled_and_its_offer_withdrawn(app):
    agent = ready_agent()
    queue = queue_for(agent)
    stage_call(4, queue)

    routing.finish_work(WorkKind.CALL, 4)
    db.session.commit()
    routing.announce()

    assert offers()[0].outcome == OfferOutcome.WITHDRAWN
    assert work(WorkKind.CALL, 4).status == WorkStatus.CANCELLED


def test_a_call_answered_by_the_offered_agent_before_they_accept_counts_as_accepted(app):
    agent = ready_agent()
    queue = queue_for(agent)
    stage_call(4, queue)

    routing.finish_work(WorkKind.CALL, 4, agent_id=agent.id)
    db.session.commit()
    routing.announce()

    assert offers()[0].outcome == OfferOutcome.ACCEPTED
    assert routing.assigned_agent(WorkKind.CALL, 4) == agent.id


# -- overflow ------------------------------------------------------------------------------------------


def test_work_waiting_past_the_limit_overflows_once_to_the_other_queue(app):
    helper = ready_agent()
    spare = queue_for(helper)
    busy = queue_for(overflow_queue_id=spare.id, overflow_after_seconds=60)
    stage_call(9, busy)
    assert pending() == []

    routing.route_queue(busy.id, now=utcnow() + timedelta(seconds=61))

    item = work(WorkKind.CALL, 9)
    assert (item.queue_id, item.overflowed_from_id) == (spare.id, busy.id)
    assert pending() == [(helper.id, "call", 9)]


# -- what consoles receive -----------------------------------------------------------------------------


def _token(agent) -> str:
    from app.accounts import services as accounts

    return accounts.create_api_token(agent.id)[1]


def test_the_offered_agents_console_gets_the_offer_with_the_customer_to_pop_up(app):
    agent = ready_agent()
    queue = queue_for(agent)
    console = socketio.test_client(app, namespace=live.AGENTS_NAMESPACE, auth={"token": _token(agent)})

    ticket = open_ticket(queue, email="pop@example.com")

    [event] = [e for e in console.get_received(live.AGENTS_NAMESPACE) if e["name"] == "offer.new"]
    payload = event["args"][0]
    assert payload["kind"] == "ticket"
    assert payload["subject_id"] == ticket.id
    assert payload["queue"] == queue.name
    assert payload["timeout_seconds"] == 20
    assert payload["title"] == f"{ticket.reference}: My parcel is late"
    assert payload["customer"]["name"] == "Cleo Customer"
    assert {"kind": "email", "value": "pop@example.com"} in payload["customer"]["contact_points"]
    assert payload["customer"]["tickets"] == 1


def test_a_console_snapshot_and_the_wallboard_read_offers_and_lines_as_the_events_said(app):
    agent = ready_agent()
    queue = queue_for(agent)
    ticket = open_ticket(queue)
    open_ticket(queue, subject="Second")

    [offer] = routing.pending_offers(agent.id)
    figures = routing.queue_figures(queue.id)

    assert (offer["kind"], offer["subject_id"], offer["queue"]) == ("ticket", ticket.id, queue.name)
    assert (figures["queue_id"], figures["waiting"]) == (queue.id, 1)


def _emit(console, event: str, data):
    return console.emit(event, data, namespace=live.AGENTS_NAMESPACE, callback=True)


def test_a_console_accepts_and_declines_by_socket_event(app):
    first = ready_agent(idle_minutes=30)
    second = ready_agent(idle_minutes=10)
    queue = queue_for(first, second)
    ticket = open_ticket(queue)
    console = socketio.test_client(app, namespace=live.AGENTS_NAMESPACE, auth={"token": _token(first)})

    answer = _emit(console, "offer.decline", {"offer_id": offers()[0].id})
    assert answer["ok"] is True and answer["offer"]["outcome"] == "declined"

    refused = _emit(console, "offer.accept", {"offer_id": offers()[1].id})
    assert (refused["ok"], refused["status"]) == (False, 404)
    bad = _emit(console, "offer.accept", {"offer_id": "x"})
    assert (bad["ok"], bad["status"]) == (False, 422)
    assert pending() == [(second.id, "ticket", ticket.id)]
