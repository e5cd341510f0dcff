"""How the customers' side hears of the rooms below it: a solved ticket gets its survey (staged, in
the solving transaction), mails get the links to the customers' pages (minted at delivery), the
customer's timeline gets survey answers, the agent's ticket page gets the web form's answers and
the survey, and a customer's export and erasure cover the form's answers, the links and the surveys."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup
from sqlalchemy import select

from app.customers.signals import customer_erase_staged, personal_data_requested, timeline_requested
from app.extensions import db
from app.notifications.signals import mail_recipient_requested, mail_values_requested
from app.portal import links
from app.portal import services as portal
from app.portal.surveys import services as surveys
from app.tickets.models import Ticket
from app.tickets.signals import (
    ABOVE_DESCRIPTION,
    BELOW_SLA,
    Section,
    ticket_sections_requested,
    ticket_solve_staged,
)


def _survey_for_solved_ticket(ticket, *, actor_kind=None, at=None, **_):
    surveys.on_solved(ticket, actor_kind=actor_kind, at=at)


def _links_in_mail(row, *, ticket=None, agent=None, **_):
    values = {}
    if ticket is not None and agent is None:
        values["tracking_url"] = links.tracking_url(links.issue_tracking_token(ticket.id))
    if row.kind == "ticket_solved" and ticket is not None:
        values["survey_url"] = links.survey_link(ticket.id)
    if row.kind == "tracking_links":
        cases = db.session.scalars(
            select(Ticket)
            .where(Ticket.id.in_((row.context or {}).get("ticket_ids") or []))
            .order_by(Ticket.id)
        )
        values["cases"] = [
            {"ticket": case, "url": links.tracking_url(links.issue_tracking_token(case.id))} for case in cases
        ]
    return values


def _lost_links_recipient(row, **_):
    if row.kind == "tracking_links":
        return portal.tracking_links_recipient(row.recipient)
    return None


def _surveys_on_the_timeline(customer_id, *, before=None, limit=50, customer_ids=None, viewer=None, **_):
    return surveys.timeline_entries(customer_ids or [customer_id], before=before, limit=limit, viewer=viewer)


def _sections_of_ticket_page(ticket, **_):
    sections = []
    if (submission := portal.get_web_submission(ticket.id)) is not None:
        html = render_template("portal/_ticket_panel.html", web_submission=submission)
        sections.append(Section(ABOVE_DESCRIPTION, 10, Markup(html)))
    if (survey := surveys.get_survey(ticket.id)) is not None:
        reasons = "; ".join(str(reason) for reason in surveys.follow_up_reasons(survey))
        html = render_template("surveys/_ticket_panel.html", survey=survey, reasons=reasons)
        sections.append(Section(BELOW_SLA, 10, Markup(html)))
    return sections


def _portal_in_the_export(customer_id, *, customer_ids, **_):
    return {**portal.personal_data(customer_ids), **surveys.personal_data(customer_ids)}


def _erase_from_portal(customer_id, *, customer_ids, **_):
    portal.erase_personal_data(customer_ids)
    surveys.erase_personal_data(customer_ids)


def connect() -> None:
    ticket_solve_staged.connect(_survey_for_solved_ticket)
    mail_values_requested.connect(_links_in_mail)
    mail_recipient_requested.connect(_lost_links_recipient)
    timeline_requested.connect(_surveys_on_the_timeline)
    ticket_sections_requested.connect(_sections_of_ticket_page)
    personal_data_requested.connect(_portal_in_the_export)
    customer_erase_staged.connect(_erase_from_portal)
