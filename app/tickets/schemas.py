"""Request and response shapes of the tickets API."""

from marshmallow import Schema, fields, validate

_NAME = validate.Length(min=1, max=80)
_DESCRIPTION = validate.Length(max=2000)
_SKILLS = validate.Length(max=30)
_SKILL = validate.Length(min=1, max=60)


class QueueSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    description = fields.Str()
    team_id = fields.Int(allow_none=True)
    skills = fields.Method("_skill_names", metadata={"description": "Skills an agent needs for this queue."})
    created_at = fields.DateTime()

    def _skill_names(self, queue) -> list[str]:
        return [skill.name for skill in queue.skills]


class QueueCreateSchema(Schema):
    name = fields.Str(required=True, validate=_NAME)
    description = fields.Str(load_default="", validate=_DESCRIPTION)
    team_id = fields.Int(load_default=None, allow_none=True)
    skills = fields.List(fields.Str(validate=_SKILL), load_default=list, validate=_SKILLS)


class QueueUpdateSchema(Schema):
    name = fields.Str(validate=_NAME)
    description = fields.Str(validate=_DESCRIPTION)
    team_id = fields.Int(allow_none=True)
    skills = fields.List(fields.Str(validate=_SKILL), validate=_SKILLS)
