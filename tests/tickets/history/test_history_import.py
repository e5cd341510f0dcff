"""History import: tickets from another helpdesk land with their own times, through the ticket workflow.

Good lines land whole (ticket, conversation, status changes, audit trail, SLA results as if worked
here); bad lines are reported by line number and leave nothing behind; importing again changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import imports
from app.customers.models import ContactPoint, Customer, CustomerEvent
from app.dbtypes import utcnow
from app.extensions import db
from app.tickets.history import services as history
from app.tickets.history.models import TicketImport
from app.tickets.models import Comment, Ticket, TicketEvent
from app.tickets.sla.models import SlaTarget, TicketPause
from tests.factories import AgentFactory
from tests.helpers import statements_seen
from tests.import_helpers import upload
from tests.ticket_factories import QueueFactory, SlaPolicyFactory

URL = "/api/v1/tickets/imports"
HOUR = 3600
FUTURE = "Lies in the future: a history holds only what has already happened."


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def setup(app):
    """Two agents and a queue, as the other helpdesk's history names them."""
    return {
        "ann": AgentFactory(email="ann@desk.example", name="Ann"),
        "bob": AgentFactory(email="bob@desk.example", name="Bob"),
        "billing": QueueFactory(name="Billing"),
    }


def _customer(n: int) -> dict:
    return {"name": f"Customer {n}", "email": f"c{n}@example.com", "phone": None}


# A ticket worked from start to finish: the customer writes again, an agent answers, notes, solves.
SOLVED = {
    "reference": "ZD-1",
    "subject": "Invoice is wrong",
    "description": "<p>Charged twice</p>",
    "type": "incident",
    "priority": "normal",
    "channel": "email",
    "queue": "billing",
    "customer": _customer(1),
    "assignee_email": "ann@desk.example",
    "created_at": "2024-03-01T09:00:00Z",
    "tags": ["VIP", "billing"],
    "events": [
        {
            "at": "2024-03-01T09:30:00Z",
            "kind": "public_reply",
            "author_email": "C1@example.com",
            "body": "Hello?",
        },
        {
            "at": "2024-03-01T10:00:00Z",
            "kind": "public_reply",
            "author_email": "Ann@desk.example",
            "body": "On it",
        },
        {
            "at": "2024-03-01T10:05:00Z",
            "kind": "internal_note",
            "author_email": "ann@desk.example",
            "body": "Refund",
        },
        {"at": "2024-03-01T11:00:00Z", "kind": "status", "author_email": "ann@desk.example", "to": "solved"},
    ],
}
# Urgent (first response within 1 h) but answered after 2 h; events listed out of time order.
LATE = {
    "reference": "ZD-2",
    "subject": "Site down",
    "priority": "urgent",
    "customer": {"name": "Customer 2", "phone": "+1 415 555 0100"},
    "created_at": "2024-03-02T08:00:00+00:00",
    "events": [
        {"at": "2024-03-02T12:00:00Z", "kind": "status", "author_email": "bob@desk.example", "to": "solved"},
        {
            "at": "2024-03-02T10:00:00Z",
            "kind": "public_reply",
            "author_email": "bob@desk.example",
            "body": "Fixed",
        },
        {"at": "2024-03-02T11:00:00Z", "kind": "public_reply", "body": "Thanks!"},
    ],
}


def _bad(reference: str, n: int, **changes) -> dict:
    line = {
        "reference": reference,
        "subject": "Broken",
        "customer": _customer(n),
        "created_at": "2024-03-03T09:00:00Z",
    }
    line.update(changes)
    return line


# Each fails for its own reason; several would write a customer or a ticket before failing.
BAD = [
    _bad("BAD-1", 11, subject=None),
    _bad("BAD-2", 12, queue="Nowhere"),
    _bad("BAD-3", 13, assignee_email="ghost@desk.example"),
    _bad(
        "BAD-4",
        14,
        events=[
            {
                "at": "2024-03-03T10:00:00Z",
                "kind": "public_reply",
                "author_email": "ann@desk.example",
                "body": "Hi",
            },
            {
                "at": "2024-03-03T11:00:00Z",
                "kind": "status",
                "author_email": "ann@desk.example",
                "to": "closed",
            },
        ],
    ),
    _bad("BAD-5", 15, events=[{"at": "2024-03-03T08:00:00Z", "kind": "status", "to": "solved"}]),
]


def _file(*lines) -> str:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"


# Line 1: SOLVED, 2: invalid JSON, 3: blank, 4: LATE, 5-9: BAD-1..BAD-5.
MIXED = _file(SOLVED, '{"reference": "X-1", "subject": ', "", LATE, *BAD)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _ticket(reference: str) -> Ticket:
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def _events(ticket: Ticket) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )


def _target(ticket: Ticket, kind: str) -> SlaTarget:
    return db.session.scalar(
        select(SlaTarget).where(SlaTarget.ticket_id == ticket.id, SlaTarget.kind == kind)
    )


def _import(text: str, **kwargs):
    return history.import_ticket_history(text.split("\n"), actor=None, **kwargs)


def _snapshot() -> dict[str, int]:
    return {
        model.__name__: _count(model)
        for model in (
            Ticket,
            Comment,
            TicketEvent,
            SlaTarget,
            TicketPause,
            Customer,
            ContactPoint,
            CustomerEvent,
        )
    }


# -- good lines ---------------------------------------------------------------------------------------


def test_good_lines_land_with_their_historical_times(setup):
    report = _import(MIXED)

    assert (report.created, report.unchanged, report.failed) == (2, 0, 6)
    ticket = _ticket("ZD-1")
    assert (ticket.subject, ticket.type, ticket.priority, ticket.channel) == (
        "Invoice is wrong",
        "incident",
        "normal",
        "email",
    )
    assert ticket.queue_id == setup["billing"].id
    assert ticket.assignee_id == setup["ann"].id
    assert ticket.tags == ["billing", "vip"]
    assert ticket.customer.name == "Customer 1"
    assert ticket.status == "solved"
    assert ticket.created_at == utc(2024, 3, 1, 9)
    assert ticket.first_response_at == utc(2024, 3, 1, 10)
    assert ticket.solved_at == utc(2024, 3, 1, 11)
    assert ticket.updated_at == utc(2024, 3, 1, 11)
    assert ticket.last_customer_message_at == utc(2024, 3, 1, 9, 30)
    assert ticket.public_reply_count == 1


