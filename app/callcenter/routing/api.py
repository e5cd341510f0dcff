"""REST endpoints of routing: an agent's offers and their answers, and a queue's routing rules."""

from __future__ import annotations

from app.accounts.access import Permission, current_agent, requires
from app.callcenter.routing import schemas, services
from app.extensions import ApiBlueprint
from app.pagination import SelectPage

bp = ApiBlueprint(
    "routing",
    __name__,
    url_prefix="/api/v1/callcenter",
    description="Routing: the offers of waiting work to agents, their answers, and each queue's rules.",
)


@bp.get("/offers")
@requires(Permission.TICKETS_WRITE)
@bp.arguments(schemas.OfferQuerySchema, location="query")
@bp.response(200, schemas.OfferSchema(many=True))
@bp.paginate(SelectPage)
def list_offers(query):
    """Offers, newest first: an agent's own; a supervisor's choice of agent (`agent_id`), or everyone's."""
    return services.list_offers(viewer=current_agent(), **query)


@bp.post("/offers/<int:offer_id>/accept")
@requires(Permission.TICKETS_WRITE)
@bp.response(200, schemas.OfferSchema)
@bp.alt_response(409, description="The offer has ended or expired, or the ticket was taken by hand first.")
def accept_offer(offer_id):
    """Take the work you were offered, while the offer is pending (your own offers only)."""
    return services.accept_offer(offer_id, actor=current_agent())


@bp.post("/offers/<int:offer_id>/decline")
@requires(Permission.TICKETS_WRITE)
@bp.response(200, schemas.OfferSchema)
@bp.alt_response(409, description="The offer has ended.")
def decline_offer(offer_id):
    """Turn the offer down: the work goes to the next agent at once (your own offers only)."""
    return services.decline_offer(offer_id, actor=current_agent())


@bp.get("/queues/<int:queue_id>/routing")
@requires(Permission.QUEUES_MANAGE)
@bp.response(200, schemas.QueueRoutingSchema)
def get_queue_routing(queue_id):
    """How routing serves the queue (the desk's defaults until someone sets them)."""
    return services.get_queue_routing(queue_id)


@bp.put("/queues/<int:queue_id>/routing")
@requires(Permission.QUEUES_MANAGE)
@bp.arguments(schemas.QueueRoutingUpdateSchema)
@bp.response(200, schemas.QueueRoutingSchema)
def set_queue_routing(data, queue_id):
    """Change how routing serves the queue: claiming by hand, the offer timeout, overflow."""
    return services.set_queue_routing(queue_id, data, actor=current_agent())
