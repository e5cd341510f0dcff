"""REST endpoints of ticket search and views: `GET /api/v1/tickets` and `/api/v1/views`.

Searching lives on its own blueprint under the tickets' prefix, beside the workflow's endpoints. Every
view here needs `Permission.TICKETS_READ`; saved views are the caller's own, and another agent's answer
404 like one that does not exist.
"""

from __future__ import annotations

from app.accounts.access import Permission, current_agent, requires
from app.extensions import ApiBlueprint, ErrorSchema
from app.pagination import SelectPage
from app.tickets.schemas import TicketSchema
from app.tickets.search import services
from app.tickets.search.schemas import SavedViewCreateSchema, SavedViewSchema, TicketQuerySchema

search_bp = ApiBlueprint(
    "ticket_search",
    __name__,
    url_prefix="/api/v1/tickets",
    description="Searching tickets: filters, full text over subject, description and comments, sorting.",
)
views_bp = ApiBlueprint(
    "ticket_views",
    __name__,
    url_prefix="/api/v1/views",
    description="Ticket views: the built-in ones (`my-open`, `unassigned-in-my-queues`, `breaching-soon`), "
    "computed for whoever asks, and each agent's own saved searches.",
)

blueprints = (search_bp, views_bp)

_NO_VIEW = "No such view among the built-in ones and yours."


@search_bp.get("")
@requires(Permission.TICKETS_READ)
@search_bp.arguments(TicketQuerySchema, location="query")
@search_bp.response(200, TicketSchema(many=True))
@search_bp.alt_response(422, schema=ErrorSchema, description="A filter is invalid (messages per field).")
@search_bp.paginate(SelectPage)
def search_tickets(filters):
    """Tickets matching every given filter, newest first. A list filter repeats its parameter
    (`status=open&status=pending`) and matches any of its values (tags: all of them). Date ranges are
    half-open: `created_from` included, `created_to` excluded."""
    return services.search_tickets(filters, actor=current_agent())


@views_bp.get("")
@requires(Permission.TICKETS_READ)
@views_bp.response(200, SavedViewSchema(many=True))
def list_views():
    """The built-in views, then your saved views by name."""
    return services.list_views(actor=current_agent())


@views_bp.post("")
@requires(Permission.TICKETS_READ)
@views_bp.arguments(SavedViewCreateSchema)
@views_bp.response(201, SavedViewSchema)
@views_bp.alt_response(409, schema=ErrorSchema, description="You already have a view of that name.")
@views_bp.alt_response(422, schema=ErrorSchema, description="A filter is invalid (messages per field).")
def create_view(data):
    """Save a search under a name. `filters` takes what `GET /api/v1/tickets` takes; `me` and `mine`
    stay words, so the view follows you."""
    return services.create_view(**data, actor=current_agent())


@views_bp.get("/<view_id>")
@requires(Permission.TICKETS_READ)
@views_bp.response(200, SavedViewSchema)
@views_bp.alt_response(404, schema=ErrorSchema, description=_NO_VIEW)
def get_view(view_id):
    return services.get_view(view_id, actor=current_agent())


@views_bp.delete("/<view_id>")
@requires(Permission.TICKETS_READ)
@views_bp.response(204)
@views_bp.alt_response(403, schema=ErrorSchema, description="Built-in views cannot be deleted.")
@views_bp.alt_response(404, schema=ErrorSchema, description=_NO_VIEW)
def delete_view(view_id):
    """Delete one of your saved views."""
    services.delete_view(view_id, actor=current_agent())


@views_bp.get("/<view_id>/tickets")
@requires(Permission.TICKETS_READ)
@views_bp.response(200, TicketSchema(many=True))
@views_bp.alt_response(404, schema=ErrorSchema, description=_NO_VIEW)
@views_bp.paginate(SelectPage)
def view_tickets(view_id):
    """The tickets a view shows you now, in the view's order."""
    return services.view_tickets(view_id, actor=current_agent())
