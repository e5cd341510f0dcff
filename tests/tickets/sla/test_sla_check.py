"""The periodic SLA check: breaches and near-breaches flagged from the database, once each.

Tickets here run on the built-in default for normal priority (wall clock: first response 8 h,
resolution 5 days) unless a test sets a policy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import ScheduledJobRegistry

from app.extensions import db
from app.queue import get_queue, make_worker
from app.tickets.signals import sla_breached, sla_warning
from app.tickets.sla import jobs
from app.tickets.sla import services as sla
from tests.ticket_factories import SlaPolicyFactory
from tests.tickets.sla.sla_helpers import (
    HOUR,
    agent_replies,
    audit_events,
    change_status,
    open_ticket,
    received,
    target,
    utc,
)

MONDAY_9 = utc(2026, 1, 5, 9)  # first response due 17:00, resolution Saturday 9:00


def test_a_target_past_due_is_breached_at_its_due_time_with_one_audit_event_and_one_signal(app):
    ticket = open_ticket(MONDAY_9)

    with received(sla_breached) as breaches:
        result = sla.check_sla(now=utc(2026, 1, 5, 17, 1))

    first = target(ticket, "first_response")
    assert first.breached_at == utc(2026, 1, 5, 17)  # when it was breached, not when the check ran
    assert first.met_at is None
    [event] = audit_events(ticket, "sla_breached")
    assert (event.actor_id, event.actor_kind, event.field) == (None, "system", "first_response")
    assert event.new_value == "2026-01-05T17:00:00+00:00"
    assert [(sent.id, got.id) for sent, got in breaches] == [(ticket.id, first.id)]
    assert result["breached"] == 1
    assert target(ticket, "resolution").breached_at is None


def test_a_second_run_flags_nothing_new(app):
    ticket = open_ticket(MONDAY_9)
    sla.check_sla(now=utc(2026, 1, 5, 17, 1))

    with received(sla_breached) as breaches, received(sla_warning) as warnings:
        result = sla.check_sla(now=utc(2026, 1, 5, 17, 2))

    assert result == {"breached": 0, "warned": 0}
    assert breaches == warnings == []
    assert len(audit_events(ticket, "sla_breached")) == 1


def test_a_missed_run_is_caught_up_by_the_next(app):
    ticket = open_ticket(MONDAY_9)

    sla.check_sla(now=utc(2026, 1, 5, 20))  # the runs around 17:00 never happened

    assert target(ticket, "first_response").breached_at == utc(2026, 1, 5, 17)


def test_the_breach_signal_carries_the_ticket_and_target_as_committed(app):
    ticket = open_ticket(MONDAY_9)
    seen = []

    def receiver(sender, target):
        db.session.rollback()  # what the receiver sees survives a rollback: it was committed
        seen.append((sender.reference, target.kind, target.breached_at))

    sla_breached.connect(receiver)
    try:
        sla.check_sla(now=utc(2026, 1, 5, 18))
    finally:
        sla_breached.disconnect(receiver)

    assert seen == [(ticket.reference, "first_response", utc(2026, 1, 5, 17))]


def test_met_paused_and_cancelled_targets_are_never_flagged(app):
    replied = open_ticket(MONDAY_9)
    agent_replies(replied, utc(2026, 1, 5, 10))
    waiting = open_ticket(MONDAY_9)
    change_status(waiting, "pending", utc(2026, 1, 5, 10))
    closed = open_ticket(MONDAY_9)
    change_status(closed, "closed", utc(2026, 1, 5, 10))

    result = sla.check_sla(now=utc(2026, 1, 5, 20))

    assert result == {"breached": 0, "warned": 0}
    assert [target(t, "first_response").breached_at for t in (replied, waiting, closed)] == [None] * 3


def test_many_late_targets_are_flagged_in_batches_each_once(app, monkeypatch):
    monkeypatch.setattr(sla, "BATCH_SIZE", 3)
    tickets = [open_ticket(MONDAY_9 + timedelta(minutes=i)) for i in range(10)]

    with received(sla_breached) as breaches:
        result = sla.check_sla(now=utc(2026, 1, 5, 18))

    assert result["breached"] == 10
    assert sorted(sent.id for sent, _ in breaches) == sorted(t.id for t in tickets)
    assert all(len(audit_events(t, "sla_breached")) == 1 for t in tickets)


# -- warnings ---------------------------------------------------------------------------------------


def test_a_target_due_within_the_warning_window_is_warned_once(app):
    ticket = open_ticket(MONDAY_9)  # the default window is an hour

    with received(sla_warning) as warnings:
        result = sla.check_sla(now=utc(2026, 1, 5, 16, 30))
        sla.check_sla(now=utc(2026, 1, 5, 16, 45))

    first = target(ticket, "first_response")
    assert first.warned_at == utc(2026, 1, 5, 16, 30)
    assert first.breached_at is None
    assert result == {"breached": 0, "warned": 1}
    assert [(sent.id, got.kind) for sent, got in warnings] == [(ticket.id, "first_response")]
    [event] = audit_events(ticket, "sla_warning")
    assert (event.field, event.new_value, event.actor_kind) == (
        "first_response",
        "2026-01-05T17:00:00+00:00",
        "system",
    )


def test_no_warning_before_the_window(app):
    ticket = open_ticket(MONDAY_9)

    assert sla.check_sla(now=utc(2026, 1, 5, 15, 59))["warned"] == 0
    assert target(ticket, "first_response").warned_at is None


def test_the_default_window_is_a_setting(app):
    app.config["SLA_WARNING_SECONDS"] = 3 * HOUR
    ticket = open_ticket(MONDAY_9)

    sla.check_sla(now=utc(2026, 1, 5, 14, 30))

    assert target(ticket, "first_response").warned_at == utc(2026, 1, 5, 14, 30)


def test_each_policy_sets_its_own_warning_window(app):
    SlaPolicyFactory(priority="high", first_response_seconds=4 * HOUR, warning_seconds=2 * HOUR)
    SlaPolicyFactory(priority="low", first_response_seconds=4 * HOUR, warning_seconds=0)  # never warn
    high, low, normal = (open_ticket(MONDAY_9, priority=p) for p in ("high", "low", "normal"))

    sla.check_sla(now=utc(2026, 1, 5, 11, 30))  # high and low due at 13:00, normal at 17:00
    sla.check_sla(now=utc(2026, 1, 5, 12, 59))

    assert target(high, "first_response").warned_at == utc(2026, 1, 5, 11, 30)
    assert target(low, "first_response").warned_at is None
    assert target(normal, "first_response").warned_at is None


def test_a_target_warned_then_missed_is_still_breached(app):
    ticket = open_ticket(MONDAY_9)
    sla.check_sla(now=utc(2026, 1, 5, 16, 30))

    sla.check_sla(now=utc(2026, 1, 5, 17, 30))

    assert target(ticket, "first_response").breached_at == utc(2026, 1, 5, 17)


def test_a_deadline_pushed_out_by_a_pause_is_warned_again(app):
    ticket = open_ticket(MONDAY_9)
    sla.check_sla(now=utc(2026, 1, 5, 16, 30))
    change_status(ticket, "pending", utc(2026, 1, 5, 16, 40))
    change_status(ticket, "open", utc(2026, 1, 5, 17, 40))  # first response now due 18:00

    assert sla.check_sla(now=utc(2026, 1, 5, 17, 45))["warned"] == 1

    assert target(ticket, "first_response").warned_at == utc(2026, 1, 5, 17, 45)
    assert len(audit_events(ticket, "sla_warning")) == 2


def test_now_must_carry_a_time_zone(app):
    with pytest.raises(ValueError, match="timezone-aware"):
        sla.check_sla(now=datetime(2026, 1, 5, 17))


# -- the job and its schedule -----------------------------------------------------------------------


def _scheduled() -> list[str]:
    """The booked SLA checks (other periodic jobs share the queue)."""
    booked = ScheduledJobRegistry(queue=get_queue(jobs.SLA_CHECK_QUEUE)).get_job_ids()
    return [job_id for job_id in booked if job_id.startswith("tickets-sla-check-")]


def test_the_check_is_booked_once_per_interval_however_many_workers_start(app):
    app.config["SLA_CHECK_INTERVAL_SECONDS"] = 60
    before = datetime.now(UTC).timestamp()

    jobs.schedule_periodic_jobs(app)
    jobs.schedule_periodic_jobs(app)  # a second worker starting in the same minute

    [job_id] = _scheduled()
    slot = int(job_id.rsplit("-", 1)[1])
    assert slot % 60 == 0
    assert before < slot <= before + 60


def test_each_run_checks_and_books_the_next_interval(app):
    ticket = open_ticket(MONDAY_9)  # long overdue by now
    missed = jobs.schedule_sla_check(now=datetime.now(UTC) - timedelta(minutes=5))  # a run that is due
    before = datetime.now(UTC).timestamp()

    make_worker(app).work(burst=True, with_scheduler=True)  # RQ's scheduler moves it to the queue

    assert missed.get_status(refresh=True) == "finished"
    db.session.expire_all()
    assert target(ticket, "first_response").breached_at == utc(2026, 1, 5, 17)
    [following] = _scheduled()
    assert int(following.rsplit("-", 1)[1]) > before


def test_the_job_runs_the_check(app):
    ticket = open_ticket(MONDAY_9)

    jobs.check_sla()

    assert target(ticket, "first_response").breached_at == utc(2026, 1, 5, 17)


def test_the_interval_must_be_a_positive_number_of_seconds(app):
    app.config["SLA_CHECK_INTERVAL_SECONDS"] = 0

    with pytest.raises(ValueError, match="SLA_CHECK_INTERVAL_SECONDS"):
        jobs.schedule_periodic_jobs(app)
