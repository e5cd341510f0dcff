"""How routing hears of the tickets room and of presence.

Receivers only enqueue (the documented shape): each change of a ticket enqueues `follow_ticket`, a job
whose use case reads the ticket as it is then and brings its work in line (a new ticket waits in its
queue, a claimed one is taken and its offer withdrawn, a solved one cancelled, a moved one follows).
An agent becoming available has the queues with waiting work routed; one going on break or offline
has their pending offer withdrawn, so the work goes on at once. Two questions are answered with a
read-only query: whether an agent may claim a ticket by hand (`ticket_claim_requested`), and the names
of the overflow queues the settings trail records (`setting_names_requested`).
"""

from __future__ import annotations

from app.accounts.signals import setting_names_requested
from app.callcenter.presence.models import PresenceState
from app.callcenter.presence.signals import presence_changed
from app.callcenter.routing import services
from app.tickets.signals import (
    ticket_assigned,
    ticket_claim_requested,
    ticket_opened,
    ticket_reopened,
    ticket_solved,
    ticket_updated,
)

# Changes after which a ticket's work may have to follow it.
_ROUTING_FIELDS = {"queue_id", "status", "assignee_id", "priority"}


def _ticket_opened(ticket, **_):
    services.enqueue_job("follow_ticket", ticket.id, True)


def _ticket_assigned(ticket, *, previous_assignee_id=None, **_):
    # Taken away from its agent (None), the ticket waits for an agent again.
    services.enqueue_job("follow_ticket", ticket.id, ticket.assignee_id is None)
    if previous_assignee_id is not None:
        # One ticket fewer in their hands: room for the next.
        services.enqueue_job("route_for_agent", previous_assignee_id)


def _ticket_updated(ticket, *, changes=None, **_):
    changed = set(changes or ())
    if changed & _ROUTING_FIELDS:
        services.enqueue_job("follow_ticket", ticket.id, "queue_id" in changed)


def _ticket_reopened(ticket, **_):
    services.enqueue_job("follow_ticket", ticket.id, True)


def _ticket_solved(ticket, **_):
    services.enqueue_job("follow_ticket", ticket.id, False)
    if ticket.assignee_id is not None:
        # One ticket fewer in their hands: room for the next.
        services.enqueue_job("route_for_agent", ticket.assignee_id)


def _presence_changed(_presence, *, agent_id, state, **_):
    if state == PresenceState.AVAILABLE:
        services.enqueue_job("route_for_agent", agent_id)
    elif state in services.AWAY:
        services.enqueue_job("withdraw_offers_of", agent_id)


def _may_claim(ticket, *, actor, **_):
    return services.claim_refusal(ticket, actor)


def _names_of_settings(_sender, *, values, **_):
    return services.setting_names(values)


def connect() -> None:
    ticket_opened.connect(_ticket_opened)
    ticket_assigned.connect(_ticket_assigned)
    ticket_updated.connect(_ticket_updated)
    ticket_reopened.connect(_ticket_reopened)
    ticket_solved.connect(_ticket_solved)
    ticket_claim_requested.connect(_may_claim)
    presence_changed.connect(_presence_changed)
    setting_names_requested.connect(_names_of_settings)
