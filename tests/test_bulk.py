"""Writing a session's new objects without the flush: the rows the flush would write, or the flush itself.

On PostgreSQL `copy_new_objects` writes new objects with one COPY per table, and `insert_new_objects`
with one pipelined INSERT per table: every column as the flush writes it (defaults, foreign keys from
relationships, the version counter, JSON null versus NULL), leaving them persistent as a flush would;
a row the database refuses fails the whole write. Elsewhere, and for whatever they do not handle, they
write nothing and a `CopySession` flushes the usual way. (tests/test_fast_writes.py compares whole use
cases written both ways.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DataError, IntegrityError

from app.bulk import CopySession, copy_new_objects, insert_new_objects
from app.customers.models import Customer, CustomerEvent
from app.dbtypes import UTCDateTime
from app.extensions import db
from app.tickets.models import Comment, Complaint, Ticket, TicketEvent, TicketTag
from app.tickets.sla.models import SlaTarget, TicketPause
from tests.factories import AgentFactory
from tests.helpers import statements_seen

AT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
# Rows of these tables hang off a ticket; customer events off a customer.
TICKET_TABLES = [
    "ticket_tags",
    "complaints",
    "ticket_sla_targets",
    "ticket_pauses",
    "ticket_comments",
    "ticket_events",
]
TIMES = {c.name for t in db.metadata.tables.values() for c in t.columns if isinstance(c.type, UTCDateTime)}
postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
either_writer = pytest.mark.parametrize(
    "write", [copy_new_objects, insert_new_objects], ids=["copy", "insert"]
)


def _stage(reference: str, agent, *, subject: str = "Printer on fire", tags=("a", "b")) -> Ticket:
    """A ticket with one of everything, as the ticket services build them: some columns set, some left to
    their defaults, foreign keys given by relationships (either side) or by id."""
    customer = Customer(name="Customer", custom_fields={})
    db.session.add(customer)
    db.session.flush()
    ticket = Ticket(
        reference=reference,
        subject=subject,
        customer=customer,
        assignee_id=agent.id,
        status="open",
        created_at=AT,
        last_customer_message_at=None,
        tag_rows=[TicketTag(tag=tag) for tag in tags],
        complaint=Complaint(category="billing", desired_outcome=None),
        sla_targets=[SlaTarget(kind="first_response", target_seconds=600, started_at=AT, due_at=AT)],
        pauses=[TicketPause(started_at=AT)],
    )
    db.session.add(ticket)
    db.session.add(Comment(ticket=ticket, author_id=agent.id, body="<p>Hi</p>", created_at=AT, mentions=[]))
    db.session.add(Comment(ticket=ticket, customer_id=customer.id, public=False, body="<p>Thanks</p>"))
    db.session.add(SlaTarget(ticket=ticket, kind="resolution", target_seconds=3600, started_at=AT))
    db.session.add(
        TicketEvent(ticket=ticket, kind="created", actor_id=agent.id, old_value=None, new_value="x")
    )
    db.session.add(TicketEvent(ticket=ticket, kind="note", at=AT))  # old and new values never set
    db.session.add(CustomerEvent(customer_id=customer.id, kind="created", actor_id=agent.id))
    db.session.add(CustomerEvent(customer_id=customer.id, kind="updated", data={"name": ["A", "B"]}))
    return ticket


def _written(ticket: Ticket, since: datetime) -> dict[str, list]:
    """Every column of every row written for a ticket and its customer, as text (JSON null is 'null', NULL
    is None), with their own ids left out, the ticket's and customer's named, and defaults' times 'now'."""
    names = {
        ("ticket_id", str(ticket.id)): "<ticket>",
        ("customer_id", str(ticket.customer_id)): "<customer>",
    }

    def rows(table: str, where: str, value: int) -> list:
        columns = [c.name for c in db.metadata.tables[table].columns if c.name != "id"]
        selected = ", ".join(f'"{name}"::text' for name in columns)
        query = text(f"SELECT {selected} FROM {table} WHERE {where} = :value ORDER BY id")
        if table in ("ticket_tags", "complaints"):  # no id of their own
            query = text(f"SELECT {selected} FROM {table} WHERE {where} = :value ORDER BY 1, 2")
        return [
            {name: _plain(name, v, names, since) for name, v in zip(columns, row, strict=True)}
            for row in db.session.execute(query, {"value": value})
        ]

    written = {"tickets": rows("tickets", "id", ticket.id)}
    written["tickets"][0]["ticket_id"] = "<ticket>"
    for table in TICKET_TABLES:
        written[table] = rows(table, "ticket_id", ticket.id)
    written["customer_events"] = rows("customer_events", "customer_id", ticket.customer_id)
    return written


def _plain(name: str, value: str | None, names: dict[tuple[str, str], str], since: datetime) -> str | None:
    if (name, value) in names:
        return names[name, value]
    if value is not None and name in TIMES and datetime.fromisoformat(value) >= since:
        return "now"
    return value


@postgresql
@either_writer
def test_new_objects_are_written_as_the_flush_writes_them(app, write):
    agent = AgentFactory()
    since = datetime.now(UTC)
    flushed = _stage("SAME", agent)
    db.session.flush()
    expected = _written(flushed, since)
    db.session.rollback()
    copied = _stage("SAME", agent)

    with statements_seen(db.engine) as statements:
        assert write(db.session())

    # Not one statement of the flush's: the rows went around it (COPY, or INSERTs in the driver's
    # pipeline, which engine events do not see), their ids drawn in one query.
    assert len(statements) == 1 and "nextval" in statements[0]
    written = _written(copied, since)
    assert written == expected
    assert [len(rows) for rows in written.values()] == [1, 2, 1, 2, 1, 2, 2, 2]
    assert (written["tickets"][0]["version"], written["tickets"][0]["custom_fields"]) == ("1", "{}")
    assert written["tickets"][0]["updated_at"] == "now"
    assert [e["old_value"] for e in written["ticket_events"]] == ["null", None]


