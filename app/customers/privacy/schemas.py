"""Request and response shapes of the personal-data API."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates

from app.accounts.schemas import AgentRefSchema


class CustomerAccessSchema(Schema):
    id = fields.Int(dump_only=True)
    at = fields.DateTime(dump_only=True)
    via = fields.Str(
        dump_only=True, metadata={"description": "`page`, `api` (the profile's API) or `timeline`."}
    )
    agent = fields.Nested(AgentRefSchema, dump_only=True, allow_none=True)


class ErasureSchema(Schema):
    confirm = fields.Bool(
        required=True,
        metadata={"description": "Must be true: erasure is irreversible, so it is never implied."},
    )

    @validates("confirm")
    def _must_confirm(self, value: bool, **_) -> None:
        if value is not True:
            raise ValidationError("Set to true to erase the customer's data; this cannot be undone.")


class CustomerExportSchema(Schema):
    """The export file. Sections from other rooms are lists of objects; times are ISO 8601 in UTC."""

    format = fields.Str(metadata={"description": "`switchboard.customer-export/1`."})
    exported_at = fields.DateTime()
    customer = fields.Dict(metadata={"description": "The profile with contact points, fields and consents."})
    merged_customers = fields.List(fields.Dict(), metadata={"description": "Profiles merged into it."})
    profile_history = fields.List(fields.Dict(), metadata={"description": "Changes to the profile."})
    tickets = fields.List(
        fields.Dict(),
        metadata={
            "description": "Tickets with every message (`public` false for internal notes), "
            "attachments' names, complaint details."
        },
    )
    messages_on_other_tickets = fields.List(
        fields.Dict(), metadata={"description": "Messages the customer wrote on other people's tickets."}
    )
    web_submissions = fields.List(fields.Dict(), metadata={"description": "Answers to the web form."})
    surveys = fields.List(fields.Dict(), metadata={"description": "Satisfaction surveys and answers."})
    mails = fields.List(fields.Dict(), metadata={"description": "E-mails written to the customer."})