def test_the_conversation_is_replayed_with_its_authors(setup):
    _import(MIXED)

    ticket = _ticket("ZD-1")
    comments = list(
        db.session.scalars(select(Comment).where(Comment.ticket_id == ticket.id).order_by(Comment.id))
    )
    assert [(c.created_at, c.public, c.author_id, c.customer_id) for c in comments] == [
        (utc(2024, 3, 1, 9, 30), True, None, ticket.customer_id),
        (utc(2024, 3, 1, 10), True, setup["ann"].id, None),
        (utc(2024, 3, 1, 10, 5), False, setup["ann"].id, None),
    ]
    assert "Hello?" in comments[0].body


def test_the_audit_trail_carries_the_historical_times_and_actor_kind_import(setup):
    _import(MIXED)

    ann = setup["ann"].id
    assert [(e.kind, e.at, e.actor_id, e.actor_kind, e.new_value) for e in _events(_ticket("ZD-1"))] == [
        ("created", utc(2024, 3, 1, 9), None, "import", "ZD-1"),
        # The assignee took it as a claim here records it: assigned, and new -> open.
        ("assigned", utc(2024, 3, 1, 9), ann, "import", ann),
        ("status", utc(2024, 3, 1, 9), ann, "import", "open"),
        ("customer_reply", utc(2024, 3, 1, 9, 30), None, "customer", None),
        ("reply", utc(2024, 3, 1, 10), ann, "import", None),
        ("note", utc(2024, 3, 1, 10, 5), ann, "import", None),
        ("status", utc(2024, 3, 1, 11), ann, "import", "solved"),
    ]


def test_events_are_replayed_in_time_order_and_sla_targets_follow_history(setup):
    _import(MIXED)

    ticket = _ticket("ZD-2")
    bob = setup["bob"].id
    # Reply at 10:00 (opens the ticket), the customer's thanks at 11:00, solved at 12:00.
    assert [
        (e.kind, e.at, e.actor_id, e.actor_kind) for e in _events(ticket) if e.kind != "sla_breached"
    ] == [
        ("created", utc(2024, 3, 2, 8), None, "import"),
        ("reply", utc(2024, 3, 2, 10), bob, "import"),
        ("status", utc(2024, 3, 2, 10), bob, "import"),
        ("customer_reply", utc(2024, 3, 2, 11), None, "customer"),
        ("status", utc(2024, 3, 2, 12), bob, "import"),
    ]
    assert (ticket.first_response_at, ticket.solved_at, ticket.status) == (
        utc(2024, 3, 2, 10),
        utc(2024, 3, 2, 12),
        "solved",
    )
    # Built-in urgent targets: first response in 1 h (due 09:00, answered 10:00: breached), resolution
    # in a day (met).
    first = _target(ticket, "first_response")
    assert (first.target_seconds, first.due_at, first.met_at, first.breached_at) == (
        HOUR,
        utc(2024, 3, 2, 9),
        utc(2024, 3, 2, 10),
        utc(2024, 3, 2, 9),
    )
    resolution = _target(ticket, "resolution")
    assert (resolution.met_at, resolution.breached_at) == (utc(2024, 3, 2, 12), None)
    breaches = [e for e in _events(ticket) if e.kind == "sla_breached"]
    assert [(e.field, e.at, e.actor_kind) for e in breaches] == [
        ("first_response", utc(2024, 3, 2, 10), "system")
    ]
    # The normal-priority ticket answered within 8 h met its first response.
    solved = _ticket("ZD-1")
    assert (_target(solved, "first_response").met_at, _target(solved, "first_response").breached_at) == (
        utc(2024, 3, 1, 10),
        None,
    )


def test_a_reply_may_change_the_status_and_a_numeric_reference_is_text(setup):
    line = _bad(
        12345,
        21,
        events=[
            {
                "at": "2024-03-03T10:00:00Z",
                "kind": "public_reply",
                "author_email": "bob@desk.example",
                "body": "Which?",
                "to": "pending",
            },
            {
                "at": "2024-03-03T12:00:00Z",
                "kind": "public_reply",
                "author_email": "c21@example.com",
                "body": "That one",
            },
        ],
    )

    assert _import(_file(line)).created == 1

    ticket = _ticket("12345")
    assert [(e.kind, e.new_value, e.at) for e in _events(ticket) if e.kind == "status"] == [
        ("status", "pending", utc(2024, 3, 3, 10)),
        ("status", "open", utc(2024, 3, 3, 12)),  # the customer's answer reopens it
    ]
    pause = db.session.scalar(select(TicketPause).where(TicketPause.ticket_id == ticket.id))
    assert (pause.started_at, pause.ended_at) == (utc(2024, 3, 3, 10), utc(2024, 3, 3, 12))


def test_a_matching_sla_policy_applies_to_imported_tickets(setup):
    SlaPolicyFactory(queue_id=setup["billing"].id, first_response_seconds=1800, resolution_seconds=HOUR)

    _import(_file(SOLVED))

    ticket = _ticket("ZD-1")
    first = _target(ticket, "first_response")
    assert (first.target_seconds, first.breached_at, first.met_at) == (
        1800,
        utc(2024, 3, 1, 9, 30),
        utc(2024, 3, 1, 10),
    )
    resolution = _target(ticket, "resolution")
    assert (resolution.breached_at, resolution.met_at) == (utc(2024, 3, 1, 10), utc(2024, 3, 1, 11))


def test_the_import_names_its_agent_on_the_created_event(setup):
    supervisor = AgentFactory(role="supervisor")

    history.import_ticket_history(_file(LATE).split("\n"), actor=supervisor)

    created = _events(_ticket("ZD-2"))[0]
    assert (created.kind, created.actor_id, created.actor_kind) == ("created", supervisor.id, "import")


def test_lines_after_a_line_that_failed_halfway_land_normally(setup):
    supervisor = AgentFactory(role="supervisor")
    half_done = BAD[3]  # opens its ticket and replies before its status change fails

    report = history.import_ticket_history(
        _file(half_done, SOLVED, half_done, LATE).split("\n"), actor=supervisor
    )

    assert (report.created, report.failed) == (2, 2)
    assert [e.actor_id for e in _events(_ticket("ZD-2"))[:1]] == [supervisor.id]
    assert [e.actor_id for e in _events(_ticket("ZD-1"))[4:6]] == [setup["ann"].id] * 2
    assert _count(Ticket) == 2


