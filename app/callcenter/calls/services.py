"""Use cases of calls: telephony events applied to call records, wrap-up, callback requests, the call
history import and the calls on a customer's timeline.

A call's record is computed from the set of its events, never from the last one alone: events arrive
twice (kept once per provider and event id) and out of order (an `ended` before its `answered`, an
`answered` before its `offered`), and each timestamp field takes its event's time. Statuses therefore
never move backwards: a late `answered` of an ended call fills in `answered_at` and leaves it ended.

What follows a change happens after its commit: the call's signal, its live event to the agent's and
the queue's consoles, the agent's presence (busy when answered, wrap-up when the call ends, available
once wrapped up) and routing (`route_soon`) for the work staged in the same transaction (the queued
call; the callback a missed or abandoned call leaves).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts import services as accounts
from app.accounts.access import Permission, has_permission
from app.accounts.models import Agent
from app.callcenter import live
from app.callcenter.calls.models import (
    Call,
    CallbackRequest,
    CallbackStatus,
    CallEvent,
    CallStatus,
)
from app.callcenter.calls.signals import call_changed, callback_requested
from app.callcenter.presence import services as presence
from app.callcenter.presence.models import PresenceState
from app.callcenter.routing import services as routing
from app.callcenter.routing.models import Offer, OfferOutcome, WorkItem, WorkKind
from app.customers import services as customers
from app.customers.models import Customer
from app.dbtypes import utcnow
from app.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.imports import ImportReport
from app.records import get_or_404
from app.tickets import services as tickets
from app.tickets.models import Queue, Ticket
from app.tickets.services.tickets import Change, commit_ticket, reply
from app.tickets.signals import ticket_commented
from app.unit_of_work import roll_back, unit_of_work

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    OFFERED = "call.offered"
    ANSWERED = "call.answered"
    HELD = "call.held"
    RESUMED = "call.resumed"
    TRANSFERRED = "call.transferred"
    ENDED = "call.ended"
    ABANDONED = "call.abandoned"


class Provider(StrEnum):
    PBX = "pbx"  # the signed generic webhook
    TWILIO = "twilio"
    IMPORT = "import"  # history: no routing, no live events, no presence changes


# What an agent says a call came to when wrapping it up.
DISPOSITIONS = (
    "resolved",
    "follow_up",
    "escalated",
    "callback_promised",
    "no_answer",
    "wrong_number",
    "spam",
)
NOTES_MAX = 10_000
NOTE_MAX = 2_000

# Presence states the calls move an agent through (the presence package's words).
BUSY, WRAP_UP, AVAILABLE = PresenceState.BUSY, PresenceState.WRAP_UP, PresenceState.AVAILABLE

_TALKING = (CallStatus.TALKING, CallStatus.HELD)
# Tries of an event that lost a race (another event of the same new call created it first).
_ATTEMPTS = 3


# -- the seams to presence and routing ----------------------------------------------------------------


def _presence_follows(agent_id: int, state: str) -> None:
    """Move the agent's presence as the call does, after the commit (`presence.set_presence`). A refusal
    there (an agent gone offline meanwhile) leaves the call as recorded."""
    try:
        presence.set_presence(agent_id, state, actor=None)
    except AppError as error:
        log.info("Presence of agent %s not set to %s: %s", agent_id, state, error.message)


# -- telephony events ---------------------------------------------------------------------------------


@dataclass
class Recorded:
    """The call an event is about, as it is now, and whether the event had been received before."""

    call: Call
    duplicate: bool


@dataclass
class _After:
    """What must follow the commit of an event's changes."""

    presence: list[tuple[int, str]]
    callback: CallbackRequest | None = None
    withdrawn: list[int] = field(default_factory=list)


