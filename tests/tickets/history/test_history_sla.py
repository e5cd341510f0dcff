"""History left open: SLA targets already overdue when an imported ticket's replay ends.

The import records them breached as of their due time, as a breach met during the replay is, and tells
nobody; the periodic SLA check then has nothing of them to flag, mail or warn about. The batch path
and the line-by-line replay through the use cases come out the same.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.dbtypes import utcnow
from app.extensions import db
from app.notifications.models import Notification
from app.tickets.history import services as history
from app.tickets.models import Ticket, TicketEvent
from app.tickets.signals import sla_breached, sla_warning
from app.tickets.sla import services as sla
from app.tickets.sla.models import SlaTarget
from tests.factories import AgentFactory
from tests.helpers import captured
from tests.ticket_factories import QueueFactory
from tests.tickets.sla.sla_helpers import utc


@pytest.fixture
def setup(app):
    """Agents of the history, a queue, and a supervisor who would be mailed about live breaches."""
    return {
        "ann": AgentFactory(email="ann@desk.example", name="Ann"),
        "billing": QueueFactory(name="Billing"),
        "supervisor": AgentFactory(role="supervisor", email="sue@desk.example"),
    }


def _file(*lines: dict) -> list[str]:
    return [json.dumps(line) for line in lines]


def _import(*lines: dict) -> history.HistoryReport:
    return history.import_ticket_history(_file(*lines), actor=None)


def _ticket(reference: str) -> Ticket:
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def _targets(ticket: Ticket) -> dict[str, SlaTarget]:
    query = select(SlaTarget).where(SlaTarget.ticket_id == ticket.id).order_by(SlaTarget.id)
    return {target.kind: target for target in db.session.scalars(query)}


def _breach_events(ticket: Ticket) -> list[tuple]:
    query = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "sla_breached")
        .order_by(TicketEvent.id)
    )
    return [(e.field, e.at, e.actor_kind, e.new_value) for e in db.session.scalars(query)]


def _events_of_kind(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == kind))


def _mails(kind: str = "sla_breached") -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == kind))


# Open since March 2024, answered once late, then the customer wrote again: nobody answered that.
LEFT_OPEN = {
    "reference": "ZD-7",
    "subject": "Still waiting",
    "priority": "normal",
    "queue": "Billing",
    "customer": {"name": "Customer 7", "email": "c7@example.com"},
    "assignee_email": "ann@desk.example",
    "created_at": "2024-03-01T09:00:00Z",
    "events": [
        {
            "at": "2024-03-01T19:00:00Z",
            "kind": "public_reply",
            "author_email": "ann@desk.example",
            "body": "Hi",
        },
        {"at": "2024-03-02T08:00:00Z", "kind": "public_reply", "body": "Any news?"},
    ],
}
# Never answered at all.
UNANSWERED = {
    "reference": "ZD-8",
    "subject": "Hello?",
    "priority": "urgent",
    "customer": {"name": "Customer 8", "email": "c8@example.com"},
    "created_at": "2024-03-05T10:00:00Z",
}


def test_targets_overdue_when_the_replay_ends_are_breached_at_their_due_time(setup, import_path):
    with captured(sla_breached) as breached, captured(sla_warning) as warned:
        report = _import(LEFT_OPEN, UNANSWERED)

    assert (report.created, report.failed) == (2, 0), report.errors
    left_open = _targets(_ticket("ZD-7"))
    # Built-in normal targets (wall clock): first response 8 h (due 17:00, answered 19:00: breached by
    # the late reply), next response 24 h (from 02 Mar 08:00), resolution 5 days (from 01 Mar 09:00).
    assert {kind: (t.due_at, t.breached_at, t.met_at) for kind, t in left_open.items()} == {
        "first_response": (utc(2024, 3, 1, 17), utc(2024, 3, 1, 17), utc(2024, 3, 1, 19)),
        "next_response": (utc(2024, 3, 3, 8), utc(2024, 3, 3, 8), None),
        "resolution": (utc(2024, 3, 6, 9), utc(2024, 3, 6, 9), None),
    }
    assert _breach_events(_ticket("ZD-7")) == [
        ("first_response", utc(2024, 3, 1, 19), "system", "2024-03-01T17:00:00+00:00"),
        ("next_response", utc(2024, 3, 3, 8), "system", "2024-03-03T08:00:00+00:00"),
        ("resolution", utc(2024, 3, 6, 9), "system", "2024-03-06T09:00:00+00:00"),
    ]
    unanswered = _targets(_ticket("ZD-8"))
    assert {kind: (t.breached_at, t.met_at) for kind, t in unanswered.items()} == {
        "first_response": (utc(2024, 3, 5, 11), None),
        "resolution": (utc(2024, 3, 6, 10), None),
    }
    assert [event[:2] for event in _breach_events(_ticket("ZD-8"))] == [
        ("first_response", utc(2024, 3, 5, 11)),
        ("resolution", utc(2024, 3, 6, 10)),
    ]
    # Imports are silent: no mail to the supervisors, no live signal.
    assert _mails() == 0
    assert breached == warned == []


def test_the_next_sla_check_finds_nothing_of_the_history_to_flag(setup, import_path):
    _import(LEFT_OPEN, UNANSWERED)
    breaches_before = _events_of_kind("sla_breached")

    with captured(sla_breached) as breached, captured(sla_warning) as warned:
        result = sla.check_sla()

    assert result == {"breached": 0, "warned": 0}
    assert breached == warned == []
    assert _events_of_kind("sla_breached") == breaches_before
    assert _events_of_kind("sla_warning") == 0
    assert _mails() == 0


def test_a_target_overdue_by_minutes_is_recorded_silently_too(setup, import_path):
    # Due half an hour ago: recent enough that a breach noticed live would be mailed.
    created = utcnow().replace(microsecond=0) - timedelta(hours=8, minutes=30)
    line = {**UNANSWERED, "priority": "normal", "created_at": created.isoformat()}

    with captured(sla_breached) as breached, captured(sla_warning) as warned:
        _import(line)
        result = sla.check_sla()

    first = _targets(_ticket("ZD-8"))["first_response"]
    assert first.breached_at == first.due_at == created + timedelta(hours=8)
    assert result == {"breached": 0, "warned": 0}
    assert breached == warned == []
    assert _mails() == 0


def test_a_target_not_yet_due_keeps_running_and_is_watched_live(setup, import_path):
    created = utcnow().replace(microsecond=0) - timedelta(hours=7, minutes=30)
    line = {**UNANSWERED, "priority": "normal", "created_at": created.isoformat()}

    _import(line)

    targets = _targets(_ticket("ZD-8"))
    assert [(t.breached_at, t.warned_at) for t in targets.values()] == [(None, None), (None, None)]
    # Due in half an hour, within the default warning window: that is news, and the check says so.
    assert sla.check_sla() == {"breached": 0, "warned": 1}


def test_a_pending_ticket_keeps_its_stopped_clocks_and_its_past_breaches(setup, import_path):
    line = {
        **UNANSWERED,
        "priority": "normal",
        "events": [
            # First response due 18:00, given at 19:00 (breached); then waiting on the customer.
            {
                "at": "2024-03-05T19:00:00Z",
                "kind": "public_reply",
                "author_email": "ann@desk.example",
                "body": "Which invoice?",
                "to": "pending",
            }
        ],
    }

    with captured(sla_breached) as breached, captured(sla_warning) as warned:
        _import(line)
        result = sla.check_sla()

    targets = _targets(_ticket("ZD-8"))
    first = targets["first_response"]
    assert (first.due_at, first.breached_at, first.met_at) == (
        utc(2024, 3, 5, 18),
        utc(2024, 3, 5, 18),
        utc(2024, 3, 5, 19),
    )
    assert _breach_events(_ticket("ZD-8")) == [
        ("first_response", utc(2024, 3, 5, 19), "system", "2024-03-05T18:00:00+00:00")
    ]
    resolution = targets["resolution"]
    assert (resolution.due_at, resolution.breached_at) == (None, None)  # stopped, not overdue
    assert result == {"breached": 0, "warned": 0}
    assert breached == warned == []
    assert _mails() == 0


def test_the_follow_up_a_customer_started_after_the_close_is_breached_silently(setup):
    # A message on a closed ticket starts a follow-up (the line-by-line replay's use case does that).
    line = {
        **UNANSWERED,
        "assignee_email": "ann@desk.example",
        "events": [
            {
                "at": "2024-03-05T10:30:00Z",
                "kind": "status",
                "author_email": "ann@desk.example",
                "to": "solved",
            },
            {
                "at": "2024-03-05T10:45:00Z",
                "kind": "status",
                "author_email": "ann@desk.example",
                "to": "closed",
            },
            {"at": "2024-03-07T08:00:00Z", "kind": "public_reply", "body": "Hello again"},
        ],
    }

    with captured(sla_breached) as breached, captured(sla_warning) as warned:
        report = _import(line)
        result = sla.check_sla()

    assert (report.created, report.failed) == (1, 0), report.errors
    follow_up = db.session.scalar(select(Ticket).where(Ticket.follow_up_of_id == _ticket("ZD-8").id))
    assert {kind: t.breached_at for kind, t in _targets(follow_up).items()} == {
        "first_response": utc(2024, 3, 7, 9),
        "resolution": utc(2024, 3, 8, 8),
    }
    assert [event[:2] for event in _breach_events(follow_up)] == [
        ("first_response", utc(2024, 3, 7, 9)),
        ("resolution", utc(2024, 3, 8, 8)),
    ]
    assert result == {"breached": 0, "warned": 0}
    assert breached == warned == []
    assert _mails() == 0


def test_a_live_ticket_overdue_is_still_flagged_and_mailed_by_the_check(setup):
    """The import's silence is its own: the check still announces live tickets' breaches."""
    from tests.tickets.sla.sla_helpers import open_ticket

    ticket = open_ticket(utcnow() - timedelta(hours=9))

    with captured(sla_breached) as breached, captured(sla_warning) as warned:
        result = sla.check_sla()

    assert result["breached"] == 1
    assert (len(breached), warned) == (1, [])
    assert _mails() == 1
    assert _targets(ticket)["first_response"].breached_at is not None
