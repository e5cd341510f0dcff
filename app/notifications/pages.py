"""Admins' page of the mail log: what an install that sends no real e-mail would have sent; and the
ticket page's outbox card on its own, which the page fetches again while a mail is still pending."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from app.accounts.access import Permission, current_agent, requires
from app.extensions import db
from app.notifications import mail, services
from app.sanitize import linked_text
from app.tickets import services as tickets

bp = Blueprint("notifications_pages", __name__, template_folder="templates")

MAILS_SHOWN = 50


@bp.get("/admin/mail")
@requires(Permission.MAIL_LOG_READ)
def mail_log():
    return render_template(
        "notifications/mail_log.html",
        mails=mail.latest_logged(MAILS_SHOWN),
        smtp=bool(current_app.config.get("MAIL_SERVER")),
        linked_text=linked_text,
    )


@bp.get("/tickets/<int:ticket_id>/notifications")
@requires(Permission.TICKETS_READ)
def ticket_panel(ticket_id):
    """The ticket's outbox card, as the ticket page shows it (an HTML fragment, no layout)."""
    tickets.readable_ticket(ticket_id, viewer=current_agent())
    return ticket_panel_html(ticket_id)


def ticket_panel_html(ticket_id: int) -> str:
    """The outbox card of a ticket: every mail it caused, newest first, and how delivery went."""
    rows = db.session.scalars(services.list_notifications(ticket_id)).all()
    return render_template("notifications/_ticket_panel.html", notifications=rows, ticket_id=ticket_id)
