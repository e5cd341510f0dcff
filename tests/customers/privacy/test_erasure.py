"""Erasing a customer on request: every personal value goes, in every room, in one transaction; every
row and value KPIs count stays (KPI.md); the erasure is recorded without a value of the person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from app.customers.models import Customer, CustomerEvent
from app.customers.privacy import services as privacy
from app.customers.signals import customer_erase_staged
from app.errors import Conflict
from app.extensions import db
from app.tickets.attachments import services as attachments
from app.tickets.search.index import EXTERNAL_TABLES
from tests.customer_factories import CustomerFactory
from tests.customers.privacy.conftest import EMAIL, PERSONAL_VALUES

URL = "/api/v1/customers"

# The columns KPI.md's definitions are computed from, table by table.
KPI_INPUTS = {
    "tickets": (
        "id customer_id queue_id assignee_id type priority channel status created_at first_response_at "
        "solved_at closed_at reopen_count public_reply_count last_customer_message_at merged_into_id"
    ),
    "complaints": "ticket_id category severity desired_outcome stage acknowledged_at followed_up_at",
    "ticket_comments": "id ticket_id author_id customer_id public created_at",
    "ticket_events": "id ticket_id at actor_id actor_kind kind field",
    "ticket_sla_targets": "*",
    "ticket_pauses": "*",
    "surveys": "id ticket_id customer_id agent_id sent_at answered_at csat ces nps expected experienced",
    "web_submissions": "ticket_id expected_satisfaction created_at",
    "customers": "id created_at revenue_12m lifetime_revenue currency lifecycle_stage value_tier churn_risk",
    "notifications": "id kind ticket_id customer_id agent_id created_at",
}


def kpi_inputs() -> dict[str, list[tuple]]:
    snapshot = {}
    for table, columns in KPI_INPUTS.items():
        chosen = "*" if columns == "*" else ", ".join(columns.split())
        rows = db.session.execute(text(f"SELECT {chosen} FROM {table} ORDER BY 1")).all()
        snapshot[table] = [tuple(row) for row in rows]
    # Status changes are what reopen rates and resolution times are read from.
    snapshot["status_changes"] = [
        tuple(row)
        for row in db.session.execute(
            text("SELECT id, old_value, new_value FROM ticket_events WHERE field = 'status' ORDER BY id")
        )
    ]
    return snapshot


def every_stored_text() -> list[tuple[str, str]]:
    """(table, row as text) for every row of every table, the search index's own tables included."""
    tables = set(inspect(db.engine).get_table_names()) | {
        t for t in EXTERNAL_TABLES if t in inspect(db.engine).get_table_names()
    }
    found = []
    for table in sorted(tables):
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
            found.append((table, json.dumps([str(v) for v in row], ensure_ascii=False)))
    return found


def leftovers(values) -> list[tuple[str, str]]:
    return [
        (table, value)
        for table, row in every_stored_text()
        for value in values
        if value.lower() in row.lower()
    ]


def _events(customer_id: int, kind: str) -> list[CustomerEvent]:
    query = select(CustomerEvent).where(CustomerEvent.customer_id == customer_id, CustomerEvent.kind == kind)
    return list(db.session.scalars(query))


def test_erasure_leaves_no_personal_value_anywhere(story, as_supervisor):
    values = PERSONAL_VALUES + story.derived
    assert {value for _table, value in leftovers(values)} == set(values)  # the story wrote each one

    response = as_supervisor.post(f"{URL}/{story.customer_id}/erase", json={"confirm": True})

    assert response.status_code == 200, response.json
    db.session.expire_all()
    assert leftovers(values) == []


def test_erasure_blanks_the_mails_in_the_mail_log(story, app, supervisor):
    log = Path(app.config["MAIL_LOG"])
    written = log.read_text(encoding="utf-8")
    assert EMAIL in written and "Rosa" in written
    lines = len(written.splitlines())

    privacy.erase_customer(story.customer_id, actor=supervisor)

    left = log.read_text(encoding="utf-8")
    assert not [value for value in PERSONAL_VALUES if value.lower() in left.lower()]
    assert len(left.splitlines()) == lines


def test_erasure_keeps_every_kpi_input(story, supervisor):
    before = kpi_inputs()
    assert before["surveys"] and before["ticket_sla_targets"] and before["ticket_comments"]

    privacy.erase_customer(story.customer_id, actor=supervisor)

    db.session.expire_all()
    assert kpi_inputs() == before