@contextmanager
def _listening(*signals) -> Iterator[list[str]]:
    """The names of these signals as they are sent meanwhile."""
    heard: list[str] = []
    receivers = []
    for sender_signal in signals:

        def receiver(sender, _name=sender_signal.name, **_):
            heard.append(_name)

        sender_signal.connect(receiver, weak=False)
        receivers.append((sender_signal, receiver))
    try:
        yield heard
    finally:
        for sender_signal, receiver in receivers:
            sender_signal.disconnect(receiver)


def test_history_is_not_announced(setup):
    from app.tickets import signals

    with _listening(signals.ticket_opened, signals.ticket_assigned, signals.ticket_commented) as heard:
        _import(MIXED)

    assert heard == []


def test_history_status_changes_are_not_announced(setup):
    from app.tickets import signals

    with _listening(signals.ticket_updated, signals.ticket_solved, signals.ticket_reopened) as heard:
        _import(MIXED)

    assert heard == []


def test_an_existing_customer_gets_the_ticket(setup):
    from tests.customer_factories import CustomerFactory

    customer = CustomerFactory(name="Olivia", emails=["c1@example.com"])

    _import(_file(SOLVED))

    assert _ticket("ZD-1").customer_id == customer.id
    assert _count(Customer) == 1


# -- bad lines ----------------------------------------------------------------------------------------


def test_bad_lines_are_reported_by_line_number(setup):
    report = _import(MIXED)

    assert report.errors == [
        {"line": 2, "reference": None, "errors": {"line": ["Not valid JSON: Expecting value (column 33)."]}},
        {"line": 5, "reference": "BAD-1", "errors": {"subject": ["Field may not be null."]}},
        {"line": 6, "reference": "BAD-2", "errors": {"queue": ["No queue named Nowhere."]}},
        {
            "line": 7,
            "reference": "BAD-3",
            "errors": {"assignee_email": ["No agent with the e-mail ghost@desk.example."]},
        },
        {
            "line": 8,
            "reference": "BAD-4",
            "errors": {"events": {"1": {"to": ["Allowed from open: on_hold, pending, solved."]}}},
        },
        {
            "line": 9,
            "reference": "BAD-5",
            "errors": {"events": {"0": {"at": ["Before the ticket's created_at."]}}},
        },
    ]


def test_bad_lines_leave_nothing_behind(setup):
    before = _snapshot()

    _import(_file(*BAD))

    # BAD-4 had opened its ticket (a new customer, events, SLA targets) and replied before failing.
    assert _snapshot() == before
    assert _count(ContactPoint, ContactPoint.value.like("c1_@example.com")) == 0


def test_only_the_bad_lines_are_missing(setup):
    _import(MIXED)

    assert sorted(db.session.scalars(select(Ticket.reference))) == ["ZD-1", "ZD-2"]
    assert sorted(db.session.scalars(select(Customer.name))) == ["Customer 1", "Customer 2"]
    tickets = [_ticket("ZD-1").id, _ticket("ZD-2").id]
    assert _count(TicketEvent, TicketEvent.ticket_id.not_in(tickets)) == 0
    assert _count(SlaTarget, SlaTarget.ticket_id.not_in(tickets)) == 0
    assert _count(Comment, Comment.ticket_id.not_in(tickets)) == 0


@pytest.mark.parametrize(
    ("line", "errors"),
    [
        ("[1, 2]", {"line": ["Must be a JSON object (one ticket per line)."]}),
        (
            {
                "reference": "A",
                "subject": "S",
                "customer": {"name": "N"},
                "created_at": "yesterday",
                "colour": 1,
            },
            {
                "colour": ["Unknown field."],
                "created_at": ["Not a valid datetime."],
                "customer": {"email": ["Give the customer's e-mail or phone."]},
            },
        ),
        (
            _bad(
                "R" * 41,
                1,
                type="rant",
                events=[{"kind": "shout", "at": "2024-03-03T10:00:00Z"}],
            ),
            {
                "reference": ["Longer than maximum length 40."],
                "type": ["Must be one of: question, incident, request, complaint."],
                "events": {"0": {"kind": ["Must be one of: public_reply, internal_note, status."]}},
            },
        ),
        (
            _bad("A", 1, events=[{"at": "2024-03-03T10:00:00Z", "kind": "internal_note", "body": "x"}]),
            {"events": {"0": {"author_email": ["An internal note needs its agent's e-mail."]}}},
        ),
        (
            _bad(
                "A",
                1,
                events=[
                    {
                        "at": "2024-03-03T10:00:00Z",
                        "kind": "public_reply",
                        "author_email": "x@y.z",
                        "body": "x",
                    }
                ],
            ),
            {"events": {"0": {"author_email": ["No agent or customer with the e-mail x@y.z."]}}},
        ),
        (_bad("A", 1, subject="x\u0000y"), {"line": ["Must not contain NUL characters."]}),
        (
            _bad("A", 1, customer={"email": "nobody", "phone": "12"}),
            {
                "customer": {
                    "email": ["An email address must have an @-sign."],
                    "phone": ["Not a valid phone number."],
                }
            },
        ),
        (_bad("A", 1, complaint={"category": "billing"}), {"complaint": ["Set type to complaint."]}),
        (
            _bad("A", 1, type="complaint", complaint={"severity": "grave"}),
            {"complaint": {"severity": ["Must be one of: low, medium, high, critical."]}},
        ),
        (
            _bad(
                "A",
                1,
                events=[
                    {
                        "at": "2024-03-03T10:00:00Z",
                        "kind": "public_reply",
                        "author_email": "bob@desk.example",
                        "body": " ",
                    }
                ],
            ),
            {"events": {"0": {"body": ["Write something."]}}},
        ),
        (_bad("A", 1, created_at="2999-01-01T00:00:00Z"), {"created_at": [FUTURE]}),
        (
            _bad(
                "A",
                1,
                events=[
                    {
                        "at": "2024-03-03T10:00:00Z",
                        "kind": "internal_note",
                        "author_email": "ann@desk.example",
                    },
                    {"at": "2999-01-01T00:00:00+02:00", "kind": "public_reply", "body": "Hello from later"},
                ],
            ),
            {"events": {"0": {"body": ["Missing data for required field."]}, "1": {"at": [FUTURE]}}},
        ),
        (
            _bad(
                "A",
                1,
                tags=["vip", 7],
                events=[
                    {"at": "2024-03-03T10:00:00Z", "kind": "public_reply", "body": "Hi"},
                    "a reply",
                    {"at": "noon", "kind": "status", "body": "Done", "author_email": "ann@desk.example"},
                ],
            ),
            {
                "tags": {"1": ["Not a valid string."]},
                "events": {
                    "1": {"_schema": ["Invalid input type."]},
                    "2": {
                        "at": ["Not a valid datetime."],
                        "to": ["Missing data for required field."],
                        "body": ["A status change carries no body; give the text its own event."],
                    },
                },
            },
        ),
        (_bad("A", 1, events={"at": "2024-03-03T10:00:00Z"}), {"events": ["Not a valid list."]}),
    ],
)
def test_each_kind_of_bad_line_is_explained(setup, line, errors):
    before = _snapshot()

    report = _import(_file(line))

    assert report.errors == [{"line": 1, "reference": report.errors[0]["reference"], "errors": errors}]
    assert _snapshot() == before


