"""The web form routes as the API reads and writes them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.inputs import Id
from app.portal.routing.models import FORMS
from app.tickets.models import Severity
from app.versions import version_field

_FORM = {"enum": list(FORMS), "description": "A complaint category, or `request` for the support form."}
_SEVERITY = "A complaint category's severity (its complaints' priority follows it); null for `request`."


class WebFormRouteSchema(Schema):
    form = fields.Str(required=True, validate=validate.OneOf(FORMS), metadata=_FORM)
    queue_id = Id(load_default=None, allow_none=True, metadata={"description": "Null: the default queue."})
    severity = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([s.value for s in Severity]),
        metadata={"description": f"{_SEVERITY} Medium unless set."},
    )


class WebFormRoutingSchema(Schema):
    """The whole map: every form's route (those never set as they apply) and the default queue."""

    version = fields.Int(dump_only=True)
    default_queue_id = fields.Int(
        dump_only=True, allow_none=True, metadata={"description": "Where forms without a queue go."}
    )
    routes = fields.List(fields.Nested(WebFormRouteSchema), attribute="all_routes", dump_only=True)
    updated_at = fields.DateTime(dump_only=True, allow_none=True)


class WebFormRoutingUpdateSchema(Schema):
    """A new map, replacing the old one whole: forms not listed go to the default queue."""

    version = version_field()
    default_queue_id = Id(required=True, allow_none=True, metadata={"description": "Null: no queue."})
    routes = fields.List(
        fields.Nested(WebFormRouteSchema), required=True, validate=validate.Length(max=len(FORMS) * 2)
    )
