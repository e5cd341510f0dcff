"""REST endpoints of calls: the telephony webhooks (a PBX's signed events, Twilio's voice webhooks), the
call records with their wrap-up, and callback requests."""

from __future__ import annotations

from functools import wraps

from flask import Response, current_app, request
from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from app.accounts.access import Permission, current_agent, public, requires
from app.callcenter.calls import schemas, services, twilio_events, webhooks
from app.callcenter.calls.services import Provider
from app.errors import error_response
from app.extensions import ApiBlueprint, db
from app.pagination import SelectPage
from app.tickets.models import Queue

events_bp = ApiBlueprint(
    "call_events",
    __name__,
    url_prefix="/api/v1/callcenter/events",
    description="Telephony events from a PBX or a cloud telephony provider, signed.",
)
twilio_bp = ApiBlueprint(
    "twilio_voice",
    __name__,
    url_prefix="/api/v1/callcenter/twilio",
    description="Twilio's voice webhooks (form-encoded, signed with `X-Twilio-Signature`): point a phone "
    "number's incoming-call webhook at `/voice` and its status callback at `/status`.",
)
calls_bp = ApiBlueprint(
    "calls", __name__, url_prefix="/api/v1/callcenter/calls", description="Call records and their wrap-up."
)
callbacks_bp = ApiBlueprint(
    "callbacks",
    __name__,
    url_prefix="/api/v1/callcenter/callbacks",
    description="Callback requests: calls we owe customers, routed as work from their time on.",
)

blueprints = (events_bp, twilio_bp, calls_bp, callbacks_bp)


# -- the signed generic webhook ----------------------------------------------------------------------


def _signed(view):
    """Refuse an unsigned, badly signed or replayed request before its body is read as an event."""

    @wraps(view)
    def checked(*args, **kwargs):
        secret = current_app.config.get("TELEPHONY_WEBHOOK_SECRET")
        if not secret:
            return error_response(
                401, "Telephony events are not accepted: TELEPHONY_WEBHOOK_SECRET is not set."
            )
        problem = webhooks.signature_problem(secret, request.headers, request.get_data(cache=True))
        if problem is not None:
            return error_response(401, problem)
        return view(*args, **kwargs)

    return checked


@events_bp.post("")
@public
@_signed
@events_bp.arguments(schemas.TelephonyEventSchema)
@events_bp.response(200, schemas.EventAnswerSchema)
@events_bp.alt_response(401, description="Unsigned, badly signed, or a timestamp five minutes off.")
@events_bp.alt_response(422, description="Not an event: the fields' messages; or an unknown queue or agent.")
def receive_event(event):
    """Record one telephony event (a PBX's or a cloud provider's), signed.

    Signed with the shared secret in `TELEPHONY_WEBHOOK_SECRET`: send

        X-Switchboard-Timestamp: <unix seconds>
        X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>

    e.g. in Python `"sha256=" + hmac.new(secret, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()`.
    A missing or wrong signature is a 401, and so is a timestamp more than five minutes away from our
    clock (a replay). While no secret is configured nothing can be signed: every request gets the 401,
    with a message saying so.

    Kinds and their fields: `call.offered` (`caller`, `dialed`, `queue`: id or name), `call.answered`
    (`agent`: id or e-mail), `call.held`, `call.resumed`, `call.transferred` (`agent` and/or `queue` it
    went to), `call.ended`, `call.abandoned`. Events may come twice and in any order: each is kept once
    by its `id` (a repeat answers 200 with `duplicate: true` and changes nothing), and the call's record
    is computed from all the events it has received, each time from its event's `timestamp`: a late
    `call.answered` of an ended call fills in `answered_at`, and the call stays ended.
    """
    return services.record_event(Provider.PBX, event)


# -- Twilio --------------------------------------------------------------------------------------------


class TwilioFormSchema(Schema):
    """The parameters of Twilio's voice requests this desk reads (Twilio sends more)."""

    class Meta:
        unknown = EXCLUDE

    CallSid = fields.Str()
    From = fields.Str()
    To = fields.Str()
    CallStatus = fields.Str()
    QueueResult = fields.Str()
    SequenceNumber = fields.Str()
    Timestamp = fields.Str()


class TwilioQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    queue = fields.Str(metadata={"description": "/voice: the queue to put calls in (its name)."})
    agent = fields.Str(metadata={"description": "/status: the agent (e-mail) a bridged call went to."})


def _twilio_signed(view):
    @wraps(view)
    def checked(*args, **kwargs):
        token = current_app.config.get("TWILIO_AUTH_TOKEN")
        if not token:
            return error_response(403, "Twilio's webhooks are not accepted: TWILIO_AUTH_TOKEN is not set.")
        if not webhooks.twilio_signed(token, request.form):
            return error_response(403, "The request is not signed by Twilio (X-Twilio-Signature).")
        return view(*args, **kwargs)

    return checked


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="application/xml")


