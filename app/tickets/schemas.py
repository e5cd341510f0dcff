"""Request and response shapes of the tickets API."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.accounts.schemas import AgentRefSchema
from app.inputs import CurrencyCode, Id
from app.tickets.models import (
    ComplaintCategory,
    ComplaintStage,
    DesiredOutcome,
    OutsiderAccess,
    Priority,
    Severity,
    Status,
    TicketChannel,
    TicketType,
)
from app.tickets.models.tickets import BODY_MAX, SUBJECT_MAX
from app.tickets.sla.schemas import SlaTargetSchema
from app.versions import version_field

_NAME = validate.Length(min=1, max=80)
_DESCRIPTION = validate.Length(max=2000)
_SKILLS = validate.Length(max=30)
_SKILL = validate.Length(min=1, max=60)
_OUTSIDER_ACCESS = validate.OneOf([access.value for access in OutsiderAccess])
_OUTSIDER_ACCESS_DOC = (
    "What agents outside the queue's team may do with its tickets: `read` them, or `none` (not see them; "
    "the default). Its team's members work them; supervisors and admins see and change all. A queue "
    "without a team is everyone's."
)


class QueueSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    description = fields.Str()
    team_id = fields.Int(allow_none=True)
    outsider_access = fields.Str(metadata={"description": _OUTSIDER_ACCESS_DOC})
    skills = fields.Method("_skill_names", metadata={"description": "Skills an agent needs for this queue."})
    version = fields.Int()
    created_at = fields.DateTime()

    def _skill_names(self, queue) -> list[str]:
        return [skill.name for skill in queue.skills]


class QueueCreateSchema(Schema):
    name = fields.Str(required=True, validate=_NAME)
    description = fields.Str(load_default="", validate=_DESCRIPTION)
    team_id = Id(load_default=None, allow_none=True)
    outsider_access = fields.Str(
        load_default=OutsiderAccess.NONE.value,
        validate=_OUTSIDER_ACCESS,
        metadata={"description": _OUTSIDER_ACCESS_DOC},
    )
    skills = fields.List(fields.Str(validate=_SKILL), load_default=list, validate=_SKILLS)


class QueueUpdateSchema(Schema):
    version = version_field()
    name = fields.Str(validate=_NAME)
    description = fields.Str(validate=_DESCRIPTION)
    team_id = Id(allow_none=True)
    outsider_access = fields.Str(validate=_OUTSIDER_ACCESS, metadata={"description": _OUTSIDER_ACCESS_DOC})
    skills = fields.List(fields.Str(validate=_SKILL), validate=_SKILLS)


# -- tickets ----------------------------------------------------------------------------------------

_TYPES = validate.OneOf([t.value for t in TicketType])
_PRIORITIES = validate.OneOf([p.value for p in Priority])
_CHANNELS = validate.OneOf([c.value for c in TicketChannel])
_STATUSES = validate.OneOf([s.value for s in Status])
_SUBJECT = validate.Length(min=1, max=SUBJECT_MAX)
_BODY = validate.Length(max=BODY_MAX)
_TAGS = fields.List(fields.Str(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=30))


class CustomerContactSchema(Schema):
    name = fields.Str(validate=validate.Length(max=200))
    email = fields.Str(validate=validate.Length(max=254))
    phone = fields.Str(validate=validate.Length(max=40))


class ComplaintDetailsSchema(Schema):
    category = fields.Str(validate=validate.OneOf([c.value for c in ComplaintCategory]))
    severity = fields.Str(validate=validate.OneOf([s.value for s in Severity]))
    desired_outcome = fields.Str(allow_none=True, validate=validate.OneOf([d.value for d in DesiredOutcome]))


class ComplaintUpdateSchema(ComplaintDetailsSchema):
    root_cause = fields.Str(validate=validate.Length(max=10_000))
    remedy = fields.Str(validate=validate.Length(max=10_000))
    compensation_amount = fields.Decimal(
        places=2, as_string=True, allow_none=True, validate=validate.Range(min=0, max=10**9)
    )
    compensation_currency = CurrencyCode(allow_none=True)
    compensation_note = fields.Str(validate=validate.Length(max=10_000))
    stage = fields.Str(validate=validate.OneOf([s.value for s in ComplaintStage]))
    follow_up_note = fields.Str(validate=validate.Length(max=10_000))


class ComplaintSchema(ComplaintUpdateSchema):
    acknowledged_at = fields.DateTime(allow_none=True)
    followed_up_at = fields.DateTime(allow_none=True)


class TicketCreateSchema(Schema):
    subject = fields.Str(required=True, validate=_SUBJECT)
    description = fields.Str(load_default="", validate=_BODY)
    type = fields.Str(load_default=TicketType.QUESTION.value, validate=_TYPES)
    priority = fields.Str(load_default=Priority.NORMAL.value, validate=_PRIORITIES)
    channel = fields.Str(load_default=TicketChannel.API.value, validate=_CHANNELS)
    customer_id = Id()
    customer = fields.Nested(CustomerContactSchema)
    queue_id = Id(allow_none=True)
    assignee_id = Id(allow_none=True)
    tags = _TAGS
    custom_fields = fields.Dict(keys=fields.Str(validate=validate.Length(max=50)))
    complaint = fields.Nested(ComplaintDetailsSchema)


class TicketUpdateSchema(Schema):
    version = version_field()
    subject = fields.Str(validate=_SUBJECT)
    description = fields.Str(validate=_BODY)
    type = fields.Str(validate=_TYPES)
    priority = fields.Str(validate=_PRIORITIES)
    status = fields.Str(validate=_STATUSES)
    queue_id = Id(allow_none=True)
    tags = _TAGS
    custom_fields = fields.Dict(keys=fields.Str(validate=validate.Length(max=50)))
    complaint = fields.Nested(ComplaintUpdateSchema)


class TicketCustomerSchema(Schema):
    id = fields.Int()
    name = fields.Str()


class TicketSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    subject = fields.Str()
    description = fields.Str(metadata={"description": "Sanitized HTML."})
    type = fields.Str()
    priority = fields.Str()
    channel = fields.Str()
    status = fields.Str()
    customer = fields.Nested(TicketCustomerSchema)
    queue_id = fields.Int(allow_none=True)
    assignee = fields.Nested(AgentRefSchema, allow_none=True)
    tags = fields.List(fields.Str())
    custom_fields = fields.Dict()
    version = fields.Int()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    first_response_at = fields.DateTime(allow_none=True)
    solved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    reopen_count = fields.Int()
    merged_into_id = fields.Int(allow_none=True)
    follow_up_of_id = fields.Int(allow_none=True)
    complaint = fields.Nested(ComplaintSchema, allow_none=True)
    sla = fields.List(fields.Nested(SlaTargetSchema), attribute="sla_targets")


class AssignSchema(Schema):
    assignee_id = Id(required=True, allow_none=True)
    version = fields.Int(validate=validate.Range(min=1))


class CommentCreateSchema(Schema):
    body = fields.Str(required=True, validate=validate.Length(min=1, max=BODY_MAX))
    public = fields.Bool(load_default=True)
    mention_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=20))
    status = fields.Str(validate=_STATUSES, metadata={"description": "Move the ticket to this status too."})


class CommentSchema(Schema):
    id = fields.Int()
    ticket_id = fields.Int()
    public = fields.Bool()
    body = fields.Str(metadata={"description": "Sanitized HTML."})
    author = fields.Nested(AgentRefSchema, allow_none=True)
    customer_id = fields.Int(allow_none=True)
    mentions = fields.List(fields.Nested(AgentRefSchema))
    created_at = fields.DateTime()


class TicketEventSchema(Schema):
    id = fields.Int()
    at = fields.DateTime()
    actor = fields.Nested(AgentRefSchema, allow_none=True)
    actor_kind = fields.Str()
    kind = fields.Str()
    field = fields.Str(allow_none=True)
    old_value = fields.Raw(allow_none=True)
    new_value = fields.Raw(allow_none=True)


class TicketMergeSchema(Schema):
    into = Id(required=True, metadata={"description": "The ticket that remains."})


class LinkCreateSchema(Schema):
    ticket_id = Id(required=True)
    kind = fields.Str(load_default="related", validate=validate.OneOf(["related", "caused_by", "duplicate"]))


class LinkSchema(Schema):
    kind = fields.Str()
    ticket_id = fields.Int()
    reference = fields.Str()
    subject = fields.Str()
    status = fields.Str()
    created_at = fields.DateTime()


class BulkUpdateSchema(Schema):
    ticket_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500))
    changes = fields.Nested(
        lambda: BulkChangesSchema(), required=True, metadata={"description": "Applied to every ticket."}
    )

    @validates_schema
    def _changes_something(self, data, **_kwargs):
        if "changes" in data and not data["changes"]:
            raise ValidationError("Name at least one change.", "changes")


class BulkChangesSchema(Schema):
    priority = fields.Str(validate=_PRIORITIES)
    status = fields.Str(validate=_STATUSES)
    queue_id = Id(allow_none=True)
    assignee_id = Id(allow_none=True)
    add_tags = _TAGS
    remove_tags = _TAGS


# -- macros -----------------------------------------------------------------------------------------


class MacroSetSchema(Schema):
    status = fields.Str(validate=_STATUSES)
    priority = fields.Str(validate=_PRIORITIES)
    type = fields.Str(validate=_TYPES)
    queue_id = Id(allow_none=True)
    assignee_id = Id(allow_none=True)


class MacroReplySchema(Schema):
    body = fields.Str(required=True, validate=validate.Length(min=1, max=BODY_MAX))
    public = fields.Bool(load_default=True)


class MacroActionsSchema(Schema):
    set = fields.Nested(MacroSetSchema)
    add_tags = _TAGS
    remove_tags = _TAGS
    reply = fields.Nested(MacroReplySchema)


class MacroSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    description = fields.Str(load_default="", validate=validate.Length(max=2000))
    actions = fields.Nested(MacroActionsSchema, required=True)
    version = fields.Int(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class MacroUpdateSchema(Schema):
    version = version_field()
    name = fields.Str(validate=validate.Length(min=1, max=80))
    description = fields.Str(validate=validate.Length(max=2000))
    actions = fields.Nested(MacroActionsSchema)


class MacroApplySchema(Schema):
    macro_id = Id(required=True)
    version = version_field()
