"""REST endpoints of the accounts room: sign-in tokens, agents, teams, skills, the settings trail."""

from __future__ import annotations

from app import versions
from app.accounts import schemas, services
from app.accounts.access import Permission, current_agent, public, requires, signed_in
from app.accounts.views import login_rate_limit
from app.extensions import ApiBlueprint, limiter
from app.pagination import SelectPage

auth_bp = ApiBlueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in tokens.")
agents_bp = ApiBlueprint("agents", __name__, url_prefix="/api/v1/agents", description="People who sign in.")
teams_bp = ApiBlueprint("teams", __name__, url_prefix="/api/v1/teams", description="Teams of agents.")
skills_bp = ApiBlueprint("skills", __name__, url_prefix="/api/v1/skills", description="Routing skills.")
settings_changes_bp = ApiBlueprint(
    "settings_changes",
    __name__,
    url_prefix="/api/v1/settings-changes",
    description="The settings trail: who created, changed or deleted a team, queue, macro, business-hours "
    "calendar, SLA policy, custom field or break reason, when, and each field's old and new value (admins).",
)

blueprints = (auth_bp, agents_bp, teams_bp, skills_bp, settings_changes_bp)


LOCKED_OUT = {
    "description": "Too many failed sign-ins with this e-mail address (on the login page and here "
    "together, whether or not an account has it): refused, the right password too, until the lockout ends.",
    "headers": {
        "Retry-After": {"description": "Seconds until the lockout ends.", "schema": {"type": "integer"}}
    },
}


@auth_bp.post("/token")
@public
@limiter.limit(login_rate_limit, methods=["POST"])
@auth_bp.arguments(schemas.TokenRequestSchema)
@auth_bp.response(201, schemas.IssuedTokenSchema)
@auth_bp.alt_response(401, description="Wrong e-mail or password, or a disabled account.")
@auth_bp.alt_response(429, **LOCKED_OUT)
def issue_token(data):
    """Trade an e-mail and password for a bearer token (shown once).

    Failures count per e-mail address; `SIGN_IN_LOCKOUT_ATTEMPTS` of them within
    `SIGN_IN_LOCKOUT_WINDOW_SECONDS` lock the address for `SIGN_IN_LOCKOUT_SECONDS` (429)."""
    token, raw = services.issue_token(**data)
    token.token = raw
    return token


@auth_bp.get("/tokens")
@signed_in
@auth_bp.response(200, schemas.TokenSchema(many=True))
@auth_bp.paginate(SelectPage)
def list_tokens():
    """Your tokens, newest first (the secrets themselves are never shown again)."""
    return services.list_tokens(actor=current_agent())


@auth_bp.delete("/tokens/<int:token_id>")
@signed_in
@auth_bp.response(200, schemas.TokenSchema)
def revoke_token(token_id):
    """Revoke a token: it stops working at once. Admins may revoke anyone's."""
    return services.revoke_token(token_id, actor=current_agent())


@auth_bp.get("/sessions")
@signed_in
@auth_bp.response(200, schemas.SignInSessionSchema(many=True))
@auth_bp.paginate(SelectPage)
def list_sessions():
    """Your open sign-in sessions (browsers signed in through the login page), most recently used first."""
    return services.list_sign_in_sessions(actor=current_agent())


@auth_bp.post("/sign-out-everywhere")
@signed_in
@auth_bp.response(200, schemas.SignedOutSchema)
def sign_out_everywhere():
    """End every sign-in session of yours, in every browser, and revoke every API token of yours (this
    request's too). Say so when a password or a device may have fallen into other hands."""
    return services.sign_out_everywhere(actor=current_agent())


@auth_bp.get("/me")
@signed_in
@auth_bp.response(200, schemas.AgentSchema)
def me():
    """The person behind this token or session."""
    return current_agent()


@auth_bp.post("/me/password")
@signed_in
@auth_bp.arguments(schemas.PasswordChangeSchema)
@auth_bp.response(204)
def change_password(data):
    """Change your password; every session and token of yours ends."""
    services.change_own_password(current_agent().id, **data)


