"""Response shape of an outbox row (read-only API)."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.notifications.services import KINDS


class NotificationSchema(Schema):
    id = fields.Int()
    kind = fields.Str(metadata={"description": f"One of: {', '.join(KINDS)}."})
    ticket_id = fields.Int(allow_none=True)
    customer_id = fields.Int(allow_none=True)
    agent_id = fields.Int(allow_none=True, metadata={"description": "The agent it was written to, if any."})
    recipient = fields.Str(metadata={"description": "The e-mail address it goes to."})
    language = fields.Str(metadata={"description": "Language of the message: en or zh."})
    status = fields.Str(metadata={"description": "pending, sent or failed."})
    attempts = fields.Int(metadata={"description": "Delivery attempts so far."})
    next_attempt_at = fields.AwareDateTime(metadata={"description": "When a pending row is tried next."})
    last_error = fields.Str(allow_none=True, metadata={"description": "Why the last attempt failed."})
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
