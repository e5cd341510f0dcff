"""How the wallboard hears of changes: presence, work, offers and calls of the call center, and the
tickets' changes that move the SLA figures. Each receiver asks for its scope's figures to be recomputed
(coalesced, by a job) and tells the wallboards following the agent concerned what happened to them."""

from __future__ import annotations

from app.callcenter.calls.signals import call_changed
from app.callcenter.presence.signals import presence_changed
from app.callcenter.routing.signals import offer_ended, offer_made, work_changed
from app.callcenter.wallboard import services
from app.tickets.signals import (
    sla_breached,
    sla_warning,
    ticket_assigned,
    ticket_commented,
    ticket_opened,
    ticket_reopened,
    ticket_solved,
    ticket_updated,
)


def _presence_changed(_sender, *, agent_id, state, previous=None, reason_id=None, actor_id=None, **_):
    services.request_refresh(f"agent:{agent_id}")
    details = {"state": state, "previous": previous, "reason_id": reason_id, "actor_id": actor_id}
    services.publish_agent_event(agent_id, "presence", details)


def _work_changed(sender, *, queue_id=None, work_item_id=None, status=None, **_):
    services.request_refresh(services.queue_scope(queue_id))
    moved_from = getattr(sender, "overflowed_from_id", None)
    if moved_from is not None and moved_from != queue_id:
        services.request_refresh(services.queue_scope(moved_from))


def _offer_made(_sender, *, offer_id, agent_id, work_item_id, **_):
    services.publish_agent_event(agent_id, "offer.new", {"offer_id": offer_id, "work_item_id": work_item_id})


def _offer_ended(_sender, *, offer_id, agent_id, work_item_id, outcome=None, **_):
    details = {"offer_id": offer_id, "work_item_id": work_item_id, "outcome": outcome}
    services.publish_agent_event(agent_id, "offer.ended", details)


def _call_changed(_sender, *, call_id, status, queue_id=None, agent_id=None, **_):
    services.request_refresh(services.queue_scope(queue_id))
    services.publish_agent_event(
        agent_id, "call", {"call_id": call_id, "status": status, "queue_id": queue_id}
    )


def _ticket_details(ticket) -> dict:
    return {"ticket_id": ticket.id, "reference": ticket.reference, "subject": ticket.subject}


def _ticket_changed(ticket, *, changes=None, **_):
    """Any change of a ticket may move its queue's SLA figures (solved, replied to, moved, re-timed)."""
    services.request_refresh(services.queue_scope(ticket.queue_id))
    old_queue = (changes or {}).get("queue_id", (None, None))[0]
    if old_queue is not None and old_queue != ticket.queue_id:
        services.request_refresh(services.queue_scope(old_queue))


def _ticket_assigned(ticket, *, actor=None, previous_assignee_id=None, **_):
    services.request_refresh(services.queue_scope(ticket.queue_id))
    actor_id = actor.id if actor is not None else None
    services.publish_agent_event(
        ticket.assignee_id, "ticket.assigned", {**_ticket_details(ticket), "actor_id": actor_id}
    )
    if previous_assignee_id != ticket.assignee_id:
        services.publish_agent_event(
            previous_assignee_id, "ticket.unassigned", {**_ticket_details(ticket), "actor_id": actor_id}
        )


def _ticket_commented(ticket, *, actor=None, comment=None, **_):
    services.request_refresh(services.queue_scope(ticket.queue_id))
    if actor is not None:
        public = bool(getattr(comment, "public", True))
        services.publish_agent_event(
            actor.id, "ticket.commented", {**_ticket_details(ticket), "public": public}
        )


def _ticket_solved(ticket, *, actor=None, **_):
    services.request_refresh(services.queue_scope(ticket.queue_id))
    if actor is not None:
        services.publish_agent_event(actor.id, "ticket.solved", _ticket_details(ticket))


def _sla_flagged(kind):
    def receiver(ticket, *, target, **_):
        services.request_refresh(services.queue_scope(ticket.queue_id))
        due_at = target.due_at.isoformat() if target.due_at else None
        details = {**_ticket_details(ticket), "target": target.kind, "due_at": due_at}
        services.publish_agent_event(ticket.assignee_id, kind, details)

    receiver.__name__ = f"_{kind.replace('.', '_')}"
    return receiver


_sla_warning = _sla_flagged("sla.warning")
_sla_breached = _sla_flagged("sla.breached")


def connect() -> None:
    presence_changed.connect(_presence_changed)
    work_changed.connect(_work_changed)
    offer_made.connect(_offer_made)
    offer_ended.connect(_offer_ended)
    call_changed.connect(_call_changed)
    ticket_opened.connect(_ticket_changed)
    ticket_updated.connect(_ticket_changed)
    ticket_reopened.connect(_ticket_changed)
    ticket_assigned.connect(_ticket_assigned)
    ticket_commented.connect(_ticket_commented)
    ticket_solved.connect(_ticket_solved)
    sla_warning.connect(_sla_warning)
    sla_breached.connect(_sla_breached)
