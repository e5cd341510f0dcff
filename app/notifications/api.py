"""REST endpoints showing what a ticket told its customer (the outbox) and what the customer answered
(the satisfaction survey)."""

from __future__ import annotations

from app.accounts.access import Permission, requires
from app.errors import NotFound
from app.extensions import ApiBlueprint
from app.pagination import SelectPage
from app.tickets import notification_schemas as schemas
from app.tickets import services
from app.tickets.services import notifications, surveys

bp = ApiBlueprint(
    "ticket_notifications",
    __name__,
    url_prefix="/api/v1/tickets",
    description="A ticket's notifications (e-mails to the customer and supervisors) and its survey.",
)

blueprints = (bp,)


@bp.get("/<int:ticket_id>/notifications")
@requires(Permission.TICKETS_READ)
@bp.response(200, schemas.NotificationSchema(many=True))
@bp.paginate(SelectPage, page_size=50)
def list_notifications(ticket_id):
    """The ticket's outbox, newest first: what was (or is to be) sent to whom, and how delivery went."""
    services.get_ticket(ticket_id)
    return notifications.list_notifications(ticket_id)


@bp.get("/<int:ticket_id>/survey")
@requires(Permission.TICKETS_READ)
@bp.response(200, schemas.SurveySchema)
def get_survey(ticket_id):
    """The satisfaction survey sent when the ticket was solved: the answers once given, C = b / a, and
    the follow-up task a poor answer opened. 404 while the ticket has none."""
    services.get_ticket(ticket_id)
    survey = surveys.get_survey(ticket_id)
    if survey is None:
        raise NotFound(f"Ticket {ticket_id} has no survey yet.")
    return survey