@postgresql
def test_rows_nothing_points_at_take_their_ids_from_their_insert(app):
    """No round trip to draw ids that only the rows' own INSERT ... RETURNING needs to hand back."""
    ticket = _stage("T-1", AgentFactory())
    db.session.commit()
    notes = [TicketEvent(ticket_id=ticket.id, kind="note", new_value=str(n), at=AT) for n in range(3)]
    db.session.add_all(notes)

    with statements_seen(db.engine) as statements:
        assert insert_new_objects(db.session())

    assert statements == []  # no query to draw ids; the INSERT went down the driver's pipeline
    stored = db.session.execute(
        text(
            "SELECT id, new_value FROM ticket_events WHERE ticket_id = :t AND kind = 'note' AND new_value "
            "IS NOT NULL ORDER BY id"
        ),
        {"t": ticket.id},
    ).all()
    assert [(note.id, note.new_value) for note in notes] == [tuple(row) for row in stored]
    assert db.session.get(TicketEvent, notes[1].id) is notes[1]


@postgresql
@either_writer
def test_written_objects_are_persistent_as_after_a_flush(app, write):
    ticket = _stage("T-1", AgentFactory())

    write(db.session())

    assert inspect(ticket).persistent
    assert not db.session.new and not db.session.dirty
    assert {tag.ticket_id for tag in ticket.tag_rows} == {ticket.id}
    assert ticket.complaint.ticket_id == ticket.id
    assert db.session.get(Ticket, ticket.id) is ticket
    db.session.commit()  # nothing left to write: a second write would break the unique reference
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


@postgresql
@either_writer
def test_rolling_back_forgets_the_written_objects(app, write):
    ticket = _stage("T-1", AgentFactory())
    write(db.session())

    db.session.rollback()

    assert inspect(ticket).transient
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@postgresql
@either_writer
def test_rolling_back_a_savepoint_forgets_only_what_was_written_inside_it(app, write):
    agent = AgentFactory()
    before = _stage("T-1", agent)
    write(db.session())
    savepoint = db.session.begin_nested()
    inside = _stage("T-2", agent)
    write(db.session())

    savepoint.rollback()

    assert inspect(inside).transient and inspect(before).persistent
    db.session.commit()
    assert db.session.scalars(select(Ticket.reference)).all() == ["T-1"]


@postgresql
def test_a_copy_session_flushes_new_objects_by_copy(app):
    agent = AgentFactory()
    with statements_seen(db.engine) as statements, CopySession(bind=db.engine) as session:
        customer = Customer(name="Customer", custom_fields={})
        session.add(customer)
        session.commit()  # expires the customer: its id is loaded again for the ticket's row
        ticket = Ticket(reference="T-1", subject="Printer", customer=customer, assignee_id=agent.id)
        session.add(ticket)
        session.add(TicketEvent(ticket=ticket, kind="created"))
        session.commit()

    assert not [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert any("nextval" in s for s in statements)
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Customer, Ticket, TicketEvent)]
    assert counts == [1, 1, 1]
    assert db.session.scalar(select(TicketEvent.ticket_id)) == db.session.scalar(select(Ticket.id))
    assert db.session.scalar(select(Ticket.customer_id)) == db.session.scalar(select(Customer.id))


@postgresql
@either_writer
@pytest.mark.parametrize(
    ("stage", "error"),
    [
        (lambda agent: _stage("T-1", agent, tags=("same", "same")), IntegrityError),
        (lambda agent: _stage("T-1", agent, subject="x" * 300), DataError),
    ],
    ids=["duplicate key", "too long"],
)
def test_a_row_the_database_refuses_fails_the_whole_write(app, write, stage, error):
    agent = AgentFactory()
    savepoint = db.session.begin_nested()
    stage(agent)

    with pytest.raises(error):
        write(db.session())

    # Rolled back: no table keeps its rows, though some were written before the error.
    savepoint.rollback()
    counts = {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Customer, Ticket, TicketTag, Comment, TicketEvent, SlaTarget, CustomerEvent)
    }
    assert set(counts.values()) == {0}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_sqlite_a_copy_session_flushes_as_usual(app):
    agent = AgentFactory()
    with statements_seen(db.engine) as statements, CopySession(bind=db.engine) as session:
        session.add(Customer(name="Someone", custom_fields={}))
        assert not copy_new_objects(session)
        assert not insert_new_objects(session)
        customer = Customer(name="Customer", custom_fields={})
        session.add(Ticket(reference="T-1", subject="Printer", customer=customer, assignee_id=agent.id))
        session.commit()

    assert any(s.startswith("INSERT INTO tickets") for s in statements)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


@postgresql
@either_writer
def test_a_session_holding_changed_objects_is_flushed_as_usual(app, write):
    ticket = _stage("T-1", AgentFactory())
    ticket.customer.name = "Renamed"

    with statements_seen(db.engine) as statements:
        assert not write(db.session())
        assert statements == []
        assert ticket in db.session.new

        db.session.flush()
    assert any(s.lstrip().upper().startswith("INSERT INTO TICKETS") for s in statements)
