"""Request and response shapes of calls: telephony events, call records, wrap-up, callback requests and
the lines of the call history import."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.callcenter.calls.models import CallbackStatus, CallStatus
from app.callcenter.calls.services import DISPOSITIONS, NOTE_MAX, NOTES_MAX, EventKind
from app.inputs import MAX_ID, Id
from app.pagination import QuerySchema
from app.tickets.schemas import TicketCreateSchema

_EXTERNAL_ID = validate.Length(min=1, max=128)
_PHONE = validate.Length(max=64)


class Moment(fields.AwareDateTime):
    """An ISO 8601 moment (UTC when it names no zone) that has a place on the UTC clock: 0001-01-01
    at UTC+14 has none, and would fail where it is stored."""

    def __init__(self, **kwargs: Any):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Out of range.") from None


class IdOrName(fields.Field):
    """A row named by its id (a number) or by its name or e-mail (text)."""

    def __init__(self, **kwargs: Any):
        metadata = {"oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"type": "string"}]}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool):
            raise ValidationError("Give an id or a name.")
        if isinstance(value, int):
            if not 1 <= value <= MAX_ID:
                raise ValidationError(f"Must be an id from 1 to {MAX_ID}.")
            return value
        if isinstance(value, str) and 0 < len(value.strip()) <= 254:
            return value.strip()
        raise ValidationError("Give an id or a name (1 to 254 characters).")


# -- telephony events ---------------------------------------------------------------------------------


class TelephonyEventSchema(Schema):
    """One event of the signed generic webhook. Fields the event's kind does not use are ignored, and so
    are fields this desk does not know."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Str(required=True, validate=_EXTERNAL_ID, metadata={"description": "Unique per event."})
    type = fields.Str(required=True, validate=validate.OneOf([kind.value for kind in EventKind]))
    call_id = fields.Str(required=True, validate=_EXTERNAL_ID, metadata={"description": "The PBX's call id."})
    timestamp = Moment(
        required=True, metadata={"description": "When it happened (ISO 8601; UTC when no zone)."}
    )
    caller = fields.Str(validate=_PHONE, metadata={"description": "call.offered: the caller's number."})
    dialed = fields.Str(validate=_PHONE, metadata={"description": "call.offered: the number dialed."})
    queue = IdOrName(
        allow_none=True,
        metadata={
            "description": "call.offered: the queue (id or name); call.transferred: the queue it went to."
        },
    )
    agent = IdOrName(
        allow_none=True,
        metadata={
            "description": "call.answered: the agent (id or e-mail); call.transferred: the agent it went to."
        },
    )


class EventAnswerSchema(Schema):
    call_id = fields.Int(attribute="call.id", dump_only=True, metadata={"description": "Our call's id."})
    status = fields.Str(attribute="call.status", dump_only=True)
    duplicate = fields.Bool(dump_only=True, metadata={"description": "The event was received before."})


# -- call records -------------------------------------------------------------------------------------


class CallSchema(Schema):
    id = fields.Int(dump_only=True)
    provider = fields.Str(dump_only=True)
    external_id = fields.Str(dump_only=True)
    status = fields.Str(dump_only=True, metadata={"enum": [s.value for s in CallStatus]})
    caller = fields.Str(dump_only=True)
    dialed = fields.Str(dump_only=True)
    queue_id = fields.Int(dump_only=True, allow_none=True)
    agent_id = fields.Int(dump_only=True, allow_none=True)
    customer_id = fields.Int(dump_only=True, allow_none=True)
    ticket_id = fields.Int(dump_only=True, allow_none=True)
    offered_at = fields.AwareDateTime(dump_only=True)
    answered_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    ended_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    abandoned_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    hold_seconds = fields.Int(dump_only=True)
    talk_seconds = fields.Int(dump_only=True, allow_none=True)
    wrap_up_seconds = fields.Int(dump_only=True, allow_none=True)
    transfers = fields.Int(dump_only=True)
    disposition = fields.Str(dump_only=True, allow_none=True)
    notes = fields.Str(dump_only=True)


class CallQuerySchema(QuerySchema):
    status = fields.Str(validate=validate.OneOf([s.value for s in CallStatus]))
    queue_id = Id()
    agent_id = Id()
    customer_id = Id()


class WrapUpTicketSchema(TicketCreateSchema):
    """The ticket a wrap-up opens: a new ticket's fields, for the caller, in the call's queue."""


class WrapUpSchema(Schema):
    disposition = fields.Str(required=True, validate=validate.OneOf(DISPOSITIONS))
    notes = fields.Str(load_default="", validate=validate.Length(max=NOTES_MAX))
    ticket = fields.Nested(
        WrapUpTicketSchema(only=("subject", "description", "type", "priority")),
        metadata={"description": "Open a ticket for the caller (its description defaults to the notes)."},
    )
    ticket_id = Id(metadata={"description": "Or: an existing ticket, given an internal note about the call."})


# -- callback requests --------------------------------------------------------------------------------


class CallbackSchema(Schema):
    id = fields.Int(dump_only=True)
    phone = fields.Str(dump_only=True)
    customer_id = fields.Int(dump_only=True, allow_none=True)
    ticket_id = fields.Int(dump_only=True, allow_none=True)
    call_id = fields.Int(dump_only=True, allow_none=True)
    queue_id = fields.Int(dump_only=True, allow_none=True)
    source = fields.Str(dump_only=True)
    requested_for = fields.AwareDateTime(dump_only=True)
    status = fields.Str(dump_only=True, metadata={"enum": [s.value for s in CallbackStatus]})
    agent_id = fields.Int(dump_only=True, allow_none=True)
    note = fields.Str(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class CallbackQuerySchema(QuerySchema):
    status = fields.Str(validate=validate.OneOf([s.value for s in CallbackStatus]))
    queue_id = Id()
    customer_id = Id()


class CallbackCreateSchema(Schema):
    phone = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    requested_for = Moment(required=True)
    queue_id = Id(allow_none=True)
    customer_id = Id(allow_none=True)
    note = fields.Str(load_default="", validate=validate.Length(max=NOTE_MAX))


# -- the call history import --------------------------------------------------------------------------


class CallHistoryLineSchema(Schema):
    """One line of `flask callcenter import`."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Str(required=True, validate=_EXTERNAL_ID)
    queue = fields.Str(allow_none=True, validate=validate.Length(max=80))
    caller = fields.Str(allow_none=True, validate=_PHONE)
    offered_at = Moment(required=True)
    answered_at = Moment(allow_none=True)
    ended_at = Moment(allow_none=True)
    abandoned_at = Moment(allow_none=True)
    agent_email = fields.Str(allow_none=True, validate=validate.Length(max=254))
    hold_seconds = fields.Int(allow_none=True, validate=validate.Range(min=0, max=10**7))
    wrap_up_seconds = fields.Int(allow_none=True, validate=validate.Range(min=0, max=10**7))
    disposition = fields.Str(allow_none=True, validate=validate.Length(max=40))

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: Any) -> None:
        offered = data.get("offered_at")
        errors = {}
        for name in ("answered_at", "ended_at", "abandoned_at"):
            moment = data.get(name)
            if moment is not None and offered is not None and moment < offered:
                errors[name] = ["Before the call was offered."]
        answered, ended = data.get("answered_at"), data.get("ended_at")
        if answered is not None and ended is not None and ended < answered and "ended_at" not in errors:
            errors["ended_at"] = ["Before the call was answered."]
        if errors:
            raise ValidationError(errors)