def record_event(provider: str, event: Mapping[str, Any]) -> Recorded:
    """Apply one telephony event to its call, once.

    `event`: `id` (unique per provider), `type` (an `EventKind`), `call_id` (the provider's), `timestamp`
    (aware datetime), and as the kind has them `caller`, `dialed`, `queue` (a queue's id or name),
    `agent` (an agent's id or e-mail; on `call.transferred` the agent and/or queue it went to).
    A repeated event id changes nothing and answers as the first did (`duplicate`). An unknown queue or
    agent is `Invalid`, before anything is written.
    """
    resolved = _resolve(event)
    for attempt in range(_ATTEMPTS):
        try:
            return _record(provider, event, resolved)
        except IntegrityError:
            # A concurrent delivery of the same event, or another event creating the same call: the
            # next try finds what the winner stored.
            roll_back()
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _record(provider: str, event: Mapping[str, Any], resolved: dict[str, Any]) -> Recorded:
    known = db.session.scalar(
        select(CallEvent).where(CallEvent.provider == provider, CallEvent.event_id == event["id"])
    )
    if known is not None:
        return Recorded(db.session.get(Call, known.call_id), True)
    call = db.session.scalar(
        select(Call).where(Call.provider == provider, Call.external_id == event["call_id"]).with_for_update()
    )
    before = None if call is None else _snapshot(call)
    received = CallEvent(
        provider=provider,
        event_id=event["id"],
        kind=event["type"],
        occurred_at=event["timestamp"],
        data=resolved,
    )
    events = [received]
    if call is None:
        call = Call(provider=provider, external_id=event["call_id"], offered_at=event["timestamp"])
        db.session.add(call)
    else:
        events += db.session.scalars(select(CallEvent).where(CallEvent.call_id == call.id))
    # In time order; of events at one moment, as they were received.
    events.sort(key=lambda e: (e.occurred_at, e.id is None, e.id or 0))
    with db.session.no_autoflush:
        _compute(call, events)
        if call.customer_id is None and call.caller and (before is None or before["caller"] != call.caller):
            call.customer_id = _customer_of(call.caller)
    # The call's row as computed (its id for the event and for routing's line), then the event.
    db.session.flush()
    received.call_id = call.id
    db.session.add(received)
    after = _stage_consequences(call, before, history=provider == Provider.IMPORT)
    db.session.commit()
    _announce(call, before, after, history=provider == Provider.IMPORT)
    return Recorded(call, False)


