"""Request and response shapes of the ticket history import API."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from app.imports import ImportRecordSchema


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