@twilio_bp.post("/voice")
@public
@_twilio_signed
@twilio_bp.arguments(TwilioQuerySchema, location="query")
@twilio_bp.arguments(TwilioFormSchema, location="form")
@twilio_bp.response(200, content_type="application/xml", description="TwiML that queues the call.")
@twilio_bp.alt_response(403, description="Not signed by Twilio.")
def twilio_voice(query, _form):
    """An incoming call: recorded as `call.offered` and put in its queue's line (`<Enqueue>`).

    The queue is the `queue` parameter of the webhook's URL (a name), else `TWILIO_QUEUE`, else the first
    queue. The caller's leaving the line is reported to `/status` (the `<Enqueue>`'s action)."""
    queue = _queue_for_twilio(query.get("queue"))
    event = twilio_events.offered_event(request.form, queue.id if queue else None)
    if event is not None:
        services.record_event(Provider.TWILIO, event)
    answer = VoiceResponse()
    answer.enqueue(queue.name if queue else "switchboard", action=_status_url(), method="POST")
    return _twiml(answer)


@twilio_bp.post("/status")
@public
@_twilio_signed
@twilio_bp.arguments(TwilioQuerySchema, location="query")
@twilio_bp.arguments(TwilioFormSchema, location="form")
@twilio_bp.response(200, content_type="application/xml", description="Empty TwiML.")
@twilio_bp.alt_response(403, description="Not signed by Twilio.")
@twilio_bp.alt_response(422, description="The `agent` names nobody.")
def twilio_status(query, _form):
    """A status callback (`CallStatus`), the queue's action (`QueueResult`) or an agent taking a caller
    from the queue (`<Queue url>`: `DequeingCallSid`), recorded as the event it reports: answered (by
    the `agent` parameter's agent), ended or abandoned. Repeats are recorded once."""
    event = twilio_events.status_event(request.form, agent=query.get("agent"))
    if event is not None:
        services.record_event(Provider.TWILIO, event)
    return _twiml(VoiceResponse())


def _queue_for_twilio(name: str | None) -> Queue | None:
    for wanted in (name, current_app.config.get("TWILIO_QUEUE")):
        if wanted:
            queue = db.session.scalar(select(Queue).where(Queue.name == wanted.strip()))
            if queue is not None:
                return queue
    return db.session.scalar(select(Queue).order_by(Queue.id).limit(1))


def _status_url() -> str:
    return webhooks.twilio_urls()[0].split("?")[0].rsplit("/", 1)[0] + "/status"


# -- call records --------------------------------------------------------------------------------------


@calls_bp.get("")
@requires(Permission.CALLS_WORK)
@calls_bp.arguments(schemas.CallQuerySchema, location="query")
@calls_bp.response(200, schemas.CallSchema(many=True))
@calls_bp.paginate(SelectPage)
def list_calls(query):
    """Calls, newest first; filter by `status`, `queue_id`, `agent_id`, `customer_id`."""
    return services.list_calls(**query)


@calls_bp.get("/<int:call_id>")
@requires(Permission.CALLS_WORK)
@calls_bp.response(200, schemas.CallSchema)
@calls_bp.alt_response(404, description="No such call.")
def get_call(call_id):
    """One call's record: times, durations, queue, agent, transfers, disposition, customer and ticket."""
    return services.get_call(call_id)


@calls_bp.post("/<int:call_id>/wrap-up")
@requires(Permission.CALLS_WORK)
@calls_bp.arguments(schemas.WrapUpSchema)
@calls_bp.response(200, schemas.CallSchema)
@calls_bp.alt_response(403, description="Neither the call's agent nor a supervisor.")
@calls_bp.alt_response(404, description="No such call (or ticket).")
@calls_bp.alt_response(409, description="The call has not ended, or was wrapped up already.")
@calls_bp.alt_response(422, description="A disposition not in the list, or a bad ticket.")
def wrap_up(data, call_id):
    """End an ended call's after-call work with a disposition (`resolved`, `follow_up`, `escalated`,
    `callback_promised`, `no_answer`, `wrong_number`, `spam`) and notes; `ticket` opens a ticket for the
    caller, `ticket_id` adds an internal note about the call to an existing one. The agent's wrap-up
    time is recorded and they are available again."""
    return services.wrap_up(call_id, **data, actor=current_agent())


# -- callbacks -----------------------------------------------------------------------------------------


@callbacks_bp.get("")
@requires(Permission.CALLS_WORK)
@callbacks_bp.arguments(schemas.CallbackQuerySchema, location="query")
@callbacks_bp.response(200, schemas.CallbackSchema(many=True))
@callbacks_bp.paginate(SelectPage)
def list_callbacks(query):
    """Callback requests, the soonest due first; filter by `status`, `queue_id`, `customer_id`."""
    return services.list_callbacks(**query)


@callbacks_bp.post("")
@requires(Permission.CALLS_WORK)
@callbacks_bp.arguments(schemas.CallbackCreateSchema)
@callbacks_bp.response(201, schemas.CallbackSchema)
@callbacks_bp.alt_response(
    422, description="A bad phone number, a time past or too far ahead, an unknown id."
)
def create_callback(data):
    """Promise a customer a call at `requested_for` (from now to `CALLBACK_MAX_DAYS_AHEAD` days ahead); it
    is routed to the queue's agents from that time on."""
    return services.request_callback(**data, actor=current_agent())