def _resolve(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event's own fields, with its queue and agent named by id (looked up once, as received)."""
    data: dict[str, Any] = {}
    for name in ("caller", "dialed"):
        if event.get(name):
            data[name] = event[name]
    if event.get("queue") not in (None, ""):
        data["queue_id"] = _queue_id(event["queue"], "queue")
    if event.get("agent") not in (None, ""):
        data["agent_id"] = _agent_id(event["agent"], "agent")
    if event.get("disposition"):
        data["disposition"] = event["disposition"]
    return data


def _queue_id(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        queue = db.session.get(Queue, value) if 0 < value < 2**31 else None
    else:
        queue = db.session.scalar(select(Queue).where(Queue.name == str(value).strip()))
    if queue is None:
        raise Invalid(_l("The request has invalid fields."), {field: [_l("No such queue.")]})
    return queue.id


def _agent_id(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        agent = db.session.get(Agent, value) if 0 < value < 2**31 else None
    else:
        agent = accounts.find_agent_by_email(str(value))
    if agent is None:
        raise Invalid(_l("The request has invalid fields."), {field: [_l("No such agent.")]})
    return agent.id


def _snapshot(call: Call) -> dict[str, Any]:
    return {
        "status": call.status,
        "agent_id": call.agent_id,
        "queue_id": call.queue_id,
        "customer_id": call.customer_id,
        "caller": call.caller,
        "missed": missed(call),
    }


def _compute(call: Call, events: list[CallEvent]) -> None:
    """The call's fields from all of its events (sorted by time), whatever order they came in."""
    first: dict[str, CallEvent] = {}
    for event in events:
        first.setdefault(event.kind, event)
    offered = first.get(EventKind.OFFERED)
    call.offered_at = offered.occurred_at if offered else events[0].occurred_at
    if offered is not None:
        call.caller = offered.data.get("caller", call.caller or "")
        call.dialed = offered.data.get("dialed", call.dialed or "")
    answered = first.get(EventKind.ANSWERED)
    ended, abandoned = first.get(EventKind.ENDED), first.get(EventKind.ABANDONED)
    call.answered_at = answered.occurred_at if answered else None
    call.abandoned_at = abandoned.occurred_at if abandoned and not answered else None
    over = ended or (abandoned if answered else None)
    call.ended_at = over.occurred_at if over else None

    queue_id = agent_id = None
    transfers = hold = 0
    held_since = None
    finish = (ended or abandoned).occurred_at if (ended or abandoned) else None
    for event in events:
        if event.kind in (EventKind.OFFERED, EventKind.TRANSFERRED) and "queue_id" in event.data:
            queue_id = event.data["queue_id"]
        if event.kind in (EventKind.ANSWERED, EventKind.TRANSFERRED) and "agent_id" in event.data:
            agent_id = event.data["agent_id"]
        if event.kind == EventKind.TRANSFERRED:
            transfers += 1
        if finish is not None and event.occurred_at > finish:
            continue
        if event.kind == EventKind.HELD and held_since is None:
            held_since = event.occurred_at
        elif event.kind == EventKind.RESUMED and held_since is not None:
            hold += _seconds(event.occurred_at - held_since)
            held_since = None
    if held_since is not None and finish is not None:
        hold += _seconds(finish - held_since)
        held_since = None
    call.queue_id = queue_id if queue_id is not None else call.queue_id
    call.agent_id = agent_id
    call.transfers = transfers
    call.hold_seconds = hold
    call.held_since = held_since

    if ended or abandoned:
        status = CallStatus.ENDED if answered or not abandoned else CallStatus.ABANDONED
    elif held_since is not None:
        status = CallStatus.HELD
    elif answered:
        status = CallStatus.TALKING
    else:
        status = CallStatus.QUEUED
    call.status = status
    if call.ended_at is not None and call.answered_at is not None:
        call.talk_seconds = max(0, _seconds(call.ended_at - call.answered_at) - hold)
    else:
        call.talk_seconds = None


def _seconds(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds()))


def missed(call: Call) -> bool:
    """Ended or abandoned before anyone answered: the customer is owed a call back."""
    return call.answered_at is None and call.status in (CallStatus.ENDED, CallStatus.ABANDONED)


def _stage_consequences(call: Call, before: dict[str, Any] | None, *, history: bool) -> _After:
    """In the event's transaction: the queued call's routing work, the callback a missed call leaves
    (or withdraws, when its answer comes late); and what presence must do once it has committed."""
    after = _After(presence=[])
    if history:
        return after
    was = before or {"status": None, "agent_id": None, "queue_id": None, "customer_id": None, "missed": False}

    line = (call.status, call.queue_id, call.customer_id)
    if (
        call.status == CallStatus.QUEUED
        and call.queue_id is not None
        and line
        != (
            was["status"],
            was["queue_id"],
            was["customer_id"],
        )
    ):
        routing.stage_work(
            WorkKind.CALL,
            call.id,
            queue_id=call.queue_id,
            customer_id=call.customer_id,
            waiting_since=call.offered_at,
        )
    talking_before = was["status"] in _TALKING
    if call.status in _TALKING and call.agent_id is not None:
        if not talking_before or was["agent_id"] != call.agent_id:
            after.presence.append((call.agent_id, BUSY))
        if talking_before and was["agent_id"] not in (None, call.agent_id):
            after.presence.append((was["agent_id"], WRAP_UP))
    ended_now = call.status == CallStatus.ENDED and was["status"] != CallStatus.ENDED
    if ended_now and call.agent_id is not None and call.answered_at is not None:
        after.presence.append((call.agent_id, WRAP_UP))
    # The queued call's line: answered, it is in its agent's hands (their own offer, if they had it,
    # accepted); over, it no longer waits nor counts against the agent's capacity.
    if call.status in _TALKING and call.agent_id is not None and not talking_before:
        routing.finish_work(WorkKind.CALL, call.id, agent_id=call.agent_id)
    if call.status in (CallStatus.ENDED, CallStatus.ABANDONED) and was["status"] != call.status:
        routing.finish_work(WorkKind.CALL, call.id)
    if was["missed"] and not missed(call):
        # The answer came after the end: the call was not missed after all, and nobody owes a callback.
        after.withdrawn = _withdraw_callbacks(call.id)
        for callback_id in after.withdrawn:
            routing.finish_work(WorkKind.CALLBACK, callback_id)
    if missed(call) and not _has_callback(call.id):
        after.callback = _stage_callback(
            phone=call.caller,
            customer_id=call.customer_id,
            queue_id=call.queue_id,
            requested_for=utcnow(),
            source="abandoned_call" if call.status == CallStatus.ABANDONED else "missed_call",
            call_id=call.id,
        )
    return after


def _customer_of(phone: str) -> int | None:
    try:
        return customers.lookup_customer(phone=phone).id
    except (NotFound, Invalid):
        return None


def _withdraw_callbacks(call_id: int) -> list[int]:
    waiting = db.session.scalars(
        select(CallbackRequest).where(
            CallbackRequest.call_id == call_id, CallbackRequest.status == CallbackStatus.WAITING
        )
    )
    withdrawn = []
    for callback in waiting:
        callback.status = CallbackStatus.CANCELLED
        callback.done_at = utcnow()
        withdrawn.append(callback.id)
    return withdrawn


def _has_callback(call_id: int) -> bool:
    return db.session.scalar(select(CallbackRequest.id).where(CallbackRequest.call_id == call_id)) is not None


def _announce(call: Call, before: dict[str, Any] | None, after: _After, *, history: bool) -> None:
    if history:
        return
    call_changed.send(
        call, call_id=call.id, status=call.status, queue_id=call.queue_id, agent_id=call.agent_id
    )
    rooms = []
    for agent_id in {call.agent_id, (before or {}).get("agent_id")} - {None}:
        rooms.append(live.room("agent", agent_id))
    if call.queue_id is not None:
        rooms.append(live.room("queue", call.queue_id))
    live.publish("call.changed", call_payload(call), rooms=rooms)
    if after.callback is not None:
        _announce_callback(after.callback)
    for agent_id, state in after.presence:
        _presence_follows(agent_id, state)
    # Routing's news of this commit: the line changed, offers ended, queues to route.
    routing.announce()


def call_payload(call: Call) -> dict[str, Any]:
    """The `call.changed` live event's payload."""
    return {
        "call_id": call.id,
        "status": call.status,
        "caller": call.caller,
        "queue_id": call.queue_id,
        "agent_id": call.agent_id,
        "customer_id": call.customer_id,
        "ticket_id": call.ticket_id,
        "offered_at": _iso(call.offered_at),
        "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at or call.abandoned_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# -- call records -------------------------------------------------------------------------------------


def list_calls(
    *,
    status: str | None = None,
    queue_id: int | None = None,
    agent_id: int | None = None,
    customer_id: int | None = None,
):
    """Calls newest first, filtered as given (a `select()` for the pages and the API's paging)."""
    query = select(Call).order_by(Call.offered_at.desc(), Call.id.desc())
    for column, value in (
        (Call.status, status),
        (Call.queue_id, queue_id),
        (Call.agent_id, agent_id),
        (Call.customer_id, customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


def get_call(call_id: int) -> Call:
    return get_or_404(Call, call_id, what=_l("Call"))


@unit_of_work
def wrap_up(
    call_id: int,
    *,
    disposition: str,
    notes: str = "",
    ticket: Mapping[str, Any] | None = None,
    ticket_id: int | None = None,
    actor: Agent,
) -> Call:
    """End the after-call work of an ended call: its disposition, notes, and optionally a ticket, opened
    for the caller (`ticket`: `subject`, and `description`, `priority`, `type`) or an existing one
    (`ticket_id`) given an internal note about the call. Only the call's agent, or a supervisor, wraps it
    up, once; the wrap-up time runs from the end of the call. The agent is available again."""
    call = get_or_404(Call, call_id, what=_l("Call"), for_update=True)
    if call.agent_id != actor.id and not has_permission(actor, Permission.CALLS_SUPERVISE):
        raise Forbidden(_l("Only the agent who took the call, or a supervisor, wraps it up."))
    if call.status != CallStatus.ENDED or call.answered_at is None:
        raise Conflict(_l("Only an answered call that has ended is wrapped up."))
    if call.wrap_up_ended_at is not None:
        raise Conflict(_l("The call was wrapped up already."))
    if disposition not in DISPOSITIONS:
        raise Invalid(
            _l("The request has invalid fields."),
            {"disposition": [_l("Must be one of: %(choices)s.", choices=", ".join(DISPOSITIONS))]},
        )
    if ticket is not None and ticket_id is not None:
        raise Invalid(
            _l("The request has invalid fields."),
            {"ticket_id": [_l("Give a new ticket or an existing one, not both.")]},
        )
    notes = (notes or "").strip()
    now = utcnow()
    opened: Ticket | None = None
    change: Change | None = None
    comment = None
    if ticket is not None:
        opened = tickets.stage_ticket(
            subject=ticket["subject"],
            description=ticket.get("description") or notes,
            type=ticket.get("type") or "question",
            priority=ticket.get("priority") or "normal",
            channel="phone",
            customer_id=call.customer_id,
            customer=None if call.customer_id else {"phone": call.caller, "verified": False},
            queue_id=call.queue_id,
            assignee_id=actor.id if call.agent_id == actor.id else None,
            actor=actor,
        )
        db.session.flush()
        call.ticket_id = opened.id
        call.customer_id = call.customer_id or opened.customer_id
    elif ticket_id is not None:
        existing = tickets.workable_ticket(ticket_id, actor=actor, for_update=True)
        change = Change(existing, actor)
        comment = reply(change, body=_call_note(call, disposition, notes), public=False)
        call.ticket_id = existing.id
    call.disposition = disposition
    call.notes = notes
    call.wrap_up_ended_at = now
    call.wrap_up_seconds = _seconds(now - call.ended_at) if call.ended_at else 0
    if change is not None:
        commit_ticket(change.ticket)
    else:
        db.session.commit()
    if opened is not None:
        tickets.announce_opened(opened, actor=actor)
    if change is not None:
        ticket_commented.send(change.ticket, actor=actor, comment=comment)
        change.send()
    _announce(call, None, _After(presence=[]), history=call.provider == Provider.IMPORT)
    if call.agent_id is not None and call.provider != Provider.IMPORT:
        _presence_follows(call.agent_id, AVAILABLE)
    return call


def _call_note(call: Call, disposition: str, notes: str) -> str:
    lines = [f"Call from {call.caller or 'an unknown number'}: {disposition.replace('_', ' ')}."]
    if notes:
        lines.append(notes)
    return "\n\n".join(lines)


# -- callback requests --------------------------------------------------------------------------------


def list_callbacks(*, status: str | None = None, queue_id: int | None = None, customer_id: int | None = None):
    """Callback requests, the soonest due first."""
    query = select(CallbackRequest).order_by(CallbackRequest.requested_for, CallbackRequest.id)
    for column, value in (
        (CallbackRequest.status, status),
        (CallbackRequest.queue_id, queue_id),
        (CallbackRequest.customer_id, customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


def request_callback(
    *,
    phone: str,
    requested_for: datetime,
    queue_id: int | None = None,
    customer_id: int | None = None,
    note: str = "",
    source: str = "agent",
    ticket_id: int | None = None,
    actor: Agent | None,
) -> CallbackRequest:
    """A call we owe a customer at `requested_for` (not in the past, at most `CALLBACK_MAX_DAYS_AHEAD`
    ahead), routed as work from that time on. The phone is stored in E.164; the customer is the one
    named, else the phone's owner."""
    errors: dict[str, list[Any]] = {}
    try:
        normalized = customers.normalize_phone(phone, "phone")
    except Invalid as error:
        errors.update(error.errors or {"phone": [error.message]})
        normalized = None
    errors.update(check_callback_time(requested_for))
    if queue_id is not None and db.session.get(Queue, queue_id) is None:
        errors["queue_id"] = [_l("No such queue.")]
    if customer_id is not None:
        owner = db.session.get(Customer, customer_id)
        if owner is None or owner.deleted_at is not None:
            errors["customer_id"] = [_l("No such customer.")]
    if errors:
        raise Invalid(_l("The request has invalid fields."), errors)
    if customer_id is None and normalized:
        customer_id = _customer_of(normalized)
    callback = _stage_callback(
        phone=normalized or phone,
        customer_id=customer_id,
        queue_id=queue_id,
        requested_for=requested_for,
        source=source,
        note=(note or "").strip()[:NOTE_MAX],
        ticket_id=ticket_id,
        agent_id=actor.id if actor is not None else None,
    )
    db.session.commit()
    _announce_callback(callback)
    routing.announce()
    return callback


def check_callback_time(requested_for: datetime) -> dict[str, list[Any]]:
    """Field errors of a callback's time: not in the past, not too far ahead."""
    now = utcnow()
    days = int(current_app.config["CALLBACK_MAX_DAYS_AHEAD"])
    if requested_for.tzinfo is None or requested_for < now - timedelta(minutes=1):
        return {"requested_for": [_l("Choose a time from now on.")]}
    if requested_for > now + timedelta(days=days):
        return {"requested_for": [_l("Choose a time within the next %(days)s days.", days=days)]}
    return {}


def _stage_callback(
    *,
    phone: str,
    customer_id: int | None,
    queue_id: int | None,
    requested_for: datetime,
    source: str,
    call_id: int | None = None,
    note: str = "",
    ticket_id: int | None = None,
    agent_id: int | None = None,
) -> CallbackRequest:
    callback = CallbackRequest(
        phone=phone or "",
        customer_id=customer_id,
        queue_id=queue_id,
        requested_for=requested_for,
        source=source,
        call_id=call_id,
        note=note,
        ticket_id=ticket_id,
        agent_id=agent_id,
        status=CallbackStatus.WAITING,
    )
    db.session.add(callback)
    db.session.flush()
    routing.stage_work(
        WorkKind.CALLBACK,
        callback.id,
        queue_id=queue_id,
        customer_id=customer_id,
        not_before=requested_for,
        waiting_since=requested_for,
    )
    return callback


def _announce_callback(callback: CallbackRequest) -> None:
    callback_requested.send(callback, callback_id=callback.id, queue_id=callback.queue_id)


def request_callback_for_case(ticket: Ticket, *, phone: str, requested_for: datetime) -> CallbackRequest:
    """The customer asks, on their case's tracking page, to be called back at a time of their choosing
    (the ticket's queue calls; the page has checked the link)."""
    return request_callback(
        phone=phone,
        requested_for=requested_for,
        queue_id=ticket.queue_id,
        customer_id=ticket.customer_id,
        source="portal",
        ticket_id=ticket.id,
        note=f"Asked on the tracking page of {ticket.reference}.",
        actor=None,
    )


def waiting_callbacks_of_case(ticket_id: int) -> list[CallbackRequest]:
    """The case's callbacks still to be made, soonest first (the tracking page shows them)."""
    return list(
        db.session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.ticket_id == ticket_id, CallbackRequest.status == CallbackStatus.WAITING)
            .order_by(CallbackRequest.requested_for)
        )
    )


# -- the customer's timeline --------------------------------------------------------------------------


def timeline_entries(
    customer_ids: list[int], *, before: datetime | None, limit: int, viewer: Agent | None
) -> list[dict[str, Any]]:
    """The customers' calls, newest first, for the 360° timeline (every agent reads call records)."""
    query = (
        select(Call)
        .where(Call.customer_id.in_(customer_ids))
        .order_by(Call.offered_at.desc(), Call.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Call.offered_at < before)
    return [_timeline_entry(call) for call in db.session.scalars(query)]


def _timeline_entry(call: Call) -> dict[str, Any]:
    if call.answered_at is not None:
        text = _l("Call from %(caller)s answered", caller=call.caller or "?")
        kind = "call_answered"
    elif call.status == CallStatus.ABANDONED:
        text = _l("Call from %(caller)s abandoned before an answer", caller=call.caller or "?")
        kind = "call_abandoned"
    elif call.status == CallStatus.ENDED:
        text = _l("Call from %(caller)s missed", caller=call.caller or "?")
        kind = "call_missed"
    else:
        text = _l("Call from %(caller)s waiting", caller=call.caller or "?")
        kind = "call_offered"
    return {
        "occurred_at": call.offered_at,
        "kind": kind,
        "source": "callcenter",
        "text": text,
        "data": {
            "status": call.status,
            "caller": call.caller,
            "queue_id": call.queue_id,
            "agent_id": call.agent_id,
            "talk_seconds": call.talk_seconds,
            "hold_seconds": call.hold_seconds,
            "disposition": call.disposition,
            "ticket_id": call.ticket_id,
        },
        "ref": {"type": "call", "id": call.id},
    }


# -- the call history import --------------------------------------------------------------------------

IMPORT_BATCH_SIZE = 500


@dataclass
class CallImportReport(ImportReport):
    """Calls created, unchanged (their id was imported before) and failed, with the first failures as
    `{"line": <n>, "reference": <id>, "errors": {field: [...]}}`."""

    whole_file: ClassVar[dict[str, Any]] = {"line": 0, "reference": None}

    @property
    def lines(self) -> int:
        return self.created + self.unchanged + self.failed


def import_call_history(
    lines: Iterable[str],
    *,
    on_progress: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> CallImportReport:
    """Import past calls from JSON Lines, one call a line: `{"id", "queue", "caller", "offered_at",
    "answered_at", "ended_at", "abandoned_at", "agent_email", "hold_seconds", "wrap_up_seconds",
    "disposition"}`, committing every `IMPORT_BATCH_SIZE` lines.

    History for the KPIs: provider `import`, no routing, no live events, no presence changes, no
    callbacks. A call keeps its `id`, so a line whose id was imported before is `unchanged` and
    importing a file again writes nothing. A bad line (not JSON, a field of the wrong shape, an unknown
    queue or agent, times out of order) is counted in `failed` and reported by its number.
    """
    from app.callcenter.calls.schemas import CallHistoryLineSchema

    schema = CallHistoryLineSchema()
    report = CallImportReport()
    done = 0
    batch: list[tuple[int, str]] = []
    for numbered in _numbered(lines):
        batch.append(numbered)
        if len(batch) == IMPORT_BATCH_SIZE:
            done = _import_batch(batch, schema, report, on_progress, done, total)
            batch = []
    if batch:
        _import_batch(batch, schema, report, on_progress, done, total)
    return report


def _import_batch(batch, schema, report, on_progress, done, total) -> int:
    parsed = [(number, *_parse_call(text, schema)) for number, text in batch]
    tally = CallImportReport(report.created, report.unchanged, report.failed, list(report.errors))
    _stage_calls(parsed, tally)
    try:
        db.session.commit()
    except IntegrityError:
        # Another import wrote one of these ids meanwhile: each line again, in its own commit.
        db.session.rollback()
        tally = CallImportReport(report.created, report.unchanged, report.failed, list(report.errors))
        for line in parsed:
            _stage_calls([line], tally)
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                tally.unchanged += 1
                tally.created -= 1
    report.created, report.unchanged, report.failed = tally.created, tally.unchanged, tally.failed
    report.errors = tally.errors
    for _line in batch:
        done += 1
        if on_progress is not None:
            on_progress(done, total)
    return done


def _parse_call(text: str, schema) -> tuple[str | None, dict[str, Any] | None, dict[str, Any] | None]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        message = f"Not valid JSON: {error.msg} (column {error.colno})." if hasattr(error, "msg") else None
        return None, None, {"line": [message or "Not valid JSON: nested too deeply."]}
    if not isinstance(data, dict):
        return None, None, {"line": ["Must be a JSON object (one call per line)."]}
    try:
        line = schema.load(data)
    except ValidationError as error:
        reference = data.get("id") if isinstance(data.get("id"), str) else None
        return reference, None, error.messages
    return line["id"], line, None


def _stage_calls(parsed, report: CallImportReport) -> None:
    ids = {reference for _n, reference, line, _e in parsed if line is not None}
    known = set()
    if ids:
        known = set(
            db.session.scalars(
                select(Call.external_id).where(Call.provider == Provider.IMPORT, Call.external_id.in_(ids))
            )
        )
    queues = {q.name: q.id for q in db.session.scalars(select(Queue))}
    agents: dict[str, int | None] = {}
    for number, reference, line, errors in parsed:
        if errors is None:
            errors = {}
            queue_id = queues.get(line["queue"]) if line.get("queue") else None
            if line.get("queue") and queue_id is None:
                errors["queue"] = [f"No queue named {line['queue']}."]
            agent_id = None
            if line.get("agent_email"):
                email = line["agent_email"]
                if email not in agents:
                    found = accounts.find_agent_by_email(email)
                    agents[email] = found.id if found else None
                agent_id = agents[email]
                if agent_id is None:
                    errors["agent_email"] = [f"No agent with the e-mail {email}."]
        if errors:
            report.add_failure(errors, line=number, reference=reference)
            continue
        if reference in known:
            report.unchanged += 1
            continue
        known.add(reference)
        db.session.add(_imported_call(line, queue_id, agent_id))
        report.created += 1


def _imported_call(line: dict[str, Any], queue_id: int | None, agent_id: int | None) -> Call:
    answered, ended, abandoned = line.get("answered_at"), line.get("ended_at"), line.get("abandoned_at")
    hold = line.get("hold_seconds") or 0
    if ended is not None:
        status = CallStatus.ENDED
    elif abandoned is not None:
        status = CallStatus.ABANDONED
    elif answered is not None:
        status = CallStatus.TALKING
    else:
        status = CallStatus.QUEUED
    wrap = line.get("wrap_up_seconds")
    caller = line.get("caller") or ""
    return Call(
        provider=Provider.IMPORT,
        external_id=line["id"],
        caller=caller,
        status=status,
        queue_id=queue_id,
        agent_id=agent_id,
        customer_id=_customer_of(caller) if caller else None,
        offered_at=line["offered_at"],
        answered_at=answered,
        ended_at=ended,
        abandoned_at=abandoned if answered is None else None,
        hold_seconds=hold,
        talk_seconds=max(0, _seconds(ended - answered) - hold) if ended and answered else None,
        wrap_up_seconds=wrap,
        wrap_up_ended_at=ended + timedelta(seconds=wrap) if ended and wrap is not None else None,
        disposition=line.get("disposition"),
    )


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers in the file (a BOM on the first is dropped)."""
    for number, text in enumerate(lines, start=1):
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.strip():
            yield number, text


# -- customers merged and erased ----------------------------------------------------------------------


def follow_merged_customer(source_id: int, target_id: int) -> None:
    """In the merge's transaction: the source's calls and callbacks are the survivor's (idempotent)."""
    for model in (Call, CallbackRequest):
        db.session.execute(update(model).where(model.customer_id == source_id).values(customer_id=target_id))


def personal_data(customer_ids: list[int]) -> dict[str, Any]:
    """The customers' calls and callback requests, for their export."""
    calls = db.session.scalars(
        select(Call).where(Call.customer_id.in_(customer_ids)).order_by(Call.offered_at, Call.id)
    )
    callbacks = db.session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.customer_id.in_(customer_ids))
        .order_by(CallbackRequest.created_at, CallbackRequest.id)
    )
    return {
        "calls": [
            {
                "caller": call.caller,
                "offered_at": _iso(call.offered_at),
                "answered_at": _iso(call.answered_at),
                "ended_at": _iso(call.ended_at),
                "status": call.status,
                "disposition": call.disposition,
                "notes": call.notes,
            }
            for call in calls
        ],
        "callbacks": [
            {"phone": cb.phone, "requested_for": _iso(cb.requested_for), "status": cb.status, "note": cb.note}
            for cb in callbacks
        ],
    }


def erase_personal_data(customer_ids: list[int]) -> None:
    """In the erasure's transaction: numbers and notes go; times, statuses and durations (KPIs) stay, and
    a waiting callback is cancelled (there is nobody to call)."""
    db.session.execute(update(Call).where(Call.customer_id.in_(customer_ids)).values(caller="", notes=""))
    db.session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.customer_id.in_(customer_ids))
        .values(
            phone="",
            note="",
            status=case(
                (CallbackRequest.status == CallbackStatus.WAITING, CallbackStatus.CANCELLED),
                else_=CallbackRequest.status,
            ),
        )
    )


# -- work routing gave an agent ------------------------------------------------------------------------


def take_offered_work(offer_id: int) -> Call | CallbackRequest | None:
    """An agent accepted routing's offer of a queued call or a callback request: it is theirs.

    A queued call is answered by them now, recorded as a telephony event of the call's provider
    (`offer-<id>-accepted`, so doing it twice records it once): the generic webhook has no way to tell
    the telephony system whom to connect, so the console's accept is the answer; a system that connects
    the agent itself sends its own `call.answered`, and the earlier of the two is the answer time. A
    callback request is the agent's to make: done, by them. Anything else (a ticket, a call already
    answered or over) is left alone.
    """
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.outcome != OfferOutcome.ACCEPTED:
        return None
    item = db.session.get(WorkItem, offer.work_item_id)
    if item.kind == WorkKind.CALL:
        call = db.session.get(Call, item.subject_id)
        if call is None or call.status != CallStatus.QUEUED:
            return None
        answer = {
            "id": f"offer-{offer.id}-accepted",
            "type": EventKind.ANSWERED,
            "call_id": call.external_id,
            "timestamp": offer.decided_at or utcnow(),
            "agent": offer.agent_id,
        }
        return record_event(call.provider, answer).call
    if item.kind == WorkKind.CALLBACK:
        callback = db.session.get(CallbackRequest, item.subject_id)
        if callback is None or callback.status != CallbackStatus.WAITING:
            return None
        callback.status, callback.agent_id, callback.done_at = CallbackStatus.DONE, offer.agent_id, utcnow()
        # Done, so its work no longer counts against the agent's capacity: routing may offer them more.
        routing.finish_work(WorkKind.CALLBACK, callback.id)
        db.session.commit()
        routing.announce()
        return callback
    return None


def offer_details(kind: str, subject_id: int) -> dict[str, Any] | None:
    """What an agent's offer says of a call or a callback: its title and the number."""
    if kind == WorkKind.CALL and (call := db.session.get(Call, subject_id)) is not None:
        return {"title": str(_l("Call from %(caller)s", caller=call.caller or "?")), "caller": call.caller}
    if kind == WorkKind.CALLBACK and (callback := db.session.get(CallbackRequest, subject_id)) is not None:
        return {"title": str(_l("Call back %(phone)s", phone=callback.phone)), "caller": callback.phone}
    return None