def test_times_later_than_now_fail_the_line_and_times_just_past_do_not(setup, import_path):
    from datetime import timedelta, timezone

    from app.dbtypes import utcnow

    now = utcnow().replace(microsecond=0)
    in_an_hour = (now + timedelta(hours=1)).replace(tzinfo=None).isoformat()  # no offset: UTC
    # A minute ago, written in a time zone ahead of UTC: in the past, though its clock reads later.
    a_minute_ago = (now - timedelta(minutes=1)).astimezone(timezone(timedelta(hours=5))).isoformat()
    reply = {"kind": "public_reply", "author_email": "ann@desk.example", "body": "Hi"}
    before = _snapshot()

    report = _import(
        _file(
            _bad("F-1", 41, created_at=in_an_hour),
            _bad("F-2", 42, created_at=a_minute_ago, events=[{**reply, "at": in_an_hour}]),
            _bad("P-1", 43, created_at=a_minute_ago, events=[{**reply, "at": a_minute_ago}]),
        )
    )

    assert (report.created, report.failed) == (1, 2)
    assert report.errors == [
        {"line": 1, "reference": "F-1", "errors": {"created_at": [FUTURE]}},
        {"line": 2, "reference": "F-2", "errors": {"events": {"0": {"at": [FUTURE]}}}},
    ]
    assert _count(Ticket) == before["Ticket"] + 1
    assert _ticket("P-1").first_response_at == now - timedelta(minutes=1)


