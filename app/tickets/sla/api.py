"""REST endpoints of the SLA setup: business-hours calendars and SLA policies.

Everyone signed in with directory access reads them; changing them takes `Permission.SLA_MANAGE`
(supervisors and admins). A ticket's own targets are shown with the ticket (`SlaTargetSchema`).
"""

from __future__ import annotations

from app import versions
from app.accounts.access import Permission, current_agent, requires
from app.extensions import ApiBlueprint, ErrorSchema
from app.pagination import SelectPage
from app.tickets.sla import schemas, services

calendars_bp = ApiBlueprint(
    "business_calendars",
    __name__,
    url_prefix="/api/v1/calendars",
    description="Business-hours calendars: weekly opening hours in a time zone, minus holidays. SLA policies "
    "with a calendar count business time only.",
)
policies_bp = ApiBlueprint(
    "sla_policies",
    __name__,
    url_prefix="/api/v1/sla-policies",
    description=(
        "SLA policies: first-response, next-response and resolution targets for tickets matching a queue, "
        "priority and/or type (empty = any). The most specific match applies (type, then queue, then "
        "priority; ties to the oldest policy). Without a match, built-in defaults count wall-clock time: "
        "urgent 1 h / 4 h / 1 day, high 4 h / 8 h / 2 days, normal 8 h / 24 h / 5 days, low 24 h / 48 h / "
        "10 days; complaints 2 h / 8 h / 5 days, or their priority's figures where faster."
    ),
)

blueprints = (calendars_bp, policies_bp)

_FORBIDDEN = "Only supervisors and admins change the SLA setup."
_INVALID_CALENDAR = "Invalid hours, holidays or time zone (messages per field)."
_INVALID_POLICY = "No target, a bound exceeded, or an unknown queue or calendar (messages per field)."


# -- calendars --------------------------------------------------------------------------------------


@calendars_bp.get("")
@requires(Permission.DIRECTORY_READ)
@calendars_bp.response(200, schemas.CalendarSchema(many=True))
@calendars_bp.paginate(SelectPage)
def list_calendars():
    """Calendars by name."""
    return services.list_calendars()


@calendars_bp.post("")
@requires(Permission.SLA_MANAGE)
@calendars_bp.arguments(schemas.CalendarCreateSchema)
@calendars_bp.response(201, schemas.CalendarSchema)
@calendars_bp.alt_response(409, schema=ErrorSchema, description="The name is already in use.")
@calendars_bp.alt_response(422, schema=ErrorSchema, description=_INVALID_CALENDAR)
@calendars_bp.alt_response(403, schema=ErrorSchema, description=_FORBIDDEN)
def create_calendar(data):
    """Create a calendar (supervisors and admins). Hours come back normalised: every weekday listed."""
    return services.create_calendar(**data, actor=current_agent())


@calendars_bp.get("/<int:calendar_id>")
@requires(Permission.DIRECTORY_READ)
@versions.response(calendars_bp, schemas.CalendarSchema)
@calendars_bp.alt_response(404, schema=ErrorSchema, description="No such calendar.")
def get_calendar(calendar_id):
    """A calendar; `ETag` carries its version."""
    return services.get_calendar(calendar_id)


@calendars_bp.patch("/<int:calendar_id>")
@requires(Permission.SLA_MANAGE)
@calendars_bp.arguments(schemas.CalendarUpdateSchema)
@versions.response(calendars_bp, schemas.CalendarSchema)
@calendars_bp.alt_response(404, schema=ErrorSchema, description="No such calendar.")
@versions.changes_version(
    calendars_bp, schemas.CalendarSchema, what="the calendar", conflicts="the name is already in use"
)
@calendars_bp.alt_response(422, schema=ErrorSchema, description=_INVALID_CALENDAR)
@calendars_bp.alt_response(403, schema=ErrorSchema, description=_FORBIDDEN)
def update_calendar(data, calendar_id):
    """Change the given fields of the version you read (If-Match header or `version`); running SLA
    targets of policies using the calendar are re-timed."""
    version = versions.expected_version(data)
    return services.update_calendar(calendar_id, data, expected_version=version, actor=current_agent())


