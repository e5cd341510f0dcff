"""The JSON of a failed job."""

from __future__ import annotations

from marshmallow import Schema, fields


class FailedJobSchema(Schema):
    id = fields.Str(dump_only=True)
    queue = fields.Str(dump_only=True, metadata={"description": "The queue it ran on."})
    function = fields.Str(
        dump_only=True, allow_none=True, metadata={"description": "The dotted path it ran."}
    )
    args = fields.List(fields.Raw(), dump_only=True)
    kwargs = fields.Dict(dump_only=True)
    enqueued_at = fields.DateTime(dump_only=True, allow_none=True)
    failed_at = fields.DateTime(dump_only=True, allow_none=True)
    error = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The traceback of its last run, or how its worker was lost."},
    )
