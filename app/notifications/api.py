"""REST endpoint showing what a ticket told its customer and supervisors (the outbox)."""

from __future__ import annotations

from app.accounts.access import Permission, current_agent, requires
from app.extensions import ApiBlueprint
from app.notifications import schemas, services
from app.pagination import SelectPage
from app.tickets import services as tickets

bp = ApiBlueprint(
    "ticket_notifications",
    __name__,
    url_prefix="/api/v1/tickets",
    description="A ticket's notifications (e-mails to the customer and supervisors).",
)

blueprints = (bp,)


@bp.get("/<int:ticket_id>/notifications")
@requires(Permission.TICKETS_READ)
@bp.response(200, schemas.NotificationSchema(many=True))
@bp.paginate(SelectPage, page_size=50)
def list_notifications(ticket_id):
    """The ticket's outbox, newest first: what was (or is to be) sent to whom, and how delivery went."""
    tickets.readable_ticket(ticket_id, viewer=current_agent())
    return services.list_notifications(ticket_id)
