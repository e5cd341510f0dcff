"""The call history import (`flask callcenter import FILE.jsonl`): past calls for the KPIs, kept by
their id (a file imported twice writes nothing new), bad lines reported by their number, and nothing
set in motion: no routing, no live events, no presence changes, no callbacks."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.callcenter.calls import services as calls
from app.callcenter.calls.models import Call, CallbackRequest
from app.callcenter.routing.models import WorkItem
from app.extensions import db
from tests.customer_factories import CustomerFactory
from tests.factories import AgentFactory
from tests.ticket_factories import QueueFactory

ANSWERED = {
    "id": "h-1",
    "queue": "Billing",
    "caller": "+14155550100",
    "offered_at": "2026-11-02T09:00:00Z",
    "answered_at": "2026-11-02T09:00:30Z",
    "ended_at": "2026-11-02T09:05:30Z",
    "agent_email": "alex@example.com",
    "hold_seconds": 60,
    "wrap_up_seconds": 45,
    "disposition": "resolved",
}
ABANDONED = {
    "id": "h-2",
    "queue": "Billing",
    "caller": "+14155550111",
    "offered_at": "2026-11-02T10:00:00Z",
    "abandoned_at": "2026-11-02T10:01:10Z",
}


def lines(*rows) -> list[str]:
    return [row if isinstance(row, str) else json.dumps(row) for row in rows]


def world():
    QueueFactory(name="Billing")
    return AgentFactory(email="alex@example.com"), CustomerFactory(phones=["+14155550100"])


def test_past_calls_are_imported_with_their_times_and_durations(app, presence_moves, routed):
    agent, customer = world()

    report = calls.import_call_history(lines(ANSWERED, ABANDONED))

    assert (report.created, report.unchanged, report.failed) == (2, 0, 0)
    answered, abandoned = db.session.scalars(select(Call).order_by(Call.external_id)).all()
    assert (answered.provider, answered.status, answered.agent_id, answered.customer_id) == (
        "import",
        "ended",
        agent.id,
        customer.id,
    )
    assert (answered.talk_seconds, answered.hold_seconds, answered.wrap_up_seconds) == (240, 60, 45)
    assert answered.disposition == "resolved"
    assert (abandoned.status, abandoned.abandoned_at.isoformat()) == (
        "abandoned",
        "2026-11-02T10:01:10+00:00",
    )
    # History sets nothing in motion.
    assert db.session.scalars(select(WorkItem)).all() == []
    assert db.session.scalars(select(CallbackRequest)).all() == []
    assert (presence_moves, routed) == ([], [])


def test_importing_a_file_again_writes_nothing_new(app):
    world()
    calls.import_call_history(lines(ANSWERED, ABANDONED))

    again = calls.import_call_history(lines(ANSWERED, ABANDONED))

    assert (again.created, again.unchanged, again.failed) == (0, 2, 0)
    assert db.session.query(Call).count() == 2


def test_bad_lines_are_reported_by_their_number_and_the_good_ones_imported(app):
    world()
    rows = lines(
        ANSWERED,
        "{not json",
        "",
        {**ABANDONED, "id": "h-3", "queue": "Nowhere"},
        {**ANSWERED, "id": "h-4", "agent_email": "ghost@example.com"},
        {**ANSWERED, "id": "h-5", "answered_at": "2026-11-02T08:00:00Z"},
        {"id": "h-6"},
        ["a", "list"],
        ABANDONED,
    )

    report = calls.import_call_history(rows)

    assert (report.created, report.failed) == (2, 6)
    failures = {failure["line"]: failure["errors"] for failure in report.errors}
    assert set(failures) == {2, 4, 5, 6, 7, 8}
    assert "line" in failures[2]
    assert failures[4] == {"queue": ["No queue named Nowhere."]}
    assert failures[5] == {"agent_email": ["No agent with the e-mail ghost@example.com."]}
    assert failures[6] == {"answered_at": ["Before the call was offered."]}
    assert "offered_at" in failures[7]
    assert {error["reference"] for error in report.errors if error["line"] in (4, 5)} == {"h-3", "h-4"}


def test_the_command_shows_progress_and_reports_bad_lines(app, tmp_path):
    world()
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines(ANSWERED, "{oops", ABANDONED)) + "\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["callcenter", "import", str(path)])

    assert result.exit_code == 1
    assert "3 lines: 2 created, 0 unchanged, 1 failed." in result.stdout
    assert "line 2" in result.stderr

    again = app.test_cli_runner().invoke(args=["callcenter", "import", str(path)])
    assert "3 lines: 0 created, 2 unchanged, 1 failed." in again.stdout
