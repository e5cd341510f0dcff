"""How the outbox hears of changes in the rooms below: staged signals, answered inside the change's own
transaction, so a notice commits with its cause or not at all; the outbox's section of the agent's
ticket page; and the customers' mails in their export and erasure."""

from __future__ import annotations

from markupsafe import Markup

from app.accounts.signals import account_lockout_staged
from app.customers.signals import customer_erase_staged, personal_data_requested
from app.notifications import services
from app.notifications.pages import ticket_panel_html
from app.tickets.signals import (
    BELOW_SLA,
    Section,
    public_reply_staged,
    sla_breach_staged,
    ticket_open_staged,
    ticket_sections_requested,
)


def _confirm_receipt(ticket, *, customer, actor_kind=None, at=None, **_):
    services.ticket_opened(ticket, customer=customer, actor_kind=actor_kind, at=at)


def _pass_on_reply(ticket, *, comment, solved, actor_kind=None, at=None, **_):
    services.public_reply(ticket, comment, solved=solved, actor_kind=actor_kind, at=at)


def _tell_supervisors_of_breach(ticket, *, target, at, **_):
    services.sla_breached(ticket, target, at)


def _warn_owner_of_lockout(agent, *, locked_until, **_):
    services.sign_in_locked(agent, locked_until)


def _outbox_section(ticket, **_):
    return [Section(BELOW_SLA, 20, Markup(ticket_panel_html(ticket.id)))]


def _mails_in_the_export(customer_id, *, customer_ids, **_):
    return services.personal_data(customer_ids)


def _erase_from_outbox(customer_id, *, customer_ids, **_):
    services.erase_personal_data(customer_ids)


def connect() -> None:
    ticket_open_staged.connect(_confirm_receipt)
    public_reply_staged.connect(_pass_on_reply)
    sla_breach_staged.connect(_tell_supervisors_of_breach)
    ticket_sections_requested.connect(_outbox_section)
    account_lockout_staged.connect(_warn_owner_of_lockout)
    personal_data_requested.connect(_mails_in_the_export)
    customer_erase_staged.connect(_erase_from_outbox)
