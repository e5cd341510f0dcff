"""Request and response shapes of the call center's API."""

from marshmallow import Schema, fields, validate

from app.callcenter.models import DESCRIPTION_MAX, MAX_BREAK_MINUTES
from app.versions import version_field

_NAME = validate.Length(min=1, max=80)
_DESCRIPTION = validate.Length(max=DESCRIPTION_MAX)
_MINUTES = validate.Range(min=1, max=MAX_BREAK_MINUTES)
_PAID = "Paid breaks (training, coaching) count as working time; unpaid ones (lunch) do not."
_MAX_MINUTES = "How long a break of this kind should last, in minutes; null for no limit."


class BreakReasonSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    description = fields.Str()
    paid = fields.Bool(metadata={"description": _PAID})
    max_minutes = fields.Int(allow_none=True, metadata={"description": _MAX_MINUTES})
    version = fields.Int()
    created_at = fields.DateTime()


class BreakReasonCreateSchema(Schema):
    name = fields.Str(required=True, validate=_NAME)
    description = fields.Str(load_default="", validate=_DESCRIPTION)
    paid = fields.Bool(load_default=False, metadata={"description": _PAID})
    max_minutes = fields.Int(
        load_default=None, allow_none=True, validate=_MINUTES, metadata={"description": _MAX_MINUTES}
    )


class BreakReasonUpdateSchema(Schema):
    version = version_field()
    name = fields.Str(validate=_NAME)
    description = fields.Str(validate=_DESCRIPTION)
    paid = fields.Bool(metadata={"description": _PAID})
    max_minutes = fields.Int(allow_none=True, validate=_MINUTES, metadata={"description": _MAX_MINUTES})
