"""Request and response shapes of ticket search and saved views.

`TicketQuerySchema` reads the filters from a query string (a list filter repeats its parameter:
`status=open&status=pending`) and, unchanged, the `filters` object of a saved view (where a list filter
is a JSON array or a single value), so a saved view can hold exactly what the search accepts. Saved
filters are stored as the schema dumps them: plain JSON, keywords like `me` kept as keywords.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from app.inputs import MAX_ID, Id
from app.pagination import QuerySchema
from app.tickets.models import Priority, Status, TicketChannel, TicketType
from app.tickets.search.services import (
    DATE_FILTERS,
    MAX_BREACHING_WINDOW_SECONDS,
    Q_MAX,
    SORT_KEYS,
    VIEW_NAME_MAX,
)

_LIST_MAX = 50
_TAG_MAX = 50
_DIGITS = re.compile(r"^[0-9]{1,10}\Z")


class _OneOrMany(fields.List):
    """A list filter: repeated in a query string, an array (or one bare value) in JSON; any value matches."""

    def __init__(self, inner: fields.Field, **kwargs: Any):
        super().__init__(inner, validate=validate.Length(min=1, max=_LIST_MAX), **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs):
        if not isinstance(value, list | tuple):
            value = [value]
        return super()._deserialize(value, attr, data, **kwargs)


class _Reference(fields.Field):
    """An id, or one of a few keywords (`me`, `none`, `mine`) that the search resolves for the caller."""

    def __init__(self, keywords: tuple[str, ...], **kwargs: Any):
        # Documented as the string a query parameter is; JSON (a saved view's filters) may send a number.
        pattern = rf"^([1-9][0-9]*|{'|'.join(keywords)})$"
        super().__init__(metadata={"type": "string", "pattern": pattern}, **kwargs)
        self.keywords = keywords

    def _deserialize(self, value: Any, attr, data, **kwargs):
        if isinstance(value, str):
            word = value.strip().lower()
            if word in self.keywords:
                return word
            if _DIGITS.match(word):
                value = int(word)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
            return value
        raise ValidationError(f"Must be an id or one of: {', '.join(self.keywords)}.")


class _Instant(fields.AwareDateTime):
    """An ISO 8601 date or date-time, UTC unless it says otherwise; a bare date means its midnight."""

    def __init__(self, **kwargs: Any):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as error:  # 9999-12-31T23:00-05:00 is past the last representable moment
            raise ValidationError("Out of range.") from error


def _choices(values) -> fields.Str:
    return fields.Str(validate=validate.OneOf([value.value for value in values]))


def _range(name: str) -> tuple[fields.Field, fields.Field]:
    return (
        _Instant(metadata={"description": f"Only tickets with `{name}_at` at or after this moment."}),
        _Instant(metadata={"description": f"Only tickets with `{name}_at` before this moment (excluded)."}),
    )


class TicketQuerySchema(QuerySchema):
    q = fields.Str(
        validate=validate.Length(max=Q_MAX),
        metadata={
            "description": "Full text over subject, description and comments. Words must all appear (in "
            'the ticket itself or in one comment); "quoted phrase", `or` between alternatives, '
            "`-word` to exclude. Words match whole (no stemming, no prefixes); Chinese and Japanese, "
            "written without spaces, match any run of characters inside longer text (`发票` finds "
            "`发票抬头需要修改`)."
        },
    )
    status = _OneOrMany(_choices(Status), metadata={"description": "Any of these statuses."})
    priority = _OneOrMany(_choices(Priority))
    type = _OneOrMany(_choices(TicketType))
    channel = _OneOrMany(_choices(TicketChannel))
    queue_id = _OneOrMany(
        _Reference(("mine", "none")),
        metadata={"description": "Queue ids; `mine`: the queues of your teams; `none`: not in a queue."},
    )
    assignee_id = _OneOrMany(
        _Reference(("me", "none")),
        metadata={"description": "Agent ids; `me`: assigned to you; `none`: unassigned."},
    )
    customer_id = _OneOrMany(Id())
    tag = _OneOrMany(
        fields.Str(validate=validate.Length(min=1, max=_TAG_MAX)),
        metadata={"description": "Tickets carrying all of these tags."},
    )
    created_from, created_to = _range("created")
    updated_from, updated_to = _range("updated")
    solved_from, solved_to = _range("solved")
    breaching_within_seconds = fields.Int(
        validate=validate.Range(min=0, max=MAX_BREACHING_WINDOW_SECONDS),
        metadata={
            "description": "Only tickets with an SLA target neither met nor cancelled that is due within "
            "this many seconds (or overdue already)."
        },
    )
    sort = fields.Str(
        validate=validate.OneOf(SORT_KEYS),
        metadata={
            "description": "`created_at` (the default), `updated_at`, `priority`, `status` (in the "
            "workflow's order) or `due` (the earliest "
            "running SLA target; tickets without one last)."
        },
    )
    order = fields.Str(
        validate=validate.OneOf(["asc", "desc"]),
        metadata={"description": "Newest and most urgent first (`desc`), except `due`: soonest first."},
    )

    @validates_schema
    def _ranges_run_forward(self, data: dict[str, Any], **_: Any) -> None:
        errors = {
            f"{name}_to": [f"Must be later than {name}_from."]
            for name in DATE_FILTERS
            if data.get(f"{name}_from") is not None
            and data.get(f"{name}_to") is not None
            and data[f"{name}_to"] <= data[f"{name}_from"]
        }
        if errors:
            raise ValidationError(errors)

    @post_load
    def _drop_blank_query(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "q" in data:
            data["q"] = data["q"].strip()
            if not data["q"]:
                del data["q"]
        return data


class _Filters(fields.Dict):
    """A saved view's filters, checked by `TicketQuerySchema` (unknown keys refused), stored as dumped."""

    def _deserialize(self, value: Any, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        filters = TicketQuerySchema(unknown=RAISE).load(value)  # a ValidationError nests under `filters`
        return TicketQuerySchema().dump(filters)


class SavedViewSchema(Schema):
    id = fields.Str(
        metadata={
            "description": "`my-open`, `unassigned-in-my-queues`, `breaching-soon`, or the number of "
            "one of your own views."
        }
    )
    name = fields.Str()
    built_in = fields.Bool()
    description = fields.Str()
    filters = fields.Dict(metadata={"description": "Search parameters, as `GET /api/v1/tickets` takes them."})
    created_at = fields.DateTime(allow_none=True)


class SavedViewCreateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=VIEW_NAME_MAX))
    filters = _Filters(
        load_default=dict,
        metadata={
            "description": 'The search parameters, e.g. `{"status": ["open", "pending"], "queue_id": '
            '["mine"], "q": "refund"}`; a list filter takes an array or a single value.'
        },
    )
