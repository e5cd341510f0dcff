"""Response shapes of a ticket's satisfaction survey and the follow-up a poor answer opened (read-only
API)."""

from __future__ import annotations

from marshmallow import Schema, fields


class FollowUpTaskSchema(Schema):
    id = fields.Int()
    assignee_id = fields.Int(allow_none=True, metadata={"description": "The supervisor who calls back."})
    reason = fields.Str()
    status = fields.Str(metadata={"description": "open or done."})
    created_at = fields.AwareDateTime()
    done_at = fields.AwareDateTime(allow_none=True)
    done_by_id = fields.Int(allow_none=True)


class SurveySchema(Schema):
    ticket_id = fields.Int()
    customer_id = fields.Int()
    agent_id = fields.Int(allow_none=True, metadata={"description": "The assignee when it was solved."})
    sent_at = fields.AwareDateTime(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    csat = fields.Int(allow_none=True, metadata={"description": "Satisfaction, 1-5."})
    ces = fields.Int(allow_none=True, metadata={"description": "Customer effort: how easy, 1-7."})
    nps = fields.Int(allow_none=True, metadata={"description": "Would recommend us, 0-10."})
    expected = fields.Int(allow_none=True, metadata={"description": "a: what they expected, 1-5."})
    experienced = fields.Int(allow_none=True, metadata={"description": "b: what they got, 1-5."})
    satisfaction_index = fields.Float(
        allow_none=True, metadata={"description": "C = b / a; at least 1 satisfied, below 1 dissatisfied."}
    )
    comment = fields.Str()
    follow_up = fields.Nested(FollowUpTaskSchema, allow_none=True)
