"""What the wallboard sends: its snapshot (`GET /api/v1/callcenter/wallboard`), the `wallboard.changed`
events (the same rows, in part), and what a supervisor's socket events carry."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.callcenter.presence.models import PresenceState
from app.inputs import Id


class WaitingSchema(Schema):
    calls = fields.Int(metadata={"description": "Calls in the queue waiting for an agent or being offered."})
    tickets = fields.Int(metadata={"description": "Tickets waiting for routing or being offered."})
    callbacks = fields.Int(metadata={"description": "Callback requests due and waiting."})


class CallCountsSchema(Schema):
    offered = fields.Int(metadata={"description": "Calls that entered the queue today."})
    answered = fields.Int()
    answered_in_time = fields.Int(metadata={"description": "Answered within the service level's seconds."})
    abandoned = fields.Int()
    short_abandons = fields.Int(metadata={"description": "Abandoned within the short-abandon seconds."})


class AtRiskTicketSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    subject = fields.Str()
    priority = fields.Str()
    status = fields.Str()
    assignee_id = fields.Int(allow_none=True)
    assignee = fields.Str(allow_none=True)
    due_at = fields.DateTime(metadata={"description": "When its most urgent open target is (was) due."})
    breached = fields.Bool()


class SlaRiskSchema(Schema):
    at_risk = fields.Int(
        metadata={"description": "Unsolved tickets with a target due within its warning window or overdue."}
    )
    breached = fields.Int(metadata={"description": "Of those, the overdue ones."})
    tickets = fields.List(fields.Nested(AtRiskTicketSchema), metadata={"description": "The most urgent few."})


class AgentCountsSchema(Schema):
    available = fields.Int()
    busy = fields.Int()
    wrap_up = fields.Int()
    # "break" is a Python keyword: the key is set by data_key.
    on_break = fields.Int(data_key="break", attribute="break")
    offline = fields.Int()


class FiguresSchema(Schema):
    """A queue's figures, or the desk's (its totals)."""

    waiting = fields.Nested(WaitingSchema)
    waiting_total = fields.Int()
    oldest_waiting_since = fields.DateTime(allow_none=True)
    longest_wait_seconds = fields.Int(
        metadata={"description": "At `updated_at`; the page counts on from `oldest_waiting_since`."}
    )
    calls = fields.Nested(CallCountsSchema, metadata={"description": "Calls offered today (the desk's day)."})
    service_level_percent = fields.Float(
        allow_none=True,
        metadata={
            "description": "Answered within the threshold ÷ (offered - short abandons); null: no calls."
        },
    )
    abandonment_percent = fields.Float(
        allow_none=True,
        metadata={"description": "(Abandoned - short abandons) ÷ (offered - short abandons)."},
    )
    average_speed_of_answer_seconds = fields.Float(allow_none=True)
    sla = fields.Nested(SlaRiskSchema)
    agents = fields.Nested(AgentCountsSchema, metadata={"description": "Agents serving the queue, by state."})
    updated_at = fields.DateTime()


class QueueRowSchema(FiguresSchema):
    id = fields.Int()
    name = fields.Str()
    team_id = fields.Int(allow_none=True)
    team = fields.Str(allow_none=True, metadata={"description": "Its team; none: every agent serves it."})


class AgentRowSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    state = fields.Str(metadata={"description": "available, busy, wrap_up, break or offline."})
    since = fields.DateTime(
        allow_none=True, metadata={"description": "In this state since; null: never connected."}
    )
    reason_id = fields.Int(allow_none=True)
    reason = fields.Str(allow_none=True, metadata={"description": "The break reason's name."})
    team_ids = fields.List(fields.Int())


class DaySchema(Schema):
    timezone = fields.Str()
    started_at = fields.DateTime()
    ends_at = fields.DateTime()


class ThresholdsSchema(Schema):
    service_level_seconds = fields.Int()
    short_abandon_seconds = fields.Int()
    service_level_target_percent = fields.Int()
    abandonment_limit_percent = fields.Int()
    waiting_warn_count = fields.Int()
    waiting_alert_count = fields.Int()
    wait_warn_seconds = fields.Int()
    wait_alert_seconds = fields.Int()


class WallboardSchema(Schema):
    now = fields.DateTime()
    seq = fields.Int(
        metadata={
            "description": "The `wallboard` room's last event before the figures were read: "
            "apply the `wallboard.changed` events numbered after it."
        }
    )
    day = fields.Nested(
        DaySchema, metadata={"description": "Today in the desk's time zone (WALLBOARD_TIMEZONE)."}
    )
    thresholds = fields.Nested(ThresholdsSchema)
    queues = fields.List(fields.Nested(QueueRowSchema))
    agents = fields.List(fields.Nested(AgentRowSchema))
    totals = fields.Nested(FiguresSchema)


class WallboardChangeSchema(Schema):
    """`wallboard.changed`: rows to merge into the snapshot by id (a queue's row in part: its agents'
    counts after a presence change, its other figures after a work, call or ticket change)."""

    queue_id = fields.Int(allow_none=True)
    agent_id = fields.Int(allow_none=True)
    queues = fields.List(fields.Nested(QueueRowSchema))
    agents = fields.List(fields.Nested(AgentRowSchema))
    removed_queue_ids = fields.List(fields.Int())
    removed_agent_ids = fields.List(fields.Int())
    totals = fields.Nested(FiguresSchema)
    at = fields.DateTime()


# -- what a supervisor's socket events carry ----------------------------------------------------------


class FollowSchema(Schema):
    agent_id = Id(required=True)


class PresenceChangeSchema(Schema):
    agent_id = Id(required=True)
    state = fields.Str(required=True, validate=validate.OneOf([state.value for state in PresenceState]))
    reason_id = Id(allow_none=True, load_default=None)


class SyncSchema(Schema):
    since = fields.Dict(
        keys=fields.Str(validate=validate.Length(max=40)),
        values=fields.Int(validate=validate.Range(min=0, max=2**53)),
        required=True,
        validate=validate.Length(max=4),
    )
