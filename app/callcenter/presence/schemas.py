"""Request and response shapes of agent presence (the API's, and the `presence.set` socket event's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from app.callcenter.presence.models import PresenceState
from app.inputs import MAX_ID, Id
from app.pagination import QuerySchema

STATES = [state.value for state in PresenceState]
NAME_MAX = 80
# The history's window when the query names none: the last day.
DEFAULT_WINDOW = timedelta(days=1)

_STATE = "available, busy (on a call or a chat), wrap_up (after-call work), break (with a reason), offline."


class BreakReasonRef(fields.Field):
    """A break reason named by its id (a whole number) or its name."""

    def __init__(self, **kwargs: Any):
        metadata = {
            "description": "The break reason's id, or its name.",
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
            ],
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool):
            if not 1 <= value <= MAX_ID:
                raise ValidationError(f"Must be an id from 1 to {MAX_ID}.")
            return value
        if isinstance(value, str) and 1 <= len(value.strip()) <= NAME_MAX:
            return value.strip()
        raise ValidationError("Give a break reason's id or name.")


class PresenceSchema(Schema):
    agent_id = fields.Int()
    name = fields.Str()
    state = fields.Str(metadata={"enum": STATES, "description": _STATE})
    reason_id = fields.Int(allow_none=True, metadata={"description": "The break reason of a break."})
    reason = fields.Str(allow_none=True, metadata={"description": "The break reason's name."})
    since = fields.DateTime(allow_none=True, metadata={"description": "Null: never had a state."})
    idle_since = fields.DateTime(
        allow_none=True,
        metadata={"description": "When the agent last became available (the longest idle is offered first)."},
    )


def _needs_reason(state: str | None, reason: Any, field: str) -> None:
    if state == PresenceState.BREAK and reason is None:
        raise ValidationError({field: ["Pick a break reason."]})


class PresenceSetSchema(Schema):
    """`PUT .../presence`."""

    state = fields.Str(required=True, validate=validate.OneOf(STATES), metadata={"description": _STATE})
    reason = BreakReasonRef(load_default=None, allow_none=True)

    @validates_schema
    def _break_has_a_reason(self, data: dict[str, Any], **_: Any) -> None:
        _needs_reason(data.get("state"), data.get("reason"), "reason")


class PresenceEventSchema(Schema):
    """The `presence.set` socket event's data."""

    state = fields.Str(required=True, validate=validate.OneOf(STATES))
    reason_id = Id(load_default=None, allow_none=True)

    @validates_schema
    def _break_has_a_reason(self, data: dict[str, Any], **_: Any) -> None:
        _needs_reason(data.get("state"), data.get("reason_id"), "reason_id")


class PresenceHistoryQuerySchema(QuerySchema):
    start = fields.AwareDateTime(
        data_key="from",
        default_timezone=UTC,
        metadata={"description": "The window's start (default: a day before its end)."},
    )
    end = fields.AwareDateTime(
        data_key="to", default_timezone=UTC, metadata={"description": "The window's end (default: now)."}
    )

    @post_load
    def _window(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        end = data.get("end") or datetime.now(UTC)
        return {"start": data.get("start") or end - DEFAULT_WINDOW, "end": end}


class PresencePeriodSchema(Schema):
    id = fields.Int()
    agent_id = fields.Int()
    state = fields.Str(metadata={"enum": STATES})
    reason_id = fields.Int(allow_none=True)
    reason = fields.Function(
        lambda period: period.reason.name if period.reason else None,
        allow_none=True,
        metadata={"type": "string", "description": "The break reason's name."},
    )
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True, metadata={"description": "Null: the period goes on."})
    set_by_id = fields.Int(
        allow_none=True, metadata={"description": "Who set the state; null: the desk (a call, a timeout)."}
    )
