"""Request and response shapes of the accounts API."""

from marshmallow import Schema, fields, validate

from app.accounts import passwords
from app.accounts.models import Role, SettingKind
from app.inputs import Id
from app.named_settings import Action
from app.pagination import QuerySchema
from app.versions import version_field

_ROLE = validate.OneOf([r.value for r in Role])
_LANGUAGE = validate.OneOf(["en", "zh"])
_PASSWORD = validate.Length(min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH)


class TeamRefSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)


class AgentSkillSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    level = fields.Int(load_default=3, validate=validate.Range(min=1, max=5))


class AgentSchema(Schema):
    id = fields.Int(dump_only=True)
    email = fields.Email(dump_only=True)
    name = fields.Str(dump_only=True)
    role = fields.Str(dump_only=True)
    active = fields.Bool(dump_only=True)
    language = fields.Str(dump_only=True)
    timezone = fields.Str(dump_only=True)
    teams = fields.List(fields.Nested(TeamRefSchema), dump_only=True)
    skills = fields.List(fields.Nested(AgentSkillSchema), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)


class AgentCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    password = fields.Str(required=True, load_only=True, validate=_PASSWORD)
    role = fields.Str(load_default=Role.AGENT.value, validate=_ROLE)
    language = fields.Str(load_default="en", validate=_LANGUAGE)
    timezone = fields.Str(load_default="UTC", validate=validate.Length(min=1, max=64))
    team_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50))
    skills = fields.List(fields.Nested(AgentSkillSchema), load_default=list, validate=validate.Length(max=50))


class AgentUpdateSchema(Schema):
    email = fields.Email(validate=validate.Length(max=254))
    name = fields.Str(validate=validate.Length(min=1, max=120))
    password = fields.Str(load_only=True, validate=_PASSWORD)
    role = fields.Str(validate=_ROLE)
    active = fields.Bool()
    language = fields.Str(validate=_LANGUAGE)
    timezone = fields.Str(validate=validate.Length(min=1, max=64))
    team_ids = fields.List(Id(), validate=validate.Length(max=50))
    skills = fields.List(fields.Nested(AgentSkillSchema), validate=validate.Length(max=50))


class AgentQuerySchema(QuerySchema):
    role = fields.Str(validate=_ROLE)
    team_id = Id()
    active = fields.Bool()


class PasswordChangeSchema(Schema):
    current_password = fields.Str(required=True, load_only=True, validate=validate.Length(max=256))
    new_password = fields.Str(required=True, load_only=True, validate=_PASSWORD)


class TeamSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    description = fields.Str(load_default="", validate=validate.Length(max=2000))
    member_ids = fields.List(Id(), load_default=list, load_only=True, validate=validate.Length(max=500))
    members = fields.List(fields.Nested(lambda: AgentRefSchema()), dump_only=True)
    version = fields.Int(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class TeamUpdateSchema(Schema):
    version = version_field()
    name = fields.Str(validate=validate.Length(min=1, max=80))
    description = fields.Str(validate=validate.Length(max=2000))
    member_ids = fields.List(Id(), validate=validate.Length(max=500))


class AgentRefSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    email = fields.Str(dump_only=True)
    role = fields.Str(dump_only=True)


class SkillSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    description = fields.Str(dump_only=True)


class TokenRequestSchema(Schema):
    email = fields.Str(required=True, validate=validate.Length(min=1, max=254))
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    name = fields.Str(load_default="", validate=validate.Length(max=80))
    expires_in_days = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=1, max=365))


class TokenSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True, allow_none=True)
    last_used_at = fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = fields.Str(dump_only=True, metadata={"description": "Shown once; send as `Bearer <token>`."})
    token_type = fields.Constant("Bearer", dump_only=True)
    agent = fields.Nested(AgentSchema, dump_only=True)


class SignInSessionSchema(Schema):
    """One open sign-in session of yours (the browser it was opened in, when it was last used)."""

    id = fields.Int(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_seen_at = fields.DateTime(
        dump_only=True, metadata={"description": "Noted at most every five minutes, not on every request."}
    )
    user_agent = fields.Str(dump_only=True, metadata={"description": "As the browser named itself."})
    remembered = fields.Bool(dump_only=True, metadata={"description": "Kept past the browser's closing."})


class SignedOutSchema(Schema):
    sessions_ended = fields.Int(dump_only=True)
    tokens_revoked = fields.Int(dump_only=True)


class SettingChangeQuerySchema(QuerySchema):
    kind = fields.Str(validate=validate.OneOf([k.value for k in SettingKind]))
    setting_id = Id()
    actor_id = Id()


class SettingChangeSchema(Schema):
    """One change of a named setting, as the settings trail recorded it."""

    id = fields.Int(dump_only=True)
    at = fields.DateTime(dump_only=True)
    actor_id = fields.Int(
        dump_only=True, allow_none=True, metadata={"description": "Null for the command line and demo data."}
    )
    actor = fields.Nested(AgentRefSchema, dump_only=True, allow_none=True)
    kind = fields.Str(dump_only=True, metadata={"enum": [k.value for k in SettingKind]})
    setting_id = fields.Int(
        dump_only=True, metadata={"description": "The id of the team, queue, ... changed."}
    )
    name = fields.Str(
        dump_only=True, metadata={"description": "Its name after the change (before, if deleted)."}
    )
    action = fields.Str(dump_only=True, metadata={"enum": [a.value for a in Action]})
    changes = fields.Dict(
        keys=fields.Str(),
        values=fields.List(fields.Raw(allow_none=True)),
        dump_only=True,
        metadata={
            "description": "Each field's `[old, new]` value: old is null for a creation, new for a deletion."
        },
    )
