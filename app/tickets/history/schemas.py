"""Shapes of the ticket history import: the upload and the import's record (the API), and a line of a
history file (`HistoryLineSchema`), parsed like any other input so its errors read like the API's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.dbtypes import utcnow
from app.imports import ImportRecordSchema
from app.tickets.models import (
    ComplaintCategory,
    DesiredOutcome,
    Priority,
    Severity,
    Status,
    TicketChannel,
    TicketType,
)
from app.tickets.models.tickets import BODY_MAX, REFERENCE_MAX, SUBJECT_MAX

EVENT_KINDS = ("public_reply", "internal_note", "status")
# As the API takes a complaint's root cause and remedy.
COMPLAINT_TEXT_MAX = 10_000
FUTURE = "Lies in the future: a history holds only what has already happened."
_MISSING = fields.Field.default_error_messages["required"]


class HistoryUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "A UTF-8 JSON Lines file (.jsonl or .ndjson), one ticket per line."},
    )


class HistoryImportErrorSchema(Schema):
    line = fields.Int(metadata={"description": "1-based line number in the file (0: the file as a whole)."})
    reference = fields.Str(allow_none=True)
    errors = fields.Dict(
        metadata={"description": 'Messages per field; event errors under {"events": {"<index>": {...}}}.'}
    )


class TicketImportSchema(ImportRecordSchema):
    lines = fields.Int(attribute="line_count", dump_only=True, metadata={"description": "Non-blank lines."})
    processed = fields.Int(
        attribute="processed_count", dump_only=True, metadata={"description": "Lines dealt with so far."}
    )
    unchanged = fields.Int(
        attribute="unchanged_count",
        dump_only=True,
        metadata={"description": "Lines whose reference was already an imported ticket's: skipped."},
    )
    errors = fields.List(
        fields.Nested(HistoryImportErrorSchema),
        dump_only=True,
        metadata={"description": "The first 1000 failed lines; the counts stay exact beyond them."},
    )


# -- a line of a history file ----------------------------------------------------------------------------


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be empty.")


def _one_of(choices) -> validate.OneOf:
    return validate.OneOf([choice.value for choice in choices])


class _Reference(fields.String):
    """The other helpdesk's reference: text, or a number taken as text; spaces around it dropped."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs).strip()


class _AgentEmail(fields.String):
    """An agent's e-mail, as agents' e-mails are stored: lowercased; a blank one is none."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str | None:
        return super()._deserialize(value, attr, data, **kwargs).strip().lower() or None


class _Past(fields.AwareDateTime):
    """An ISO 8601 time in UTC (one without an offset is UTC) that has already happened: a history
    holds nothing later than the import's now."""

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


class HistoryCustomerSchema(Schema):
    """Who the ticket is for: found, or added, by e-mail or phone as the customers room does."""

    name = fields.Str(allow_none=True, validate=validate.Length(max=200))
    email = fields.Str(allow_none=True, validate=validate.Length(max=254))
    phone = fields.Str(allow_none=True, validate=validate.Length(max=40))

    @validates_schema
    def _reachable(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not any((data.get(key) or "").strip() for key in ("email", "phone")):
            raise ValidationError("Give the customer's e-mail or phone.", "email")


class HistoryComplaintSchema(Schema):
    """A complaint's details, as far as the other desk kept them: none is required (a complaint line
    without them is category `other`, severity `medium`)."""

    category = fields.Str(allow_none=True, validate=_one_of(ComplaintCategory))
    severity = fields.Str(allow_none=True, validate=_one_of(Severity))
    desired_outcome = fields.Str(allow_none=True, validate=_one_of(DesiredOutcome))
    root_cause = fields.Str(allow_none=True, validate=validate.Length(max=COMPLAINT_TEXT_MAX))
    remedy = fields.Str(allow_none=True, validate=validate.Length(max=COMPLAINT_TEXT_MAX))


class HistoryEventSchema(Schema):
    """One thing that happened to the ticket: a public reply (an agent's, or the customer's when its
    author is no agent), an internal note (an agent's), or a status change (`to`)."""

    at = _Past(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf(EVENT_KINDS))
    author_email = _AgentEmail(allow_none=True)
    body = fields.Str(allow_none=True, validate=validate.Length(max=BODY_MAX))
    to = fields.Str(allow_none=True, validate=_one_of(Status))

    # Run also when a field of the event failed, so that all of an event's problems are reported at once;
    # a field that failed its own check is not in `data`.
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _fits_its_kind(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        kind = data.get("kind")
        if kind is None:
            return
        if kind != "status":
            if original.get("body") is None:
                raise ValidationError(_MISSING, "body")
            return
        errors = {}
        if original.get("to") is None:
            errors["to"] = [_MISSING]
        if (data.get("body") or "").strip():
            errors["body"] = ["A status change carries no body; give the text its own event."]
        if errors:
            raise ValidationError(errors)


class HistoryLineSchema(Schema):
    """A line of a history file: one ticket of another helpdesk with what happened to it. Keys other
    than these are refused, so a misspelt key is reported rather than dropped. Keys left out stay out
    of the result (a null stands for the default as well)."""

    reference = _Reference(required=True, validate=[_not_blank, validate.Length(max=REFERENCE_MAX)])
    subject = fields.Str(required=True, validate=[_not_blank, validate.Length(max=SUBJECT_MAX)])
    description = fields.Str(allow_none=True, validate=validate.Length(max=BODY_MAX))
    type = fields.Str(allow_none=True, validate=_one_of(TicketType))
    priority = fields.Str(allow_none=True, validate=_one_of(Priority))
    channel = fields.Str(allow_none=True, validate=_one_of(TicketChannel))
    queue = fields.Str(allow_none=True, validate=validate.Length(max=80))
    customer = fields.Nested(HistoryCustomerSchema, required=True)
    assignee_email = _AgentEmail(allow_none=True)
    created_at = _Past(required=True)
    tags = fields.List(fields.Str(), allow_none=True)
    complaint = fields.Nested(HistoryComplaintSchema, allow_none=True)
    events = fields.List(fields.Nested(HistoryEventSchema), allow_none=True)
