"""The data subject's export: one JSON file with everything held about the person, from every room,
for supervisors and admins only; each export is recorded (who, when)."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.customers import services as customers
from app.customers.models import CustomerEvent
from app.extensions import db
from tests.customer_factories import CustomerFactory
from tests.customers.privacy.conftest import (
    ADDRESS,
    EMAIL,
    FILE_NAME,
    NAME,
    NOTE,
    NOTES,
    ORDER,
    PASSPORT,
    PHONE,
    ROOT_CAUSE,
    SUBJECT,
    SURVEY_COMMENT,
    TAG,
)

URL = "/api/v1/customers"


def _export(client, customer_id):
    response = client.post(f"{URL}/{customer_id}/export")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, json.loads(response.get_data(as_text=True))


def test_the_export_is_a_json_file_to_download(story, as_supervisor):
    response, document = _export(as_supervisor, story.customer_id)

    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"customer-{story.customer_id}-" in disposition
    # Personal data stays out of every cache on the way.
    assert response.headers["Cache-Control"] == "no-store"
    assert document["format"] == "switchboard.customer-export/1"


def test_the_export_holds_the_profile(story, as_supervisor):
    _response, document = _export(as_supervisor, story.customer_id)

    profile = document["customer"]
    assert profile["name"] == NAME and profile["notes"] == NOTES
    contacts = {(p["kind"], p["value"]) for p in profile["contact_points"]}
    assert contacts == {("email", EMAIL), ("phone", PHONE)}
    assert profile["organization"]["name"] == "Quintero Imports"
    assert profile["tags"] == [TAG]
    assert profile["custom_fields"] == [{"key": "passport", "label": "Passport", "value": PASSPORT}]
    assert [e["kind"] for e in document["profile_history"]][:2] == ["created", "updated"]


def test_the_export_holds_every_message_internal_notes_included(story, as_supervisor):
    _response, document = _export(as_supervisor, story.customer_id)

    [ticket] = document["tickets"]
    assert ticket["subject"] == SUBJECT
    assert ADDRESS in ticket["description"]
    assert ticket["complaint"]["root_cause"] == ROOT_CAUSE
    authors = [(m["author"], m["public"]) for m in ticket["messages"]]
    assert ("customer", True) in authors and ("agent", False) in authors
    assert any(NOTE in m["body"] for m in ticket["messages"] if not m["public"])
    assert [a["filename"] for a in ticket["attachments"]] == [f"{FILE_NAME}.png"]


def test_the_export_holds_the_other_rooms_sections(story, as_supervisor):
    _response, document = _export(as_supervisor, story.customer_id)

    [submission] = document["web_submissions"]
    assert submission["order_number"] == ORDER and submission["expected_satisfaction"] == 4
    [survey] = document["surveys"]
    assert survey["csat"] == 5 and survey["comment"] == SURVEY_COMMENT
    assert {mail["to"] for mail in document["mails"]} == {EMAIL}
    assert {mail["kind"] for mail in document["mails"]} >= {"ticket_received", "public_reply"}


def test_each_export_is_recorded_with_who_and_when(story, as_supervisor, supervisor):
    _export(as_supervisor, story.customer_id)

    db.session.expire_all()
    [event] = db.session.scalars(
        select(CustomerEvent).where(
            CustomerEvent.customer_id == story.customer_id, CustomerEvent.kind == "exported"
        )
    ).all()
    assert event.actor_id == supervisor.id and event.data == {}


def test_agents_may_not_export(as_agent):
    customer = CustomerFactory()

    assert as_agent.post(f"{URL}/{customer.id}/export").status_code == 403


def test_deleted_and_erased_customers_can_be_exported(as_admin, admin):
    customer = CustomerFactory(name="Pat Deleted", emails=["pat@example.com"])
    customers.delete_customer(customer.id, actor=admin)

    _response, document = _export(as_admin, customer.id)
    assert document["customer"]["name"] == "Pat Deleted"

    as_admin.post(f"{URL}/{customer.id}/erase", json={"confirm": True})
    _response, document = _export(as_admin, customer.id)
    assert document["customer"]["erased_at"] and document["customer"]["contact_points"] == []


def test_a_merged_customer_is_exported_with_its_survivor(as_supervisor, supervisor):
    survivor = CustomerFactory(name="Kim Survivor")
    merged = CustomerFactory(name="Kim Oldname")
    customers.merge_customers(merged.id, survivor.id, actor=supervisor)

    response = as_supervisor.post(f"{URL}/{merged.id}/export")
    assert response.status_code == 404
    assert response.json["errors"]["merged_into_id"] == survivor.id
    _response, document = _export(as_supervisor, survivor.id)
    assert [c["name"] for c in document["merged_customers"]] == ["Kim Oldname"]
