"""REST endpoint showing what a customer answered the satisfaction survey of a ticket."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.accounts.access import Permission, current_agent, requires
from app.errors import NotFound
from app.extensions import ApiBlueprint
from app.portal.surveys import schemas, services
from app.tickets import services as tickets

bp = ApiBlueprint(
    "ticket_surveys",
    __name__,
    url_prefix="/api/v1/tickets",
    description="A ticket's satisfaction survey and the follow-up a poor answer opened.",
)

blueprints = (bp,)


@bp.get("/<int:ticket_id>/survey")
@requires(Permission.TICKETS_READ)
@bp.response(200, schemas.SurveySchema)
def get_survey(ticket_id):
    """The satisfaction survey sent when the ticket was solved: the answers once given, C = b / a, and
    the follow-up task a poor answer opened. 404 while the ticket has none."""
    tickets.readable_ticket(ticket_id, viewer=current_agent())
    survey = services.get_survey(ticket_id)
    if survey is None:
        raise NotFound(_l("Ticket %(ticket_id)s has no survey yet.", ticket_id=ticket_id))
    return survey
