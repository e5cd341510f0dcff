"""Request and response shapes of the customers API.

Schemas check shape and size; the services check meaning (normalizing contact points, custom fields
against their definitions), so the CSV import and the API obey the same rules.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from app.customers.models import (
    FIELD_KEY,
    LANGUAGE,
    MAX_CHOICES,
    MAX_CONTACTS,
    MAX_MONEY,
    MAX_TAGS,
    NAME_MAX,
    NOTES_MAX,
    TAG_MAX,
    Channel,
    ContactLabel,
    FieldType,
)
from app.i18n import TIMEZONE_MAX
from app.imports import ImportRecordSchema
from app.inputs import CurrencyCode, Id
from app.pagination import QuerySchema

_NAME = validate.Length(min=1, max=NAME_MAX)
_LANGUAGE = [
    validate.Length(max=10),
    validate.Regexp(LANGUAGE, error="Use a language code such as en or zh."),
]
_CHANNEL = validate.OneOf([c.value for c in Channel])
_MONEY = validate.Range(min=0, max=MAX_MONEY)


# -- responses ---------------------------------------------------------------------------------------


class OrganizationRefSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)


class ContactPointSchema(Schema):
    value = fields.Str(dump_only=True)
    label = fields.Str(dump_only=True)
    is_primary = fields.Bool(dump_only=True)


class ConsentSchema(Schema):
    email = fields.Bool()
    sms = fields.Bool()
    phone = fields.Bool()
    marketing = fields.Bool()


class CustomerSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    organization = fields.Nested(OrganizationRefSchema, allow_none=True, dump_only=True)
    emails = fields.List(fields.Nested(ContactPointSchema), dump_only=True)
    phones = fields.List(fields.Nested(ContactPointSchema), dump_only=True)
    tags = fields.List(fields.Str(), attribute="tag_names", dump_only=True)
    preferred_language = fields.Str(dump_only=True, allow_none=True)
    timezone = fields.Str(dump_only=True, allow_none=True)
    preferred_channel = fields.Str(dump_only=True, allow_none=True)
    custom_fields = fields.Dict(dump_only=True)
    consent = fields.Nested(ConsentSchema, dump_only=True)
    revenue_12m = fields.Decimal(places=2, as_string=True, dump_only=True)
    lifetime_revenue = fields.Decimal(places=2, as_string=True, dump_only=True)
    currency = fields.Str(dump_only=True)
    lifecycle_stage = fields.Str(dump_only=True, allow_none=True)
    value_tier = fields.Str(dump_only=True, allow_none=True)
    churn_risk = fields.Int(dump_only=True, allow_none=True)
    notes = fields.Str(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    deleted_at = fields.DateTime(dump_only=True, allow_none=True)
    merged_into_id = fields.Int(dump_only=True, allow_none=True)


# -- requests ----------------------------------------------------------------------------------------


class ContactPointInput(fields.Field):
    """A contact point as a plain string (`"+1 201 555 0123"`) or as `{value, label, is_primary}`."""

    def __init__(self, max_length: int, **kwargs: Any):
        labels = [label.value for label in ContactLabel]
        self.schema = Schema.from_dict(
            {
                "value": fields.Str(required=True, validate=validate.Length(min=1, max=max_length)),
                "label": fields.Str(validate=validate.OneOf(labels)),
                "is_primary": fields.Bool(),
            }
        )
        value = {"type": "string", "maxLength": max_length}
        one_of = [
            value,
            {
                "type": "object",
                "required": ["value"],
                "properties": {
                    "value": value,
                    "label": {"type": "string", "enum": labels},
                    "is_primary": {"type": "boolean"},
                },
            },
        ]
        super().__init__(metadata={"oneOf": one_of}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            value = {"value": value}
        if not isinstance(value, dict):
            raise ValidationError("Must be a string or an object with a value.")
        return self.schema().load(value)


_LIST_HELP = "Strings, or objects `{value, label, is_primary}`; replaces the customer's current list."


class _CustomerFields(Schema):
    name = fields.Str(validate=_NAME)
    organization = fields.Str(
        allow_none=True,
        validate=validate.Length(max=NAME_MAX),
        metadata={"description": "An organization's name: found regardless of case, or created."},
    )
    emails = fields.List(
        ContactPointInput(max_length=254),
        validate=validate.Length(max=MAX_CONTACTS),
        metadata={"description": _LIST_HELP},
    )
    phones = fields.List(
        ContactPointInput(max_length=40),
        validate=validate.Length(max=MAX_CONTACTS),
        metadata={"description": _LIST_HELP + " Any common format; stored as E.164."},
    )
    tags = fields.List(
        fields.Str(validate=validate.Length(min=1, max=TAG_MAX)), validate=validate.Length(max=MAX_TAGS)
    )
    preferred_language = fields.Str(
        allow_none=True, validate=_LANGUAGE, metadata={"description": "en or zh (zh-CN, zh-Hans... mean zh)."}
    )
    timezone = fields.Str(
        allow_none=True,
        validate=validate.Length(max=TIMEZONE_MAX),
        metadata={"description": "IANA time zone, such as Asia/Shanghai."},
    )
    preferred_channel = fields.Str(allow_none=True, validate=_CHANNEL)
    custom_fields = fields.Dict(
        keys=fields.Str(validate=validate.Length(min=1, max=50)),
        values=fields.Raw(allow_none=True),
        validate=validate.Length(max=100),
        metadata={"description": "Values checked against the field definitions; null removes a key."},
    )
    consent = fields.Nested(ConsentSchema)
    revenue_12m = fields.Decimal(places=2, as_string=True, validate=_MONEY)
    lifetime_revenue = fields.Decimal(places=2, as_string=True, validate=_MONEY)
    currency = CurrencyCode()
    notes = fields.Str(validate=validate.Length(max=NOTES_MAX))


class CustomerCreateSchema(_CustomerFields):
    name = fields.Str(required=True, validate=_NAME)


class CustomerUpdateSchema(_CustomerFields):
    """Every field optional; only the given ones change."""


class CustomerQuerySchema(QuerySchema):
    q = fields.Str(
        validate=validate.Length(max=200),
        metadata={"description": "Matches a name, e-mail, phone or organization name."},
    )
    name = fields.Str(validate=validate.Length(max=NAME_MAX))
    email = fields.Str(validate=validate.Length(max=254))
    phone = fields.Str(validate=validate.Length(max=40))
    organization = fields.Str(validate=validate.Length(max=NAME_MAX))
    tag = fields.Str(validate=validate.Length(max=TAG_MAX))
    include_deleted = fields.Bool(
        load_default=False,
        metadata={"description": "Also list deleted customers: supervisors and admins only (403 otherwise)."},
    )
    sort = fields.Str(load_default="newest", validate=validate.OneOf(["newest", "name"]))


class LookupQuerySchema(QuerySchema):
    phone = fields.Str(validate=validate.Length(min=1, max=40))
    email = fields.Str(validate=validate.Length(min=1, max=254))

    @pre_load
    def _restore_plus(self, data: Any, **_: Any) -> dict[str, Any]:
        # An unencoded "+" in a query string arrives as a space; a phone never starts with one.
        data = dict(data)
        phone = data.get("phone")
        if isinstance(phone, str) and phone.startswith(" ") and phone.strip()[:1].isdigit():
            data["phone"] = "+" + phone.strip()
        return data


class MergeSchema(Schema):
    into = Id(
        required=True,
        strict=True,
        metadata={"description": "The customer that survives; the one in the path disappears into it."},
    )


class TimelineQuerySchema(QuerySchema):
    before = fields.AwareDateTime(default_timezone=UTC)
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=100))


class TimelineRefSchema(Schema):
    type = fields.Str()
    id = fields.Raw()


class TimelineEntrySchema(Schema):
    occurred_at = fields.DateTime()
    kind = fields.Str()
    source = fields.Str()
    title = fields.Str()
    data = fields.Dict()
    ref = fields.Nested(TimelineRefSchema, allow_none=True)


class TimelineSchema(Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema))
    next_before = fields.DateTime(
        allow_none=True, metadata={"description": "Pass as `before` for older entries; null at the end."}
    )


class FieldDefinitionSchema(Schema):
    id = fields.Int(dump_only=True)
    key = fields.Str(required=True, validate=validate.Regexp(FIELD_KEY, error="Use a-z, 0-9 and _."))
    label = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    type = fields.Str(required=True, validate=validate.OneOf([t.value for t in FieldType]))
    choices = fields.List(
        fields.Str(validate=validate.Length(min=1, max=100)),
        load_default=list,
        validate=validate.Length(max=MAX_CHOICES),
    )
    required = fields.Bool(load_default=False)
    created_at = fields.DateTime(dump_only=True)


class ImportUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "A UTF-8 CSV file."})


class ImportErrorSchema(Schema):
    row = fields.Int()
    errors = fields.Dict()


class CustomerImportSchema(ImportRecordSchema):
    updated = fields.Int(attribute="updated_count", dump_only=True)
    errors = fields.List(
        fields.Nested(ImportErrorSchema),
        dump_only=True,
        metadata={"description": "The first 1000 failed rows; the counts stay exact beyond them."},
    )
