"""REST endpoints of agent presence: an agent's state now, setting it, and its history."""

from __future__ import annotations

from app.accounts.access import Permission, current_agent, requires, signed_in
from app.callcenter.presence import schemas, services
from app.extensions import ApiBlueprint
from app.pagination import SelectPage

bp = ApiBlueprint(
    "presence",
    __name__,
    url_prefix="/api/v1/callcenter/agents",
    description="Agent presence: available, busy, wrap-up, break (with a reason) or offline; its history.",
)

blueprints = (bp,)


@bp.get("/<int:agent_id>/presence")
@requires(Permission.DIRECTORY_READ)
@bp.response(200, schemas.PresenceSchema)
def get_presence(agent_id):
    """The agent's state now, since when, and since when they are idle."""
    return services.current_presence(agent_id)


@bp.put("/<int:agent_id>/presence")
@signed_in
@bp.arguments(schemas.PresenceSetSchema)
@bp.response(200, schemas.PresenceSchema)
@bp.alt_response(403, description="Another agent's presence, and you are no supervisor.")
@bp.alt_response(409, description="The agent is disabled: they can only be offline.")
def set_presence(data, agent_id):
    """Set the agent's state: your own, or anyone's as a supervisor or admin. A break names its break
    reason (`reason`: its id or name). Every change is recorded with its start and end."""
    return services.set_presence(agent_id, data["state"], reason=data["reason"], actor=current_agent())


@bp.get("/<int:agent_id>/presence/history")
@signed_in
@bp.arguments(schemas.PresenceHistoryQuerySchema, location="query")
@bp.response(200, schemas.PresencePeriodSchema(many=True))
@bp.alt_response(403, description="Another agent's history, and you are no supervisor.")
@bp.paginate(SelectPage)
def presence_history(query, agent_id):
    """The agent's states overlapping the window `from`..`to` (default: the last day), oldest first:
    your own, or anyone's as a supervisor or admin."""
    return services.presence_history(agent_id, query["start"], query["end"], viewer=current_agent())