@agents_bp.get("")
@requires(Permission.DIRECTORY_READ)
@agents_bp.arguments(schemas.AgentQuerySchema, location="query")
@agents_bp.response(200, schemas.AgentSchema(many=True))
@agents_bp.paginate(SelectPage)
def list_agents(query):
    """Agents, supervisors and admins, by name."""
    return services.list_agents(**query)


@agents_bp.post("")
@requires(Permission.AGENTS_MANAGE)
@agents_bp.arguments(schemas.AgentCreateSchema)
@agents_bp.response(201, schemas.AgentSchema)
@agents_bp.alt_response(409, description="The e-mail is already in use.")
def create_agent(data):
    """Create an account (admins)."""
    return services.create_agent(**data)


@agents_bp.get("/<int:agent_id>")
@requires(Permission.DIRECTORY_READ)
@agents_bp.response(200, schemas.AgentSchema)
def get_agent(agent_id):
    return services.get_agent(agent_id)


@agents_bp.patch("/<int:agent_id>")
@requires(Permission.AGENTS_MANAGE)
@agents_bp.arguments(schemas.AgentUpdateSchema)
@agents_bp.response(200, schemas.AgentSchema)
@agents_bp.alt_response(409, description="E-mail in use, or an admin changing their own role or access.")
def update_agent(data, agent_id):
    """Change an account (admins). `active: false` ends its sessions and tokens at once."""
    return services.update_agent(agent_id, data, actor=current_agent())


@teams_bp.get("")
@requires(Permission.DIRECTORY_READ)
@teams_bp.response(200, schemas.TeamSchema(many=True))
@teams_bp.paginate(SelectPage)
def list_teams():
    return services.list_teams()


@teams_bp.post("")
@requires(Permission.TEAMS_MANAGE)
@teams_bp.arguments(schemas.TeamSchema)
@teams_bp.response(201, schemas.TeamSchema)
@teams_bp.alt_response(409, description="The name is already in use.")
def create_team(data):
    """Create a team (supervisors and admins)."""
    return services.create_team(**data, actor=current_agent())


@teams_bp.get("/<int:team_id>")
@requires(Permission.DIRECTORY_READ)
@versions.response(teams_bp, schemas.TeamSchema)
def get_team(team_id):
    """A team; `ETag` carries its version."""
    return services.get_team(team_id)


@teams_bp.patch("/<int:team_id>")
@requires(Permission.TEAMS_MANAGE)
@teams_bp.arguments(schemas.TeamUpdateSchema)
@versions.response(teams_bp, schemas.TeamSchema)
@versions.changes_version(
    teams_bp, schemas.TeamSchema, what="the team", conflicts="the name is already in use"
)
def update_team(data, team_id):
    """Change the version of the team you read (If-Match header or `version`)."""
    version = versions.expected_version(data)
    return services.update_team(team_id, data, expected_version=version, actor=current_agent())


@teams_bp.delete("/<int:team_id>")
@requires(Permission.TEAMS_MANAGE)
@teams_bp.response(204)
@versions.changes_version(teams_bp, schemas.TeamSchema, what="the team")
def delete_team(team_id):
    """Delete the version of the team you read (If-Match header): a team changed since is kept."""
    version = versions.expected_version()
    services.delete_team(team_id, expected_version=version, actor=current_agent())


@skills_bp.get("")
@requires(Permission.DIRECTORY_READ)
@skills_bp.response(200, schemas.SkillSchema(many=True))
@skills_bp.paginate(SelectPage)
def list_skills():
    return services.list_skills()


@settings_changes_bp.get("")
@requires(Permission.SETTINGS_CHANGES_READ)
@settings_changes_bp.arguments(schemas.SettingChangeQuerySchema, location="query")
@settings_changes_bp.response(200, schemas.SettingChangeSchema(many=True))
@settings_changes_bp.paginate(SelectPage)
def list_setting_changes(query):
    """Changes of named settings, newest first; filter by `kind`, `setting_id` and `actor_id` (admins)."""
    return services.list_setting_changes(**query)