def test_erasure_removes_the_files_and_their_downloads_answer_404(story, as_supervisor, as_agent):
    path = Path(attachments.attachments_dir()) / story.attachment.storage_name
    assert path.is_file()

    as_supervisor.post(f"{URL}/{story.customer_id}/erase", json={"confirm": True})

    assert not path.exists()
    download = as_agent.get(f"/api/v1/tickets/{story.ticket_id}/attachments/{story.attachment.id}")
    assert download.status_code == 404


def test_erasure_is_recorded_with_who_and_when_and_no_value(story, supervisor):
    privacy.erase_customer(story.customer_id, actor=supervisor)

    db.session.expire_all()
    [event] = _events(story.customer_id, "erased")
    assert event.actor_id == supervisor.id and event.occurred_at is not None
    assert event.data == {}
    customer = db.session.get(Customer, story.customer_id)
    assert privacy.erased_at(customer.id) == event.occurred_at
    assert customer.deleted_at is not None and customer.name == "Erased customer"


def test_the_history_keeps_what_changed_but_not_the_values(story, supervisor):
    privacy.erase_customer(story.customer_id, actor=supervisor)

    db.session.expire_all()
    [update] = _events(story.customer_id, "updated")
    assert update.data == {"notes": None}


def test_a_failing_room_leaves_nothing_erased(story, supervisor):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    customer_erase_staged.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            privacy.erase_customer(story.customer_id, actor=supervisor)
    finally:
        customer_erase_staged.disconnect(broken)

    db.session.expire_all()
    assert privacy.erased_at(story.customer_id) is None
    assert db.session.get(Customer, story.customer_id).deleted_at is None
    assert {value for _table, value in leftovers(PERSONAL_VALUES)} == set(PERSONAL_VALUES)
    assert (Path(attachments.attachments_dir()) / story.attachment.storage_name).is_file()


def test_erasing_twice_is_409(supervisor):
    customer = CustomerFactory()
    privacy.erase_customer(customer.id, actor=supervisor)

    with pytest.raises(Conflict):
        privacy.erase_customer(customer.id, actor=supervisor)


def test_erasure_covers_the_customers_merged_into_it(as_supervisor, supervisor):
    from app.customers import services as customers

    survivor = CustomerFactory(name="Kim Survivor")
    merged = CustomerFactory(name="Kim Oldname", emails=["kim.old@example.com"])
    customers.merge_customers(merged.id, survivor.id, actor=supervisor)

    as_supervisor.post(f"{URL}/{survivor.id}/erase", json={"confirm": True})

    db.session.expire_all()
    assert leftovers(["Kim Oldname", "kim.old@example.com", "Kim Survivor"]) == []


def test_the_api_demands_confirmation(as_supervisor):
    customer = CustomerFactory(name="Lee Unconfirmed")

    for body in ({}, {"confirm": False}):
        response = as_supervisor.post(f"{URL}/{customer.id}/erase", json=body)
        assert response.status_code == 422
        assert "confirm" in response.json["errors"]
    assert db.session.get(Customer, customer.id).name == "Lee Unconfirmed"


def test_agents_may_not_erase(as_agent):
    customer = CustomerFactory()

    assert as_agent.post(f"{URL}/{customer.id}/erase", json={"confirm": True}).status_code == 403


def test_a_deleted_customer_can_be_erased(as_supervisor, supervisor):
    from app.customers import services as customers

    customer = CustomerFactory(name="Gone Person")
    customers.delete_customer(customer.id, actor=supervisor)

    assert as_supervisor.post(f"{URL}/{customer.id}/erase", json={"confirm": True}).status_code == 200
    assert leftovers(["Gone Person"]) == []


def test_the_audit_trail_allows_only_blanking_values(story):
    from sqlalchemy.exc import DatabaseError

    db.session.execute(text("UPDATE ticket_events SET old_value = NULL, new_value = NULL"))
    db.session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("UPDATE ticket_events SET old_value = NULL, new_value = NULL, kind = 'x'"))
    db.session.rollback()


def test_erasure_blanks_the_persons_rows_in_stored_csv_imports(as_supervisor, supervisor):
    from app.customers.models import CustomerImport
    from tests.import_helpers import upload

    csv_file = (
        "name,email,phone,notes\n"
        "Noor Imported,noor@example.com,+1 201 555 0188,Likes tea\n"
        "Sam Other,sam@example.com,,\n"
    )
    record_id = upload(as_supervisor, f"{URL}/imports", csv_file.encode(), "people.csv").json["id"]
    [noor] = db.session.scalars(select(Customer).where(Customer.name == "Noor Imported")).all()

    privacy.erase_customer(noor.id, actor=supervisor)

    db.session.expire_all()
    assert leftovers(["Noor Imported", "noor@example.com", "555 0188", "Likes tea"]) == []
    assert "Sam Other,sam@example.com" in db.session.get(CustomerImport, record_id).content