def test_a_line_failing_on_a_database_error_is_rolled_back_alone(setup, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from app.tickets.services import tickets

    real = tickets.customer_wrote

    def refusing(change, **kwargs):
        if change.ticket.reference == "ZD-2":
            raise IntegrityError("INSERT ...", {}, Exception("simulated"))
        return real(change, **kwargs)

    monkeypatch.setattr(tickets, "customer_wrote", refusing)
    before = _snapshot()

    # The batch's write fails: it is replayed line by line, and only the line that fails is lost.
    report = _import(_file(SOLVED, LATE))

    assert report.errors == [
        {
            "line": 2,
            "reference": "ZD-2",
            "errors": {"line": ["Conflicts with data written at the same time; import the line again."]},
        }
    ]
    assert report.created == 1
    assert sorted(db.session.scalars(select(Ticket.reference))) == ["ZD-1"]
    assert _snapshot()["Customer"] == before["Customer"] + 1
    monkeypatch.setattr(tickets, "customer_wrote", real)
    assert _import(_file(LATE)).created == 1


# -- the batch path is the services' replay -------------------------------------------------------------


def _worked(reference: str, n: int, queue: str | None = None, priority: str = "normal") -> dict:
    """A ticket put on hold, reopened by the customer, solved, reopened again, solved and closed."""

    def at(hour: int, minute: int = 0) -> str:
        return f"2024-03-0{4 + n % 5}T{hour:02d}:{minute:02d}:00Z"

    return {
        "reference": reference,
        "subject": f"Worked {n}",
        "description": "<p>Details <b>here</b><script>x</script></p>",
        "priority": priority,
        "queue": queue,
        "customer": _customer(n),
        "assignee_email": "bob@desk.example",
        "created_at": at(7, 30),
        "tags": ["Worked", "x"],
        "events": [
            {"at": at(9, 15), "kind": "internal_note", "author_email": "ann@desk.example", "body": "Look"},
            {
                "at": at(10),
                "kind": "public_reply",
                "author_email": "bob@desk.example",
                "body": "Which one?",
                "to": "pending",
            },
            {"at": at(13), "kind": "public_reply", "author_email": f"c{n}@example.com", "body": "This"},
            {"at": at(14), "kind": "status", "author_email": "bob@desk.example", "to": "solved"},
            {"at": at(15), "kind": "public_reply", "body": "Broken again"},
            {"at": at(18, 30), "kind": "public_reply", "author_email": "ann@desk.example", "body": "Fixed"},
            {"at": at(19), "kind": "status", "author_email": "ann@desk.example", "to": "solved"},
            {"at": at(23), "kind": "status", "to": "closed"},
        ],
    }


def _complaint(reference: str, n: int) -> dict:
    return {
        **_bad(reference, n),
        "subject": "Rude agent",
        "type": "complaint",
        "complaint": {"category": "staff_attitude", "severity": "high"},
        "events": [
            {
                "at": "2024-03-03T12:00:00Z",
                "kind": "public_reply",
                "author_email": "ann@desk.example",
                "body": "Sorry",
            }
        ],
    }


def _outcome(reference: str) -> dict:
    """Everything an import writes for a ticket, with its own reference and ids left out."""
    ticket = _ticket(reference)
    fields = [
        "subject",
        "description",
        "type",
        "priority",
        "channel",
        "status",
        "customer_id",
        "queue_id",
        "assignee_id",
        "created_at",
        "updated_at",
        "first_response_at",
        "solved_at",
        "closed_at",
        "reopen_count",
        "public_reply_count",
        "last_customer_message_at",
    ]
    comments = db.session.scalars(select(Comment).where(Comment.ticket_id == ticket.id).order_by(Comment.id))
    targets = db.session.scalars(
        select(SlaTarget).where(SlaTarget.ticket_id == ticket.id).order_by(SlaTarget.id)
    )
    pauses = db.session.scalars(
        select(TicketPause).where(TicketPause.ticket_id == ticket.id).order_by(TicketPause.id)
    )
    return {
        "ticket": {name: getattr(ticket, name) for name in fields},
        "tags": ticket.tags,
        "complaint": ticket.complaint and (ticket.complaint.category, ticket.complaint.stage),
        "comments": [(c.created_at, c.public, c.author_id, c.customer_id, c.body) for c in comments],
        "events": [
            (
                e.kind,
                e.at,
                e.actor_id,
                e.actor_kind,
                e.field,
                e.old_value,
                None if e.kind == "created" else e.new_value,
            )
            for e in _events(ticket)
        ],
        "targets": [
            (
                t.kind,
                t.policy_id,
                t.target_seconds,
                t.started_at,
                t.due_at,
                t.met_at,
                t.breached_at,
                t.cancelled_at,
                t.warned_at,
            )
            for t in targets
        ],
        "pauses": [(p.started_at, p.ended_at) for p in pauses],
    }


def _history(prefix: str) -> list[dict]:
    lines = [
        SOLVED,
        LATE,
        _worked("W-1", 31),
        _worked("W-2", 32, queue="Billing", priority="high"),
        _worked("W-3", 33, priority="urgent"),
        _complaint("C-1", 34),
        # A complaint without details, on hold, reopened, solved and closed as the other desk did it.
        {**_worked("C-2", 35), "type": "complaint"},
        {**SOLVED, "subject": "Twice"},
    ]
    return [{**line, "reference": f"{prefix}{line['reference']}"} for line in lines]


def test_a_batch_lands_exactly_as_the_replay_through_the_use_cases(setup, monkeypatch):
    from tests.ticket_factories import CalendarFactory

    # Business hours (Mon-Fri 09:00-17:00) for billing, so pauses and calendars both count.
    SlaPolicyFactory(queue_id=setup["billing"].id, calendar=CalendarFactory(), first_response_seconds=1800)
    batch = _import(_file(*_history("B-"), BAD[3]))

    monkeypatch.setattr(history, "_import_batch", lambda *args: False)
    replayed = _import(_file(*_history("R-"), BAD[3]))

    assert (batch.created, batch.unchanged, batch.failed) == (
        replayed.created,
        replayed.unchanged,
        replayed.failed,
    )
    assert (batch.created, batch.unchanged, batch.failed) == (7, 1, 1), batch.errors
    assert [error["errors"] for error in batch.errors] == [error["errors"] for error in replayed.errors]
    for line in _history(""):
        if line["subject"] != "Twice":
            assert _outcome(f"B-{line['reference']}") == _outcome(f"R-{line['reference']}"), line["reference"]
    assert _outcome("B-W-2")["targets"][0][1] is not None  # the billing policy applied
    assert _outcome("B-W-1")["ticket"]["reopen_count"] == 1
    # The complaint is still open: its targets overdue when the replay ended are breached as well.
    assert all(target[6] is not None for target in _outcome("B-C-1")["targets"])
    assert _outcome("B-C-2")["complaint"] == ("other", "resolved")
    assert _outcome("B-C-2")["ticket"]["status"] == "closed"


def test_a_batch_with_a_failing_line_is_written_without_the_line_by_line_replay(setup, monkeypatch):
    def refused(*args):
        raise AssertionError("replayed line by line")

    monkeypatch.setattr(history, "_import_line_by_line", refused)

    report = _import(MIXED)

    assert (report.created, report.failed) == (2, 6)
    assert _count(Ticket) == 2
    assert _count(Customer) == 2


def test_a_batch_the_database_refuses_is_replayed_line_by_line(setup, monkeypatch):
    _import(_file(SOLVED))
    real = history._read_batch

    def forgetful(session, parsed):
        # As if another import had written ZD-1 after this batch looked: its INSERT meets the unique key.
        batch = real(session, parsed)
        batch.known.clear()
        return batch

    monkeypatch.setattr(history, "_read_batch", forgetful)

    report = _import(_file(SOLVED, LATE))

    assert report.errors == [
        {
            "line": 1,
            "reference": "ZD-1",
            "errors": {"line": ["Conflicts with data written at the same time; import the line again."]},
        }
    ]
    assert report.created == 1
    assert sorted(db.session.scalars(select(Ticket.reference))) == ["ZD-1", "ZD-2"]


def test_a_batch_is_copied_into_postgresql_and_flushed_into_sqlite(setup, backend):
    with statements_seen(db.engine) as statements:
        report = _import(_file(*_history("B-")))
    inserts = [statement.split("(")[0].strip() for statement in statements]

    assert report.created == 7
    written_by_insert = {"INSERT INTO tickets", "INSERT INTO ticket_events", "INSERT INTO ticket_comments"}
    if backend == "postgresql":
        assert not written_by_insert & set(inserts)
    else:
        assert written_by_insert <= set(inserts)


def test_a_customer_message_on_a_closed_ticket_is_left_to_the_use_cases(setup):
    line = _worked("W-9", 39)
    line["events"].append({"at": "2024-03-09T08:00:00Z", "kind": "public_reply", "body": "Hello again"})

    report = _import(_file(SOLVED, line))

    assert (report.created, report.failed) == (2, 0)
    closed = _ticket("W-9")
    follow_up = db.session.scalar(select(Ticket).where(Ticket.follow_up_of_id == closed.id))
    assert (closed.status, follow_up.status) == ("closed", "new")


def test_imported_tickets_and_comments_are_searchable(setup, as_supervisor):
    _import(_file(SOLVED, LATE))

    def found(q: str) -> list[str]:
        return [t["reference"] for t in as_supervisor.get("/api/v1/tickets", query_string={"q": q}).json]

    assert found("charged") == ["ZD-1"]  # the description
    assert found("refund") == ["ZD-1"]  # an internal note
    assert found("thanks") == ["ZD-2"]  # the customer's message


# -- importing again ----------------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(setup):
    _import(MIXED)
    before = _snapshot()

    again = _import(MIXED)

    assert (again.created, again.unchanged, again.failed) == (0, 2, 6)
    assert _snapshot() == before


CLASH = {
    "reference": [
        "Already the reference of a ticket of this desk, not of an imported one: give the line another."
    ]
}


def test_a_reference_of_a_ticket_of_this_desk_is_a_clash_not_unchanged(setup, import_path):
    from app.tickets.services import tickets as ticket_services

    live = ticket_services.open_ticket(
        subject="Printer on fire", customer={"email": "live@example.com"}, actor=setup["ann"]
    )
    assert live.reference.startswith("SB-")
    before = _snapshot()

    report = _import(_file({**SOLVED, "reference": live.reference}, LATE))

    assert (report.created, report.unchanged, report.failed) == (1, 0, 1)
    assert report.errors == [{"line": 1, "reference": live.reference, "errors": CLASH}]
    assert _ticket(live.reference).subject == "Printer on fire"
    assert _count(Ticket) == before["Ticket"] + 1  # ZD-2 only
    assert _count(TicketEvent, TicketEvent.ticket_id == live.id) == len(_events(live))
    assert _events(live)[-1].kind == "created"  # nothing of the line was replayed on it


def test_an_agent_comment_after_closing_fails_its_line_on_either_path(setup, import_path):
    """Closed is final in the history too (tests/tickets/test_closed_tickets.py): the line is refused
    whole, the same way by the batch and by the replay through the use cases."""
    line = _worked("W-1", 1)
    line["events"].append(
        {
            "at": "2024-03-09T08:00:00Z",
            "kind": "internal_note",
            "author_email": "bob@desk.example",
            "body": "PS",
        }
    )
    before = _snapshot()

    report = _import(_file(line, LATE))

    assert (report.created, report.failed) == (1, 1)
    index = str(len(line["events"]) - 1)
    # Named as the events' own field for a status (`to`), as for an illegal transition.
    assert report.errors[0]["errors"] == {"events": {index: {"to": ["Closed is final."]}}}
    assert _ticket("W-1") is None
    assert _count(Ticket) == before["Ticket"] + 1  # ZD-2 only


def test_a_ticket_without_an_import_record_in_its_trail_is_not_taken_for_an_imported_one(setup):
    from tests.ticket_factories import TicketFactory

    TicketFactory(reference="ZD-1")  # no audit trail at all: nothing says an import created it

    report = _import(_file(SOLVED))

    assert (report.created, report.unchanged, report.failed) == (0, 0, 1)
    assert report.errors[0]["errors"] == CLASH


def test_importing_again_keeps_imported_tickets_unchanged_and_the_clash_reported(setup, import_path):
    from app.tickets.services import tickets as ticket_services

    live = ticket_services.open_ticket(subject="Live", customer={"email": "live@example.com"}, actor=None)
    text = _file(SOLVED, {**LATE, "reference": live.reference}, LATE)
    first = _import(text)
    before = _snapshot()

    again = _import(text)

    assert (first.created, first.unchanged, first.failed) == (2, 0, 1)
    assert (again.created, again.unchanged, again.failed) == (0, 2, 1)
    assert again.errors == first.errors == [{"line": 2, "reference": live.reference, "errors": CLASH}]
    assert _snapshot() == before


def test_a_follow_up_started_by_a_replay_is_not_an_imported_ticket(setup):
    line = _worked("W-9", 39)
    line["events"].append({"at": "2024-03-09T08:00:00Z", "kind": "public_reply", "body": "Hello again"})
    _import(_file(line))
    follow_up = db.session.scalar(select(Ticket).where(Ticket.follow_up_of_id == _ticket("W-9").id))

    report = _import(_file(line, {**SOLVED, "reference": follow_up.reference}))

    assert (report.created, report.unchanged, report.failed) == (0, 1, 1)
    assert report.errors[0]["errors"] == CLASH


def test_a_reference_given_twice_in_one_file_lands_once(setup):
    report = _import(_file(SOLVED, {**SOLVED, "subject": "Another"}))

    assert (report.created, report.unchanged) == (1, 1)
    assert _ticket("ZD-1").subject == "Invoice is wrong"


def test_progress_is_reported_line_by_line(setup):
    seen = []

    _import(MIXED, on_progress=lambda done, total: seen.append((done, total)), total=8)

    assert seen == [(n, 8) for n in range(1, 9)]


def test_lines_are_committed_in_batches(setup, monkeypatch):
    monkeypatch.setattr(history, "BATCH_SIZE", 2)

    report = _import(MIXED)

    assert (report.created, report.failed) == (2, 6)
    assert _count(Ticket) == 2


# -- large files: worker processes ------------------------------------------------------------------

postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def two_workers(app, monkeypatch):
    """Two worker processes, and batches small enough that the test's files are large."""
    app.config["TICKET_IMPORT_WORKERS"] = 2
    monkeypatch.setattr(history, "BATCH_SIZE", 2)


@postgresql
def test_a_large_file_is_shared_out_among_workers_and_lands_as_in_one_process(
    setup, two_workers, monkeypatch
):
    shared = []
    real = history._shares
    monkeypatch.setattr(history, "_shares", lambda *args: shared.append(real(*args)) or shared[-1])
    seen = []

    parallel = _import(
        _file(*_history("P-"), BAD[3], BAD[0]),
        on_progress=lambda done, total: seen.append((done, total)),
        total=10,
    )

    history.current_app.config["TICKET_IMPORT_WORKERS"] = 1
    one = _import(_file(*_history("S-"), BAD[3], BAD[0]))
    assert [len(share) for share in shared[0]] == [5, 5]
    assert seen == [(n, 10) for n in range(1, 11)]
    assert (parallel.created, parallel.unchanged, parallel.failed) == (one.created, one.unchanged, one.failed)
    assert (parallel.created, parallel.unchanged, parallel.failed) == (7, 1, 2)
    assert [(e["line"], e["errors"]) for e in parallel.errors] == [
        (e["line"], e["errors"]) for e in one.errors
    ]
    for line in _history(""):
        if line["subject"] != "Twice":
            assert _outcome(f"P-{line['reference']}") == _outcome(f"S-{line['reference']}"), line["reference"]
    customers = {line["customer"].get("email") or line["customer"]["phone"] for line in _history("")}
    assert _count(Customer) == len(customers)  # none added twice


def test_lines_that_could_meet_go_to_the_same_worker(setup):
    from tests.customer_factories import CustomerFactory

    CustomerFactory(emails=["old@example.com"], phones=["+14155550100"])
    lines = [
        {"reference": "A-1", "customer": {"email": "Jane@Example.com"}},
        {"reference": "A-2", "customer": {"email": " jane@example.com", "phone": "+1 415 555 0199"}},
        {"reference": "B-1", "customer": {"email": "old@example.com"}},
        {"reference": "A-3", "customer": {"phone": "(415) 555-0199"}},
        {"reference": "B-2", "customer": {"phone": "+1 415-555-0100"}},  # the same customer as B-1
        {"reference": "C-1", "customer": {"email": "carl@example.com"}},
        {"reference": "D-1", "customer": {"email": "dora@example.com"}},
        {"reference": "C-1", "customer": {"email": "someone.else@example.com"}},  # C-1's reference again
        "not JSON",
    ]
    numbered = list(enumerate((json.dumps(line) for line in lines), start=1))

    shares = history._shares(numbered, 2)

    worker = {number: n for n, share in enumerate(shares) for number, _ in share}
    assert [[number for number, _ in share] for share in shares] == [[1, 2, 4, 7, 9], [3, 5, 6, 8]]
    assert worker[1] == worker[2] == worker[4]
    assert worker[3] == worker[5]
    assert worker[6] == worker[8]


@postgresql
def test_a_worker_that_stops_stops_the_import(setup, two_workers, monkeypatch):
    real = history._import_chunk

    def failing(connection, parsed, *args):
        if any(line.reference == "W-2" for line in parsed):
            raise RuntimeError("disk full")
        return real(connection, parsed, *args)

    monkeypatch.setattr(history, "_import_chunk", failing)

    with pytest.raises(history.ImportWorkerFailed, match="disk full"):
        _import(_file(*_history("")))

    assert _count(Ticket, Ticket.reference == "W-2") == 0


# -- the command line ---------------------------------------------------------------------------------


def test_cli_imports_a_file_and_fails_when_a_line_failed(app, setup, tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(MIXED, encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["tickets", "import", str(path)])

    assert result.exit_code == 1
    assert "8 lines: 2 created, 0 unchanged, 6 failed." in result.output
    assert "line 6 (BAD-2): queue: No queue named Nowhere." in result.output
    assert "line 8 (BAD-4): events.1.to: Allowed from open: on_hold, pending, solved." in result.output
    assert _count(Ticket) == 2


def test_cli_exits_0_when_every_line_landed_and_again_when_nothing_changed(app, setup, tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(_file(SOLVED, LATE), encoding="utf-8-sig")
    runner = app.test_cli_runner()

    first = runner.invoke(args=["tickets", "import", str(path)])
    second = runner.invoke(args=["tickets", "import", str(path)])

    assert first.exit_code == 0, first.output
    assert "2 lines: 2 created, 0 unchanged, 0 failed." in first.output
    assert second.exit_code == 0, second.output
    assert "2 lines: 0 created, 2 unchanged, 0 failed." in second.output


def test_cli_refuses_a_file_that_is_not_utf8(app, tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_bytes(b'{"subject": "J\xe9r\xf4me"}\n')

    result = app.test_cli_runner().invoke(args=["tickets", "import", str(path)])

    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.output


# -- the API and its job ------------------------------------------------------------------------------


def _upload(client, content: bytes, filename: str = "history.jsonl"):
    return upload(client, URL, content, filename)


def test_api_import_runs_as_a_job_and_reports(as_supervisor, supervisor, setup):
    response = _upload(as_supervisor, MIXED.encode())

    assert response.status_code == 202, response.json
    body = response.json
    # Tests run jobs inline (RQ_ASYNC off), so the import is finished already.
    assert body["status"] == "done"
    assert (body["lines"], body["processed"], body["created"], body["unchanged"], body["failed"]) == (
        8,
        8,
        2,
        0,
        6,
    )
    assert body["created_by_id"] == supervisor.id
    polled = as_supervisor.get(f"{URL}/{body['id']}").json
    assert polled["errors"] == _import(MIXED).errors  # the same lines, found again on a second run
    assert polled["errors"][1] == {
        "line": 5,
        "reference": "BAD-1",
        "errors": {"subject": ["Field may not be null."]},
    }
    created = _events(_ticket("ZD-1"))[0]
    assert (created.actor_id, created.actor_kind) == (supervisor.id, "import")


def test_running_a_finished_import_again_changes_nothing(as_supervisor, setup):
    import_id = _upload(as_supervisor, MIXED.encode()).json["id"]
    before = _snapshot()

    record = history.run_history_import(import_id)

    assert (record.status, record.created_count) == ("done", 2)
    assert _snapshot() == before


def test_the_job_rerun_after_a_crash_finishes_the_import(as_supervisor, setup):
    record = TicketImport(filename="h.jsonl", content=MIXED, status="running", line_count=8)
    db.session.add(record)
    db.session.commit()
    _import(_file(SOLVED))  # what the crashed run had committed

    record = history.run_history_import(record.id)

    assert (record.status, record.created_count, record.unchanged_count, record.failed_count) == (
        "done",
        1,
        1,
        6,
    )
    assert _count(Ticket) == 2


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b'{"reference": "A"}\n', "history.csv"),
        (b'{"subject": "J\xe9r\xf4me"}\n', "history.jsonl"),
        (b"\n\n  \n", "history.jsonl"),
        (b'{"subject": "a\x00"}\n', "history.ndjson"),
    ],
)
def test_api_refuses_files_that_cannot_be_imported(as_supervisor, content, filename):
    response = _upload(as_supervisor, content, filename)

    assert response.status_code == 422
    assert "file" in response.json["errors"]
    assert _count(TicketImport) == 0


def test_api_refuses_a_file_over_the_size_limit(app, as_supervisor):
    app.config["TICKET_IMPORT_MAX_BYTES"] = 100

    response = _upload(as_supervisor, _file(SOLVED).encode())

    assert response.status_code == 422
    assert response.json["errors"] == {"file": ["At most 100 bytes."]}


def test_api_takes_files_beyond_the_general_request_limit(app, as_supervisor, setup):
    app.config["MAX_CONTENT_LENGTH"] = 1000

    response = _upload(as_supervisor, _file(SOLVED, LATE, *BAD).encode())

    assert response.status_code == 202, response.json
    assert response.json["created"] == 2


def test_api_needs_a_file(as_supervisor):
    response = as_supervisor.post(URL, data={}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "file" in response.json["errors"]


def test_an_unknown_import_is_404(as_supervisor):
    assert as_supervisor.get(f"{URL}/999").status_code == 404
    assert as_supervisor.get(f"{URL}/{2**40}").status_code == 404


def test_agents_may_not_import(as_agent, setup):
    assert _upload(as_agent, _file(SOLVED).encode()).status_code == 403
    assert as_agent.get(f"{URL}/1").status_code == 403
    assert _count(Ticket) == 0


def test_admins_may_import(as_admin, setup):
    assert _upload(as_admin, _file(SOLVED).encode()).status_code == 202


def _lines(count: int) -> list[dict]:
    return [
        {
            "reference": f"KILL-{n}",
            "subject": f"Ticket {n}",
            "customer": _customer(n),
            "created_at": "2024-03-01T09:00:00Z",
        }
        for n in range(count)
    ]


def test_an_import_whose_worker_died_after_a_batch_is_taken_over_and_lands_every_line_once(
    app, as_supervisor, setup, monkeypatch
):
    monkeypatch.setattr(history, "BATCH_SIZE", 3)
    # Seven tickets and a bad line, in three batches: the worker dies once the first has committed.
    content = _file(*_lines(4), _bad("BAD-K", 99, subject=None), *_lines(7)[4:])
    import_chunk = history._import_chunk
    batches = []

    def dying_after_one_batch(*args):
        if batches:
            raise SystemExit("killed")  # a kill: nothing of the run's own error handling happens
        batches.append(1)
        import_chunk(*args)

    monkeypatch.setattr(history, "_import_chunk", dying_after_one_batch)
    with pytest.raises(SystemExit):
        history.run_history_import(_upload_held(as_supervisor, content, monkeypatch))
    monkeypatch.setattr(history, "_import_chunk", import_chunk)
    [record] = db.session.scalars(select(TicketImport)).all()
    db.session.refresh(record)
    assert (record.status, record.processed_count, record.created_count) == ("running", 3, 3)

    # Another job, while the dead run's heartbeat is fresh, leaves the import to it...
    assert history.run_history_import(record.id).status == "running"
    # ...and takes it over once the heartbeat has lapsed.
    record.heartbeat_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    record = history.run_history_import(record.id)

    assert (record.status, record.processed_count, record.line_count, record.attempts) == ("done", 8, 8, 2)
    assert (record.created_count, record.unchanged_count, record.failed_count) == (7, 0, 1)
    assert [error["reference"] for error in record.errors] == ["BAD-K"]
    assert _count(Ticket) == 7
    assert _count(Customer) == 7


def _upload_held(client, content: str, monkeypatch) -> int:
    """An upload whose job is not run (a worker takes it later)."""
    with monkeypatch.context() as held:
        held.setattr(imports, "enqueue", lambda *args, **kwargs: None)
        return _upload(client, content.encode()).json["id"]


# -- complaints and assignees as other desks keep them --------------------------------------------------


def _complaint_line(reference: str, n: int, *statuses: str, **details) -> dict:
    """A complaint of `_bad`'s shape, moved through `statuses` an hour apart from 10:00."""
    return {
        **_bad(reference, n),
        "type": "complaint",
        **details,
        "events": [
            {"at": f"2024-03-03T{10 + hour:02d}:00:00Z", "kind": "status", "to": status}
            for hour, status in enumerate(statuses)
        ],
    }


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "line-by-line"])
def test_a_complaint_without_details_imports_as_other_and_medium_with_a_stage_its_status_says(
    setup, monkeypatch, batch
):
    if not batch:
        monkeypatch.setattr(history, "_import_batch", lambda *args: False)

    report = _import(
        _file(
            _complaint_line("K-1", 41),
            _complaint_line("K-2", 42, "open", "pending"),
            _complaint_line("K-3", 43, "solved"),
            _complaint_line("K-4", 44, "solved", "closed"),
        )
    )

    assert (report.created, report.failed) == (4, 0), report.errors
    found = {
        reference: (
            _ticket(reference).status,
            _ticket(reference).complaint.category,
            _ticket(reference).complaint.severity,
            _ticket(reference).complaint.stage,
        )
        for reference in ("K-1", "K-2", "K-3", "K-4")
    }
    assert found == {
        "K-1": ("new", "other", "medium", "received"),
        "K-2": ("pending", "other", "medium", "received"),
        "K-3": ("solved", "other", "medium", "resolved"),
        "K-4": ("closed", "other", "medium", "resolved"),
    }


