"""REST endpoint of the wallboard: the snapshot a wallboard loads before it listens to events."""

from __future__ import annotations

from app.accounts.access import Permission, current_agent, requires
from app.callcenter.wallboard import schemas, services
from app.extensions import ApiBlueprint

wallboard_bp = ApiBlueprint(
    "wallboard",
    __name__,
    url_prefix="/api/v1/callcenter/wallboard",
    description="The supervisors' live wallboard: every queue's figures and every agent's state.",
)

blueprints = (wallboard_bp,)


@wallboard_bp.get("")
@requires(Permission.WALLBOARD_VIEW)
@wallboard_bp.response(200, schemas.WallboardSchema)
def snapshot():
    """Every queue's figures now (waiting work, longest wait, agents by state, today's service level,
    abandonment and speed of answer, SLA at risk), every agent's state, and the desk's totals. Then
    listen on the `/wallboard` Socket.IO namespace for `wallboard.changed` events numbered after `seq`."""
    return services.wallboard_snapshot(viewer=current_agent())
