"""How calls hear about the rooms below: the customer's timeline gets their calls, a merge moves their
calls and callbacks to the surviving customer, an export and an erasure cover their numbers, and a
case's tracking page offers a callback."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from app.callcenter.calls import services
from app.callcenter.routing.models import OfferOutcome
from app.callcenter.routing.signals import offer_details_requested, offer_ended
from app.customers.signals import (
    customer_erase_staged,
    customer_merge_staged,
    personal_data_requested,
    timeline_requested,
)
from app.portal.signals import tracking_sections_requested
from app.queue import enqueue_or_leave_to_sweep


def _calls_on_the_timeline(customer_id, *, before=None, limit=50, customer_ids=None, viewer=None, **_):
    return services.timeline_entries(customer_ids or [customer_id], before=before, limit=limit, viewer=viewer)


def _calls_follow_merged_customer(target, *, source_id, target_id, **_):
    services.follow_merged_customer(source_id, target_id)


def _calls_in_the_export(customer_id, *, customer_ids, **_):
    return services.personal_data(customer_ids)


def _erase_from_calls(customer_id, *, customer_ids, **_):
    services.erase_personal_data(customer_ids)


def _callback_on_the_tracking_page(ticket, *, token, **_):
    html = render_template(
        "calls/_tracking_callback.html", token=token, callbacks=services.waiting_callbacks_of_case(ticket.id)
    )
    return [Markup(html)]


def _take_accepted_work(offer, *, offer_id, outcome, **_):
    if outcome == OfferOutcome.ACCEPTED:
        # Lost with Redis out of reach, the call waits for the telephony system's own answer.
        enqueue_or_leave_to_sweep("app.callcenter.calls.jobs.take_offered_work", offer_id)


def _details_of_offered_calls(item, *, kind, subject_id, **_):
    return services.offer_details(kind, subject_id)


def connect() -> None:
    offer_ended.connect(_take_accepted_work)
    offer_details_requested.connect(_details_of_offered_calls)
    timeline_requested.connect(_calls_on_the_timeline)
    customer_merge_staged.connect(_calls_follow_merged_customer)
    personal_data_requested.connect(_calls_in_the_export)
    customer_erase_staged.connect(_erase_from_calls)
    tracking_sections_requested.connect(_callback_on_the_tracking_page)
