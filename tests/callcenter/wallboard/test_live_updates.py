"""The wallboard refreshed by events: each signal of presence, work, calls and tickets publishes
`wallboard.changed` with the figures it moved, and bursts are coalesced without losing the last change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from app.accounts import services as accounts
from app.callcenter.calls.models import CallStatus
from app.callcenter.calls.signals import call_changed
from app.callcenter.live import WALLBOARD_NAMESPACE
from app.callcenter.presence.signals import presence_changed
from app.callcenter.routing.models import WorkKind, WorkStatus
from app.callcenter.routing.signals import offer_made, work_changed
from app.callcenter.wallboard import services
from app.extensions import db, socketio
from app.queue import get_queue
from app.tickets.signals import sla_warning, ticket_assigned
from tests.callcenter.wallboard.rows import ago, call, later, presence, target, work
from tests.factories import AgentFactory, TeamFactory
from tests.ticket_factories import QueueFactory, TicketFactory


@pytest.fixture
def board(app, supervisor):
    _token, raw = accounts.create_api_token(supervisor.id)
    return socketio.test_client(app, namespace=WALLBOARD_NAMESPACE, auth={"token": raw})


def changes(board):
    return [
        event["args"][0]
        for event in board.get_received(WALLBOARD_NAMESPACE)
        if event["name"] == "wallboard.changed"
    ]


def announce_work(item):
    work_changed.send(item, queue_id=item.queue_id, work_item_id=item.id, status=item.status)


def run_scheduled_refreshes() -> int:
    """Run the trailing recomputations booked for later, as the scheduler would once their time came."""
    queue = get_queue()
    registry = ScheduledJobRegistry(queue=queue)
    ran = 0
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=queue.connection)
        registry.remove(job)
        job.perform()
        ran += 1
    return ran


def test_an_agents_change_of_state_publishes_their_row_and_each_queues_counts(app, board):
    ann = AgentFactory(name="Ann")
    served = QueueFactory(team=TeamFactory(members=[ann]))
    row = presence(ann, "busy", since=ago(3))

    presence_changed.send(
        row, agent_id=ann.id, state="busy", previous="available", reason_id=None, actor_id=None
    )

    [change] = changes(board)
    assert (change["queue_id"], change["agent_id"]) == (None, ann.id)
    assert [(agent["name"], agent["state"], agent["since"]) for agent in change["agents"]] == [
        ("Ann", "busy", ago(3).isoformat())
    ]
    counts = {queue["id"]: queue["agents"] for queue in change["queues"]}
    assert counts[served.id] == {"available": 0, "busy": 1, "wrap_up": 0, "break": 0, "offline": 0}
    assert change["totals"]["agents"]["busy"] == 1
    assert change["seq"] == 1


def test_new_waiting_work_publishes_its_queues_row(app, board):
    queue = QueueFactory(name="Billing")
    work(queue, WorkKind.CALL, since=ago(40))
    item = work(queue, WorkKind.TICKET, since=ago(10))

    announce_work(item)

    [change] = changes(board)
    [row] = change["queues"]
    assert (change["queue_id"], row["id"], row["name"]) == (queue.id, queue.id, "Billing")
    assert row["waiting"] == {"calls": 1, "tickets": 1, "callbacks": 0}
    assert row["longest_wait_seconds"] == 40
    assert change["totals"]["waiting_total"] == 2


def test_a_calls_change_publishes_todays_service_level(app, board):
    queue = QueueFactory()
    call(queue, offered=ago(300), answered_after=5)
    answered_late = call(queue, offered=ago(200), answered_after=50)

    call_changed.send(
        answered_late,
        call_id=answered_late.id,
        status=CallStatus.ENDED,
        queue_id=queue.id,
        agent_id=None,
    )

    [change] = changes(board)
    assert change["queues"][0]["service_level_percent"] == 50.0
    assert change["totals"]["service_level_percent"] == 50.0


def test_an_sla_warning_publishes_the_queues_tickets_at_risk(app, board):
    queue = QueueFactory()
    ticket = TicketFactory(queue=queue, status="open")
    flagged = target(ticket, due=later(600))

    sla_warning.send(ticket, target=flagged)

    [change] = changes(board)
    assert change["queues"][0]["sla"]["at_risk"] == 1
    assert change["queues"][0]["sla"]["tickets"][0]["id"] == ticket.id


def test_a_reassigned_ticket_shows_its_new_assignee_and_reaches_whoever_follows_them(app, board, supervisor):
    queue = QueueFactory()
    fay = AgentFactory(name="Fay")
    ticket = TicketFactory(queue=queue, status="open", assignee_id=fay.id)
    target(ticket, due=ago(60))
    board.emit("follow", {"agent_id": fay.id}, namespace=WALLBOARD_NAMESPACE, callback=True)

    ticket_assigned.send(ticket, actor=supervisor, previous_assignee_id=None)

    received = board.get_received(WALLBOARD_NAMESPACE)
    news = [event["args"][0] for event in received if event["name"] == "wallboard.agent_event"]
    assert [(event["kind"], event["ticket_id"], event["actor_id"]) for event in news] == [
        ("ticket.assigned", ticket.id, supervisor.id)
    ]
    [change] = [event["args"][0] for event in received if event["name"] == "wallboard.changed"]
    assert change["queues"][0]["sla"]["tickets"][0]["assignee"] == "Fay"


def test_an_offer_reaches_whoever_follows_the_agent(app, board):
    fay = AgentFactory()
    board.emit("follow", {"agent_id": fay.id}, namespace=WALLBOARD_NAMESPACE, callback=True)

    offer_made.send(object(), offer_id=5, agent_id=fay.id, work_item_id=9)

    [news] = [
        e["args"][0] for e in board.get_received(WALLBOARD_NAMESPACE) if e["name"] == "wallboard.agent_event"
    ]
    assert (news["kind"], news["offer_id"], news["work_item_id"]) == ("offer.new", 5, 9)


def test_a_burst_is_coalesced_and_its_last_change_is_never_lost(app, board):
    # A window no test run outlasts: what happens is decided by the order of changes, not the clock.
    app.config["WALLBOARD_COALESCE_MS"] = 60_000
    queue = QueueFactory()

    first = work(queue, WorkKind.CALL, since=ago(30))
    announce_work(first)  # the first of a window: published at once
    second = work(queue, WorkKind.CALL, since=ago(20))
    announce_work(second)  # within the window: left to the trailing run
    third = work(queue, WorkKind.CALL, since=ago(10))
    announce_work(third)  # the trailing run is booked already

    assert [change["queues"][0]["waiting"]["calls"] for change in changes(board)] == [1]
    assert run_scheduled_refreshes() == 1  # one trailing run for the whole burst
    assert [change["queues"][0]["waiting"]["calls"] for change in changes(board)] == [3]

    third.status = WorkStatus.ASSIGNED
    db.session.commit()
    announce_work(third)  # the trailing run released its mark: a change after it books another

    assert changes(board) == []
    assert run_scheduled_refreshes() == 1
    assert [change["queues"][0]["waiting"]["calls"] for change in changes(board)] == [2]


def test_a_change_while_the_trailing_run_reads_books_the_next_one(app, board, monkeypatch):
    app.config["WALLBOARD_COALESCE_MS"] = 60_000
    queue = QueueFactory()
    announce_work(work(queue, WorkKind.CALL, since=ago(30)))
    announce_work(work(queue, WorkKind.CALL, since=ago(20)))
    late = []
    compute = services.queue_change

    def with_a_change_arriving(queue_id):
        if not late:  # another process commits and announces while this run reads
            late.append(work(queue, WorkKind.CALL, since=ago(5)))
            announce_work(late[0])
        return compute(queue_id)

    monkeypatch.setattr(services, "queue_change", with_a_change_arriving)
    changes(board)

    assert run_scheduled_refreshes() == 1
    assert run_scheduled_refreshes() == 1  # booked by the change that came during the first
    assert changes(board)[-1]["queues"][0]["waiting"]["calls"] == 3


def test_without_redis_a_change_is_not_an_error(app, redis_down):
    queue = QueueFactory()

    services.request_refresh(services.queue_scope(queue.id))  # logged and dropped: wallboards resync


def test_work_of_no_queue_updates_the_totals_only(app, board):
    item = work(None, WorkKind.TICKET, since=ago(15))

    announce_work(item)

    [change] = changes(board)
    assert (change["queue_id"], change["queues"]) == (None, [])
    assert change["totals"]["waiting"]["tickets"] == 1
    assert change["totals"]["oldest_waiting_since"] == (ago(15)).isoformat()


def test_a_deleted_queue_is_removed(app, board):
    queue = QueueFactory()
    queue_id = queue.id
    db.session.delete(queue)
    db.session.commit()

    services.publish_refresh(services.queue_scope(queue_id))

    assert changes(board)[0]["removed_queue_ids"] == [queue_id]


def test_the_snapshot_names_the_last_event_it_includes(app, board, supervisor):
    queue = QueueFactory()
    announce_work(work(queue, WorkKind.CALL, since=ago(30) - timedelta(seconds=1)))

    assert services.wallboard_snapshot(viewer=supervisor)["seq"] == 1
