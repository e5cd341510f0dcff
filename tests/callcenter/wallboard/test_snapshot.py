"""The wallboard's snapshot: each queue's figures from known rows, with the shared KPI definitions
(service level, abandonment, speed of answer over today's calls; short abandons count in no rate)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.callcenter.calls.models import CallStatus
from app.callcenter.models import BreakReason
from app.callcenter.routing.models import WorkKind, WorkStatus
from app.callcenter.wallboard import services
from app.errors import Forbidden
from tests.callcenter.wallboard.rows import NOW, ago, call, later, presence, save, target, work
from tests.factories import AgentFactory, TeamFactory
from tests.helpers import statements_seen
from tests.ticket_factories import QueueFactory, SlaPolicyFactory, TicketFactory


def row_of(snapshot, queue):
    return next(row for row in snapshot["queues"] if row["id"] == queue.id)


def test_service_level_abandonment_and_speed_of_answer_follow_the_kpi_definitions(app, supervisor):
    queue = QueueFactory()
    call(queue, offered=ago(600), answered_after=10)  # in time
    call(queue, offered=ago(500), answered_after=20)  # in time: exactly the threshold
    call(queue, offered=ago(400), answered_after=45)  # late
    call(queue, offered=ago(300), abandoned_after=3)  # a short abandon: counts in no rate
    call(queue, offered=ago(200), abandoned_after=30)  # abandoned
    call(queue, offered=ago(60))  # still in the queue: offered, not answered
    call(queue, offered=ago(13 * 3600), answered_after=5)  # yesterday's

    row = row_of(services.wallboard_snapshot(viewer=supervisor), queue)

    assert row["calls"] == {
        "offered": 6,
        "answered": 3,
        "answered_in_time": 2,
        "abandoned": 2,
        "short_abandons": 1,
    }
    assert row["service_level_percent"] == 40.0  # 2 ÷ (6 - 1)
    assert row["abandonment_percent"] == 20.0  # (2 - 1) ÷ (6 - 1)
    assert row["average_speed_of_answer_seconds"] == 25.0  # (10 + 20 + 45) ÷ 3


def test_the_threshold_of_service_level_is_a_setting(app, supervisor):
    app.config["WALLBOARD_SERVICE_LEVEL_SECONDS"] = 30
    queue = QueueFactory()
    call(queue, offered=ago(600), answered_after=25)
    call(queue, offered=ago(500), answered_after=31)

    assert row_of(services.wallboard_snapshot(viewer=supervisor), queue)["service_level_percent"] == 50.0


def test_a_queue_without_calls_has_no_rates_rather_than_zero(app, supervisor):
    queue = QueueFactory()
    call(queue, offered=ago(30), abandoned_after=2)  # only a short abandon: nothing to divide by

    row = row_of(services.wallboard_snapshot(viewer=supervisor), queue)

    assert row["service_level_percent"] is None
    assert row["abandonment_percent"] is None
    assert row["average_speed_of_answer_seconds"] is None


def test_today_is_the_desks_day_in_its_time_zone(app, supervisor):
    app.config["WALLBOARD_TIMEZONE"] = "Asia/Shanghai"  # 12:00 UTC is 20:00 there; its day began 16:00 UTC
    queue = QueueFactory()
    call(queue, offered=NOW.replace(hour=16, minute=30) - timedelta(days=1), answered_after=5)  # today there
    call(queue, offered=NOW.replace(hour=15, minute=30) - timedelta(days=1), answered_after=5)  # yesterday

    snapshot = services.wallboard_snapshot(viewer=supervisor)

    assert snapshot["day"]["started_at"] == NOW.replace(hour=16) - timedelta(days=1)
    assert snapshot["day"]["ends_at"] == NOW.replace(hour=16)
    assert row_of(snapshot, queue)["calls"]["offered"] == 1


def test_waiting_work_by_kind_and_the_longest_wait(app, supervisor):
    queue, other = QueueFactory(), QueueFactory()
    work(queue, WorkKind.CALL, since=ago(90))
    work(queue, WorkKind.TICKET, since=ago(300))
    work(queue, WorkKind.TICKET, since=ago(30), status=WorkStatus.OFFERED)
    work(queue, WorkKind.CALLBACK, since=ago(900), not_before=later(600))  # asked for later: not waiting yet
    work(queue, WorkKind.CALLBACK, since=ago(100), not_before=ago(50))
    work(queue, WorkKind.TICKET, since=ago(5000), status=WorkStatus.ASSIGNED)
    work(other, WorkKind.CALL, since=ago(10))
    work(None, WorkKind.TICKET, since=ago(20))

    snapshot = services.wallboard_snapshot(viewer=supervisor)
    row = row_of(snapshot, queue)

    assert row["waiting"] == {"calls": 1, "tickets": 2, "callbacks": 1}
    assert row["waiting_total"] == 4
    assert row["longest_wait_seconds"] == 300
    assert row["oldest_waiting_since"] == ago(300)
    assert snapshot["totals"]["waiting"] == {"calls": 2, "tickets": 3, "callbacks": 1}
    assert snapshot["totals"]["longest_wait_seconds"] == 300


def test_agents_by_state_are_the_teams_members_or_everyone_for_a_queue_without_a_team(app, supervisor):
    lunch = save(BreakReason(name="Lunch"))
    ann, bob, cy = AgentFactory(name="Ann"), AgentFactory(name="Bob"), AgentFactory(name="Cy")
    team = TeamFactory(members=[ann, bob])
    served, everyones = QueueFactory(team=team), QueueFactory()
    presence(ann, "available", since=ago(120))
    presence(bob, "break", since=ago(60), reason=lunch)
    presence(supervisor, "busy", since=ago(10))  # a supervisor who opened a console counts too

    snapshot = services.wallboard_snapshot(viewer=supervisor)

    counts = {"available": 1, "busy": 0, "wrap_up": 0, "break": 1, "offline": 0}
    assert row_of(snapshot, served)["agents"] == counts
    assert row_of(snapshot, everyones)["agents"] == counts | {"busy": 1, "offline": 1}
    by_name = {agent["name"]: agent for agent in snapshot["agents"]}
    assert (by_name["Ann"]["state"], by_name["Ann"]["since"], by_name["Ann"]["team_ids"]) == (
        "available",
        ago(120),
        [team.id],
    )
    assert (by_name["Bob"]["state"], by_name["Bob"]["reason"]) == ("break", "Lunch")
    assert (by_name["Cy"]["state"], by_name["Cy"]["since"]) == ("offline", None)  # never connected
    assert cy.id in {agent["id"] for agent in snapshot["agents"]}
    assert snapshot["totals"]["agents"] == counts | {"busy": 1, "offline": 1}


def test_sla_at_risk_counts_tickets_due_within_their_warning_window_or_overdue(app, supervisor):
    queue = QueueFactory()
    hour_warning, short_warning = (
        SlaPolicyFactory(warning_seconds=3600),
        SlaPolicyFactory(warning_seconds=600),
    )
    soon = TicketFactory(queue=queue, status="open")
    target(soon, due=later(1800), policy=hour_warning)
    overdue = TicketFactory(queue=queue, status="open")
    target(overdue, due=ago(600), policy=hour_warning)
    target(overdue, due=later(600), policy=hour_warning, kind="resolution")  # one ticket, counted once
    default = TicketFactory(queue=queue, status="new")
    target(default, due=later(3000))  # the built-in policies' window: SLA_WARNING_SECONDS (an hour)
    target(TicketFactory(queue=queue, status="open"), due=later(7200), policy=hour_warning)  # not yet
    target(TicketFactory(queue=queue, status="open"), due=later(1200), policy=short_warning)  # not yet
    target(TicketFactory(queue=queue, status="solved"), due=ago(60), policy=hour_warning)  # done
    target(TicketFactory(queue=queue, status="open"), due=ago(60), policy=hour_warning, met=True)  # met

    row = row_of(services.wallboard_snapshot(viewer=supervisor), queue)

    assert (row["sla"]["at_risk"], row["sla"]["breached"]) == (3, 1)
    listed = [(ticket["id"], ticket["breached"], ticket["due_at"]) for ticket in row["sla"]["tickets"]]
    assert listed == [
        (overdue.id, True, ago(600)),
        (soon.id, False, later(1800)),
        (default.id, False, later(3000)),
    ]


def test_only_the_most_urgent_at_risk_tickets_are_listed_but_all_are_counted(app, supervisor):
    queue = QueueFactory()
    for minutes in range(services.AT_RISK_LISTED + 3):
        target(TicketFactory(queue=queue, status="open"), due=later(60 * minutes + 60))

    row = row_of(services.wallboard_snapshot(viewer=supervisor), queue)

    assert row["sla"]["at_risk"] == services.AT_RISK_LISTED + 3
    assert len(row["sla"]["tickets"]) == services.AT_RISK_LISTED


def test_agents_may_not_see_the_wallboard(app, agent):
    with pytest.raises(Forbidden):
        services.wallboard_snapshot(viewer=agent)


def test_the_snapshot_costs_the_same_few_queries_for_many_queues_and_agents(app, supervisor):
    from app.extensions import db

    teams = [TeamFactory() for _ in range(3)]
    for number in range(12):
        queue = QueueFactory(team=teams[number % 3] if number % 4 else None)
        work(queue, WorkKind.CALL, since=ago(number))
        call(queue, offered=ago(100 + number), answered_after=number)
    for number in range(30):
        person = AgentFactory(teams=[teams[number % 3]])
        presence(person, "available", since=ago(number))

    with statements_seen(db.engine) as statements:
        snapshot = services.wallboard_snapshot(viewer=supervisor)

    assert len(snapshot["queues"]) == 12 and len(snapshot["agents"]) == 30
    assert len(statements) <= 8


def test_the_api_answers_the_snapshot_to_supervisors_and_refuses_agents(app, as_supervisor, as_agent):
    queue = QueueFactory()
    work(queue, WorkKind.CALL, since=ago(42))
    call(queue, offered=ago(100), answered_after=12, status=CallStatus.ENDED)

    answer = as_supervisor.get("/api/v1/callcenter/wallboard")

    assert answer.status_code == 200
    row = next(row for row in answer.json["queues"] if row["id"] == queue.id)
    assert row["waiting"]["calls"] == 1
    assert row["longest_wait_seconds"] == 42
    assert row["service_level_percent"] == 100.0
    assert row["agents"]["break"] == 0
    assert answer.json["thresholds"]["service_level_seconds"] == 20
    assert answer.json["seq"] == 0
    assert as_agent.get("/api/v1/callcenter/wallboard").status_code == 403
