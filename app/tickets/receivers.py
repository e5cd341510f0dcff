"""How the tickets room hears about customers (signals of the lower `customers` room)."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup
from sqlalchemy import func, select

from app.accounts.access import Permission, has_permission
from app.accounts.signals import setting_names_requested
from app.customers.signals import (
    customer_erase_staged,
    customer_merge_staged,
    personal_data_requested,
    profile_sections_requested,
    timeline_requested,
)
from app.extensions import db
from app.tickets import services
from app.tickets.search import services as search
from app.tickets.services import privacy

# Tickets listed on a customer's profile; the rest are a link to the ticket list away.
PROFILE_TICKETS = 10


def _tickets_on_the_timeline(customer_id, *, before=None, limit=50, customer_ids=None, viewer=None, **_):
    # A read-only query answering the customers room's request: the one kind of receiver that returns
    # data instead of emitting or enqueueing.
    return services.timeline_entries(customer_ids or [customer_id], before=before, limit=limit, viewer=viewer)


def _tickets_follow_merged_customer(target, *, source_id, target_id, **_):
    # In the merge's transaction: a job would be lost with Redis down, leaving tickets on a customer
    # who is gone.
    services.follow_merged_customer(source_id, target_id)


def _tickets_in_the_export(customer_id, *, customer_ids, **_):
    return privacy.personal_data(customer_ids)


def _erase_from_tickets(customer_id, *, customer_ids, **_):
    privacy.erase_personal_data(customer_ids)


def _names_of_settings(_sender, *, values, **_):
    """The names of the queues, calendars and words the settings trail records, for its page."""
    return services.setting_names(values)


def _tickets_on_the_profile(customer, *, viewer, **_):
    # The customer's tickets through the ticket search, so the profile shows what the viewer may see.
    if not has_permission(viewer, Permission.TICKETS_READ):
        return None
    query = search.customer_tickets(customer.id, actor=viewer)
    tickets = db.session.scalars(query.limit(PROFILE_TICKETS)).unique().all()
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    html = render_template("tickets/_customer_tickets.html", customer=customer, tickets=tickets, total=total)
    return [Markup(html)]


def connect() -> None:
    setting_names_requested.connect(_names_of_settings)
    timeline_requested.connect(_tickets_on_the_timeline)
    profile_sections_requested.connect(_tickets_on_the_profile)
    customer_merge_staged.connect(_tickets_follow_merged_customer)
    personal_data_requested.connect(_tickets_in_the_export)
    customer_erase_staged.connect(_erase_from_tickets)
