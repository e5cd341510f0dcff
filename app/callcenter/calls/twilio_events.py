"""Twilio's voice webhooks read as the desk's telephony events.

An incoming call (`/twilio/voice`: `CallSid`, `From`, `To`, ...) is `call.offered` and is answered with
TwiML that puts the caller in the queue's line (`<Enqueue>`, whose `action` reports how they left it).
Status callbacks and the queue's action (`/twilio/status`) carry `CallStatus` (`in-progress`,
`completed`, `busy`, `failed`, `no-answer`, `canceled`) or `QueueResult` (`bridged`, `hangup`, ...):

- call.answered: an agent takes the caller from the queue (`DequeingCallSid`: the request of the
  agent's `<Queue url>`), `QueueResult=bridged`, or `CallStatus=in-progress` of the agent's own leg
  (a child call: `ParentCallSid`); the agent is the webhook URL's `agent` parameter (an e-mail);
- call.ended: `CallStatus=completed`, `busy`, `failed`; `QueueResult=error`, `system-error`;
- call.abandoned: `CallStatus=no-answer`, `canceled`; `QueueResult=hangup`.

The caller's own `in-progress` is Twilio answering to run our TwiML, not an agent: it reports nothing.
Other statuses of an agent's leg (a child call, `ParentCallSid`) report nothing either: the caller's
leg says when the call ends.

Each event's id is the call's sid, what happened and Twilio's `SequenceNumber` (status callbacks are
numbered per call): a callback Twilio retries is the same event, and is recorded once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from app.callcenter.calls.services import EventKind
from app.dbtypes import utcnow

STATUSES = {
    "in-progress": EventKind.ANSWERED,
    "answered": EventKind.ANSWERED,
    "completed": EventKind.ENDED,
    "busy": EventKind.ENDED,
    "failed": EventKind.ENDED,
    "no-answer": EventKind.ABANDONED,
    "canceled": EventKind.ABANDONED,
}
QUEUE_RESULTS = {
    "bridged": EventKind.ANSWERED,
    "hangup": EventKind.ABANDONED,
    "error": EventKind.ENDED,
    "system-error": EventKind.ENDED,
}
# Twilio's sids are 34 characters; an event id (two sids and a few words) stays within 128.
SID_MAX = 40


def offered_event(form: Any, queue_id: int | None) -> dict[str, Any] | None:
    """`call.offered` of an incoming call's webhook, or None without a `CallSid`."""
    sid = _sid(form)
    if sid is None:
        return None
    event = {
        "id": f"{sid}:offered",
        "type": EventKind.OFFERED,
        "call_id": sid,
        "timestamp": _when(form),
        "caller": (form.get("From") or "")[:64],
        "dialed": (form.get("To") or "")[:64],
    }
    if queue_id is not None:
        event["queue"] = queue_id
    return event


def status_event(form: Any, agent: str | None = None) -> dict[str, Any] | None:
    """The event a status callback or the queue's action reports, or None when it reports nothing the
    call record keeps (`ringing`, a caller redirected out of the queue)."""
    sid = _sid(form)
    if sid is None:
        return None
    result, status = form.get("QueueResult") or "", form.get("CallStatus") or ""
    parent = _sid(form, "ParentCallSid")
    dequeuer = _sid(form, "DequeingCallSid")
    if dequeuer is not None:
        kind, what = EventKind.ANSWERED, f"dequeued-{dequeuer}"
    elif result in QUEUE_RESULTS:
        kind, what = QUEUE_RESULTS[result], f"queue-{result}"
    elif status in STATUSES and STATUSES[status] == EventKind.ANSWERED:
        if parent is None:
            return None
        kind, what, sid = EventKind.ANSWERED, f"leg-{sid}", parent
    elif status in STATUSES and parent is None:
        kind, what = STATUSES[status], status
    else:
        return None
    sequence = form.get("SequenceNumber") or ""
    event = {
        "id": f"{sid}:{what}:{sequence[:10]}",
        "type": kind,
        "call_id": sid,
        "timestamp": _when(form),
    }
    if kind == EventKind.ANSWERED and agent:
        event["agent"] = agent
    return event


def _sid(form: Any, name: str = "CallSid") -> str | None:
    sid = (form.get(name) or "").strip()
    return sid if 0 < len(sid) <= SID_MAX else None


def _when(form: Any) -> datetime:
    """Twilio's `Timestamp` (RFC 2822) when it sends one; else now."""
    raw = form.get("Timestamp")
    if raw:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            moment = None
        if moment is not None and moment.tzinfo is not None:
            try:
                return moment.astimezone(UTC)
            except OverflowError:
                return utcnow()
    return utcnow()
