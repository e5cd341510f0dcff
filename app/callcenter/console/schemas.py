"""Shapes of the agent console: the snapshot it loads over HTTP, and what its socket events carry."""

from marshmallow import Schema, fields

from app.inputs import Id

_SINCE = "When the state began; null for an agent who never opened a console (offline)."
_ROOMS = (
    "Each room the console is in (`agent:<id>`, `team:<id>`, `queue:<id>`; `queue:0` carries the news of "
    "tickets in no queue) with the number of its last event: events numbered after it are news, and a "
    "console that sees a gap (or reconnects) asks for what it missed with the `sync` socket event."
)


class ConsoleAgentSchema(Schema):
    """An id and a name (the agent, a break reason)."""

    id = fields.Int()
    name = fields.Str()


class ConsolePresenceSchema(Schema):
    state = fields.Str(metadata={"description": "available, busy, wrap_up, break or offline."})
    reason_id = fields.Int(allow_none=True, metadata={"description": "The break reason, on a break."})
    reason = fields.Str(allow_none=True)
    since = fields.DateTime(allow_none=True, metadata={"description": _SINCE})


class OfferContactSchema(Schema):
    """A way to reach the customer an offer pops up (e-mail, phone)."""

    kind = fields.Str()
    value = fields.Str()


class CustomerSummarySchema(Schema):
    """The customer a console pops up with an offer (routing's `customer_summary`)."""

    id = fields.Int()
    name = fields.Str()
    value_tier = fields.Str(allow_none=True)
    lifecycle_stage = fields.Str(allow_none=True)
    churn_risk = fields.Int(allow_none=True)
    contact_points = fields.List(fields.Nested(OfferContactSchema))
    tickets = fields.Int(metadata={"description": "How many tickets the customer has."})


class ConsoleOfferSchema(Schema):
    """A pending offer, as the `offer.new` event carries it."""

    offer_id = fields.Int()
    work_item_id = fields.Int()
    kind = fields.Str(metadata={"description": "ticket, call or callback."})
    subject_id = fields.Int(metadata={"description": "The ticket's, call's or callback request's id."})
    queue_id = fields.Int(allow_none=True)
    queue = fields.Str(allow_none=True)
    # As the live event carries them: ISO 8601 text.
    offered_at = fields.Str(metadata={"format": "date-time"})
    expires_at = fields.Str(
        metadata={"format": "date-time", "description": "Unanswered by then, it times out."}
    )
    timeout_seconds = fields.Int()
    title = fields.Str(allow_none=True, metadata={"description": "The ticket's subject, or who is calling."})
    caller = fields.Str(allow_none=True, metadata={"description": "The number of a call or a callback."})
    customer = fields.Nested(CustomerSummarySchema, allow_none=True)


class SlaDueSchema(Schema):
    target = fields.Str(metadata={"description": "first_response, next_response or resolution."})
    due_at = fields.DateTime()
    breached = fields.Bool()


class ConsoleTicketSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    subject = fields.Str()
    status = fields.Str()
    priority = fields.Str()
    queue_id = fields.Int(allow_none=True)
    version = fields.Int()
    updated_at = fields.DateTime()
    sla = fields.List(
        fields.Nested(SlaDueSchema), metadata={"description": "Running SLA targets, soonest due first."}
    )


class ConsoleCallSchema(Schema):
    """An active call (queued, talking, held) or one ended and not yet wrapped up, as `call.changed`
    carries it."""

    call_id = fields.Int(attribute="id")
    status = fields.Str()
    caller = fields.Str()
    queue_id = fields.Int(allow_none=True)
    agent_id = fields.Int(allow_none=True)
    customer_id = fields.Int(allow_none=True)
    ticket_id = fields.Int(allow_none=True)
    offered_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)


class ConsoleSchema(Schema):
    agent = fields.Nested(ConsoleAgentSchema)
    presence = fields.Nested(ConsolePresenceSchema)
    break_reasons = fields.List(
        fields.Nested(ConsoleAgentSchema), metadata={"description": "What a break may be for: id, name."}
    )
    offers = fields.List(fields.Nested(ConsoleOfferSchema))
    tickets = fields.List(
        fields.Nested(ConsoleTicketSchema),
        metadata={"description": "Your unsolved tickets, soonest SLA due first."},
    )
    calls = fields.List(fields.Nested(ConsoleCallSchema))
    rooms = fields.Dict(keys=fields.Str(), values=fields.Int(), metadata={"description": _ROOMS})


# -- socket events -----------------------------------------------------------------------------------


class TicketRefSchema(Schema):
    ticket_id = Id(required=True)


class TypingSchema(TicketRefSchema):
    typing = fields.Bool(required=True)


class SyncSchema(Schema):
    since = fields.Dict(
        keys=fields.Str(),
        values=fields.Int(allow_none=True),
        load_default=dict,
        metadata={"description": "The last event number the console saw, per room."},
    )
