"""Request and response shapes of routing: offers and answers to them, and a queue's routing rules."""

from marshmallow import Schema, fields, validate

from app.callcenter.routing.models import OfferOutcome
from app.callcenter.routing.services import OFFER_TIMEOUT_RANGE
from app.inputs import Id

_OUTCOMES = [outcome.value for outcome in OfferOutcome]
_CLAIM = "Whether agents may still claim the queue's tickets by hand (supervisors always may)."
_TIMEOUT = "How long an offer waits for the agent's answer before it goes to the next agent."
_OVERFLOW = "Where work waiting longer than `overflow_after_seconds` moves to (once); null: nowhere."


class OfferSchema(Schema):
    id = fields.Int()
    work_item_id = fields.Int()
    agent_id = fields.Int()
    kind = fields.Function(lambda offer: offer.work_item.kind if offer.work_item else None)
    subject_id = fields.Function(lambda offer: offer.work_item.subject_id if offer.work_item else None)
    queue_id = fields.Function(
        lambda offer: offer.work_item.queue_id if offer.work_item else None, allow_none=True
    )
    offered_at = fields.DateTime()
    expires_at = fields.DateTime()
    outcome = fields.Str(metadata={"enum": _OUTCOMES})
    decided_at = fields.DateTime(allow_none=True)


class OfferQuerySchema(Schema):
    agent_id = Id(metadata={"description": "One agent's offers (supervisors; an agent sees their own)."})
    outcome = fields.Str(validate=validate.OneOf(_OUTCOMES))


class OfferAnswerSchema(Schema):
    """A console's `offer.accept` / `offer.decline` event."""

    offer_id = Id(required=True)


class QueueRoutingSchema(Schema):
    queue_id = fields.Int()
    claim_allowed = fields.Bool(metadata={"description": _CLAIM})
    offer_timeout_seconds = fields.Int(metadata={"description": _TIMEOUT})
    overflow_queue_id = fields.Int(allow_none=True, metadata={"description": _OVERFLOW})
    overflow_after_seconds = fields.Int(allow_none=True)


class QueueRoutingUpdateSchema(Schema):
    claim_allowed = fields.Bool(metadata={"description": _CLAIM})
    offer_timeout_seconds = fields.Int(
        validate=validate.Range(*OFFER_TIMEOUT_RANGE), metadata={"description": _TIMEOUT}
    )
    overflow_queue_id = Id(allow_none=True, metadata={"description": _OVERFLOW})
    overflow_after_seconds = fields.Int(allow_none=True, validate=validate.Range(min=1, max=7 * 24 * 3600))