def test_a_complaint_carries_the_details_the_other_desk_kept(setup):
    details = {
        "category": "delivery",
        "severity": "critical",
        "desired_outcome": "refund",
        "root_cause": "The courier lost the parcel.",
        "remedy": "Refunded and resent.",
    }

    report = _import(_file(_complaint_line("K-5", 45, "solved", "closed", complaint=details)))

    assert report.created == 1, report.errors
    complaint = _ticket("K-5").complaint
    assert {name: getattr(complaint, name) for name in details} == details
    assert complaint.stage == "resolved"


def test_a_complaint_with_some_details_gets_the_defaults_for_the_rest(setup):
    _import(_file(_complaint_line("K-6", 46, complaint={"severity": "high", "category": None})))

    complaint = _ticket("K-6").complaint
    assert (complaint.category, complaint.severity, complaint.desired_outcome) == ("other", "high", None)


def test_an_assignee_takes_the_ticket_with_the_events_of_a_live_claim(app, setup):
    from app.tickets import services as tickets

    live = tickets.open_ticket(
        subject="Live", customer={"name": "Live", "email": "live@example.com"}, actor=None
    )
    tickets.claim_ticket(live.id, actor=setup["ann"])
    claimed = [
        (e.kind, e.field, e.old_value, e.new_value, e.actor_id) for e in _events(live) if e.kind != "created"
    ]

    _import(_file(_bad("K-7", 47, assignee_email="ann@desk.example")))

    imported = _ticket("K-7")
    assert imported.status == "open"
    taken = [e for e in _events(imported) if e.kind in ("assigned", "status")]
    assert [(e.kind, e.field, e.old_value, e.new_value, e.actor_id) for e in taken] == claimed
    assert {e.actor_kind for e in taken} == {"import"}
