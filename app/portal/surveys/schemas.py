"""Response shapes of a ticket's satisfaction survey and the follow-up a poor answer opened (read-only
API), and a line of a survey answers history (`SurveyAnswerLineSchema`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from app.dbtypes import utcnow
from app.portal.surveys.models import COMMENT_MAX, SCALES
from app.tickets.models.tickets import REFERENCE_MAX


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


# -- a line of a survey answers history ------------------------------------------------------------------

FUTURE = "Lies in the future: a history holds only what has already happened."


class _Reference(fields.String):
    """The ticket's reference: text, or a number taken as text; spaces around it dropped."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs).strip()


class _Past(fields.AwareDateTime):
    """An ISO 8601 time (one without an offset is UTC) that has already happened."""

    default_error_messages = {"future": FUTURE}

    def __init__(self, **kwargs: Any):
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> datetime:
        if isinstance(value, str):
            value = value.strip()
        moment = super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)
        if moment > utcnow():
            raise self.make_error("future")
        return moment


def _score(name: str, **kwargs: Any) -> fields.Int:
    low, high = SCALES[name]
    return fields.Int(strict=True, validate=validate.Range(min=low, max=high), **kwargs)


class SurveyAnswerLineSchema(Schema):
    """A line of a survey answers history: one ticket's answer, as another desk recorded it. CSAT is
    required, as on the survey page; the other scores may be null or left out. `expected` and
    `received` are a and b of C = b / a. Other keys are refused, so a misspelt one is reported."""

    reference = _Reference(required=True, validate=validate.Length(min=1, max=REFERENCE_MAX))
    answered_at = _Past(required=True)
    csat = _score("csat", required=True)
    ces = _score("ces", allow_none=True)
    nps = _score("nps", allow_none=True)
    expected = _score("expected", allow_none=True)
    received = _score("experienced", allow_none=True)
    comment = fields.Str(allow_none=True, validate=validate.Length(max=COMMENT_MAX))