@calendars_bp.delete("/<int:calendar_id>")
@requires(Permission.SLA_MANAGE)
@calendars_bp.response(204)
@calendars_bp.alt_response(404, schema=ErrorSchema, description="No such calendar.")
@versions.changes_version(
    calendars_bp,
    schemas.CalendarSchema,
    what="the calendar",
    conflicts="SLA policies use the calendar (named in the message)",
)
@calendars_bp.alt_response(403, schema=ErrorSchema, description=_FORBIDDEN)
def delete_calendar(calendar_id):
    """Delete the version of the calendar you read (If-Match header), if no policy uses it."""
    version = versions.expected_version()
    services.delete_calendar(calendar_id, expected_version=version, actor=current_agent())


# -- policies ---------------------------------------------------------------------------------------


@policies_bp.get("")
@requires(Permission.DIRECTORY_READ)
@policies_bp.response(200, schemas.SlaPolicySchema(many=True))
@policies_bp.paginate(SelectPage)
def list_policies():
    """Policies by name."""
    return services.list_policies()


@policies_bp.post("")
@requires(Permission.SLA_MANAGE)
@policies_bp.arguments(schemas.SlaPolicyCreateSchema)
@policies_bp.response(201, schemas.SlaPolicySchema)
@policies_bp.alt_response(
    409, schema=ErrorSchema, description="The name is in use, or another policy has the same criteria."
)
@policies_bp.alt_response(422, schema=ErrorSchema, description=_INVALID_POLICY)
@policies_bp.alt_response(403, schema=ErrorSchema, description=_FORBIDDEN)
def create_policy(data):
    """Create a policy (supervisors and admins); targets are in seconds, at most 365 days. It applies to
    tickets whose clocks start, or whose queue, priority or type change, from now on."""
    return services.create_policy(**data, actor=current_agent())


@policies_bp.get("/<int:policy_id>")
@requires(Permission.DIRECTORY_READ)
@versions.response(policies_bp, schemas.SlaPolicySchema)
@policies_bp.alt_response(404, schema=ErrorSchema, description="No such policy.")
def get_policy(policy_id):
    """A policy; `ETag` carries its version."""
    return services.get_policy(policy_id)


@policies_bp.patch("/<int:policy_id>")
@requires(Permission.SLA_MANAGE)
@policies_bp.arguments(schemas.SlaPolicyUpdateSchema)
@versions.response(policies_bp, schemas.SlaPolicySchema)
@policies_bp.alt_response(404, schema=ErrorSchema, description="No such policy.")
@versions.changes_version(
    policies_bp,
    schemas.SlaPolicySchema,
    what="the policy",
    conflicts="the name is in use, or another policy has the same criteria",
)
@policies_bp.alt_response(422, schema=ErrorSchema, description=_INVALID_POLICY)
@policies_bp.alt_response(403, schema=ErrorSchema, description=_FORBIDDEN)
def update_policy(data, policy_id):
    """Change the given fields of the version you read (If-Match header or `version`); the policy's
    running targets take the new targets and hours."""
    version = versions.expected_version(data)
    return services.update_policy(policy_id, data, expected_version=version, actor=current_agent())


@policies_bp.delete("/<int:policy_id>")
@requires(Permission.SLA_MANAGE)
@policies_bp.response(204)
@policies_bp.alt_response(404, schema=ErrorSchema, description="No such policy.")
@versions.changes_version(policies_bp, schemas.SlaPolicySchema, what="the policy")
@policies_bp.alt_response(403, schema=ErrorSchema, description=_FORBIDDEN)
def delete_policy(policy_id):
    """Delete the version of the policy you read (If-Match header); its tickets' running targets move to
    the next matching policy or a default."""
    version = versions.expected_version()
    services.delete_policy(policy_id, expected_version=version, actor=current_agent())
