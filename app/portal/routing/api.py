"""`/api/v1/web-form-routes`: which queue the web form's submissions land in (supervisors change it)."""

from __future__ import annotations

from app import versions
from app.accounts.access import Permission, current_agent, requires
from app.extensions import ApiBlueprint
from app.portal.routing import schemas, services

bp = ApiBlueprint(
    "web_form_routes",
    __name__,
    url_prefix="/api/v1/web-form-routes",
    description="Where web form submissions land: a queue per complaint category and for the support form.",
)


@bp.get("")
@requires(Permission.DIRECTORY_READ)
@versions.response(bp, schemas.WebFormRoutingSchema)
def get_routes():
    """The map: every form's queue and severity, and the default queue; `ETag` carries its version."""
    return services.get_routing()


@bp.put("")
@requires(Permission.QUEUES_MANAGE)
@bp.arguments(schemas.WebFormRoutingUpdateSchema)
@versions.response(bp, schemas.WebFormRoutingSchema)
@versions.changes_version(bp, schemas.WebFormRoutingSchema, what="the map")
def replace_routes(data):
    """Replace the map you read (If-Match header or `version`), recorded in the settings trail. A
    complaint's priority follows its severity: low → low, medium → normal, high → high, critical →
    urgent."""
    version = versions.expected_version(data)
    return services.replace_routing(**data, expected_version=version, actor=current_agent())
