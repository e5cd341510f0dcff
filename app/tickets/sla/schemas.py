"""Request and response shapes of the SLA API: business-hours calendars, SLA policies, ticket targets.

Calendars travel in the business-hours engine's JSON form (`BusinessCalendar.from_dict` / `to_dict`)
plus a name. The schemas check only the outline; the engine validates the hours and holidays and names
the offending field, which the service returns as a 422.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.inputs import Id
from app.named_settings import NAME_MAX
from app.tickets.models import Priority, TicketType
from app.tickets.sla.services import (
    DEFAULT_WARNING_SECONDS,
    HOLIDAY_NAME_MAX,
    MAX_HOLIDAYS,
    MAX_TARGET_SECONDS,
    MAX_WARNING_SECONDS,
    TargetKind,
    TargetStatus,
    target_status,
)
from app.versions import version_field

_NAME = validate.Length(min=1, max=NAME_MAX)
_TIMEZONE = validate.Length(min=1, max=64)
_TARGET = validate.Range(min=1, max=MAX_TARGET_SECONDS)
_TARGET_FIELDS = ("first_response_seconds", "next_response_seconds", "resolution_seconds")

_WEEKLY_HOURS_HELP = (
    'Opening hours per weekday, `mon` to `sun`: a list of `["HH:MM", "HH:MM"]` local-time intervals; '
    '"24:00" ends a day, a missing or empty day is closed. Example: `{"mon": [["09:00", "17:00"]]}`.'
)
_HOLIDAYS_HELP = 'Local dates the calendar is closed all day, as "YYYY-MM-DD".'
_HOLIDAY_NAMES_HELP = (
    "A name for any of the holidays, by date: what the closed day is, for people reading the calendar. "
    "A date must be one of `holidays`; an empty name removes it. Without it, a change of `holidays` drops "
    "the names of the dates taken out."
)
_TIMEZONE_HELP = "IANA time zone the hours are in, e.g. `Europe/London`."
_WEEKLY_HOURS_EXAMPLE = {
    "mon": [["09:00", "17:00"]],
    "tue": [["09:00", "17:00"]],
    "wed": [["09:00", "17:00"]],
    "thu": [["09:00", "17:00"]],
    "fri": [["09:00", "17:00"]],
}


def _weekly_hours(**kwargs) -> fields.Dict:
    return fields.Dict(
        keys=fields.Str(),
        values=fields.Raw(),
        metadata={"description": _WEEKLY_HOURS_HELP, "example": _WEEKLY_HOURS_EXAMPLE},
        **kwargs,
    )


def _holiday_names(**kwargs) -> fields.Dict:
    return fields.Dict(
        keys=fields.Str(),
        values=fields.Str(validate=validate.Length(max=HOLIDAY_NAME_MAX)),
        metadata={"description": _HOLIDAY_NAMES_HELP, "example": {"2026-12-25": "Christmas Day"}},
        **kwargs,
    )


def _holidays(**kwargs) -> fields.List:
    return fields.List(
        fields.Raw(metadata={"type": "string", "format": "date"}),
        validate=validate.Length(max=MAX_HOLIDAYS),
        metadata={"description": _HOLIDAYS_HELP, "example": ["2026-12-25"]},
        **kwargs,
    )


# -- calendars --------------------------------------------------------------------------------------


class CalendarSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    timezone = fields.Str(metadata={"description": _TIMEZONE_HELP})
    weekly_hours = fields.Dict(
        keys=fields.Str(),
        values=fields.List(fields.List(fields.Str())),
        metadata={"description": "Every weekday, `mon` to `sun`; closed days are `[]`."},
    )
    holidays = fields.List(fields.Str(), metadata={"description": _HOLIDAYS_HELP})
    holiday_names = fields.Dict(
        keys=fields.Str(), values=fields.Str(), metadata={"description": "A name for any of the holidays."}
    )
    version = fields.Int()
    created_at = fields.DateTime()


class CalendarCreateSchema(Schema):
    name = fields.Str(required=True, validate=_NAME)
    timezone = fields.Str(required=True, validate=_TIMEZONE, metadata={"description": _TIMEZONE_HELP})
    weekly_hours = _weekly_hours(required=True)
    holidays = _holidays(load_default=list)
    holiday_names = _holiday_names(load_default=dict)


class CalendarUpdateSchema(Schema):
    version = version_field()
    name = fields.Str(validate=_NAME)
    timezone = fields.Str(validate=_TIMEZONE, metadata={"description": _TIMEZONE_HELP})
    weekly_hours = _weekly_hours()
    holidays = _holidays()
    holiday_names = _holiday_names()


# -- policies ---------------------------------------------------------------------------------------


def _any(description: str) -> dict:
    return {"description": f"{description}; empty means any."}


def _warning(**kwargs) -> fields.Int:
    return fields.Int(
        validate=validate.Range(min=0, max=MAX_WARNING_SECONDS),
        metadata={"description": "How long before a due time to warn (sla_warning); 0 turns warnings off."},
        **kwargs,
    )


class SlaPolicySchema(Schema):
    id = fields.Int()
    name = fields.Str()
    queue_id = fields.Int(allow_none=True)
    priority = fields.Str(allow_none=True)
    ticket_type = fields.Str(allow_none=True)
    calendar_id = fields.Int(allow_none=True)
    first_response_seconds = fields.Int(allow_none=True)
    next_response_seconds = fields.Int(allow_none=True)
    resolution_seconds = fields.Int(allow_none=True)
    warning_seconds = fields.Int()
    version = fields.Int()
    created_at = fields.DateTime()


class _PolicyFields(Schema):
    name = fields.Str(validate=_NAME)
    queue_id = Id(allow_none=True, metadata=_any("Tickets of this queue"))
    priority = fields.Str(
        allow_none=True,
        validate=validate.OneOf([p.value for p in Priority]),
        metadata=_any("Tickets of this priority"),
    )
    ticket_type = fields.Str(
        allow_none=True,
        validate=validate.OneOf([t.value for t in TicketType]),
        metadata=_any("Tickets of this type"),
    )
    calendar_id = Id(
        allow_none=True, metadata={"description": "Business hours the targets count; empty means 24x7."}
    )
    first_response_seconds = fields.Int(
        allow_none=True, validate=_TARGET, metadata={"description": "Time to the first public agent reply."}
    )
    next_response_seconds = fields.Int(
        allow_none=True,
        validate=_TARGET,
        metadata={"description": "Time to answer each later customer message."},
    )
    resolution_seconds = fields.Int(
        allow_none=True, validate=_TARGET, metadata={"description": "Time to solve."}
    )
    warning_seconds = _warning()


class SlaPolicyCreateSchema(_PolicyFields):
    name = fields.Str(required=True, validate=_NAME)
    warning_seconds = _warning(load_default=DEFAULT_WARNING_SECONDS)

    @validates_schema
    def _one_target(self, data, **_):
        if all(data.get(field) is None for field in _TARGET_FIELDS):
            raise ValidationError("Set at least one target: first response, next response or resolution.")


class SlaPolicyUpdateSchema(_PolicyFields):
    """Only the fields given change; at least one target must remain (checked by the service)."""

    version = version_field()


# -- a ticket's targets -----------------------------------------------------------------------------


class SlaTargetSchema(Schema):
    """One SLA target of a ticket, for the ticket page and API (nest it as `sla`)."""

    id = fields.Int()
    kind = fields.Str(metadata={"enum": [kind.value for kind in TargetKind]})
    policy_id = fields.Int(allow_none=True)
    policy = fields.Method(
        "_policy_name", metadata={"type": "string", "description": 'The policy\'s name, or "default".'}
    )
    target_seconds = fields.Int()
    started_at = fields.DateTime()
    due_at = fields.DateTime(
        allow_none=True, metadata={"description": "Empty while the clock is stopped (ticket pending)."}
    )
    met_at = fields.DateTime(allow_none=True)
    breached_at = fields.DateTime(
        allow_none=True, metadata={"description": "The due time that passed unmet."}
    )
    warned_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    status = fields.Method(
        "_status",
        metadata={
            "type": "string",
            "enum": [status.value for status in TargetStatus],
            "description": "breached once the due time has passed unmet, even before the periodic check ran.",
        },
    )

    def _policy_name(self, target) -> str:
        return target.policy.name if target.policy is not None else "default"

    def _status(self, target) -> str:
        return target_status(target).value
