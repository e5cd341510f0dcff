"""REST endpoints of the call center: the break reason codes."""

from __future__ import annotations

from app import versions
from app.accounts.access import Permission, current_agent, requires
from app.callcenter import schemas, services
from app.extensions import ApiBlueprint
from app.pagination import SelectPage

break_reasons_bp = ApiBlueprint(
    "break_reasons",
    __name__,
    url_prefix="/api/v1/break-reasons",
    description="Break reason codes: why an agent is away from the queues (lunch, training, coaching).",
)

blueprints = (break_reasons_bp,)


@break_reasons_bp.get("")
@requires(Permission.DIRECTORY_READ)
@break_reasons_bp.response(200, schemas.BreakReasonSchema(many=True))
@break_reasons_bp.paginate(SelectPage)
def list_break_reasons():
    """The break reasons by name (what an agent picks when going on break)."""
    return services.list_break_reasons()


@break_reasons_bp.post("")
@requires(Permission.BREAK_REASONS_MANAGE)
@break_reasons_bp.arguments(schemas.BreakReasonCreateSchema)
@break_reasons_bp.response(201, schemas.BreakReasonSchema)
@break_reasons_bp.alt_response(409, description="The name is already in use.")
def create_break_reason(data):
    """Create a break reason (supervisors and admins)."""
    return services.create_break_reason(**data, actor=current_agent())


@break_reasons_bp.get("/<int:reason_id>")
@requires(Permission.DIRECTORY_READ)
@versions.response(break_reasons_bp, schemas.BreakReasonSchema)
def get_break_reason(reason_id):
    """A break reason; `ETag` carries its version."""
    return services.get_break_reason(reason_id)


@break_reasons_bp.patch("/<int:reason_id>")
@requires(Permission.BREAK_REASONS_MANAGE)
@break_reasons_bp.arguments(schemas.BreakReasonUpdateSchema)
@versions.response(break_reasons_bp, schemas.BreakReasonSchema)
@versions.changes_version(
    break_reasons_bp,
    schemas.BreakReasonSchema,
    what="the break reason",
    conflicts="the name is already in use",
)
def update_break_reason(data, reason_id):
    """Change the version of the break reason you read (If-Match header or `version`)."""
    version = versions.expected_version(data)
    return services.update_break_reason(reason_id, data, expected_version=version, actor=current_agent())


@break_reasons_bp.delete("/<int:reason_id>")
@requires(Permission.BREAK_REASONS_MANAGE)
@break_reasons_bp.response(204)
@versions.changes_version(break_reasons_bp, schemas.BreakReasonSchema, what="the break reason")
def delete_break_reason(reason_id):
    """Delete the version of the break reason you read (If-Match header): one changed since is kept."""
    version = versions.expected_version()
    services.delete_break_reason(reason_id, expected_version=version, actor=current_agent())
