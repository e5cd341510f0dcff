"""SLA clocks of a ticket: due times in business hours, pauses while pending, met, breached, reopened.

The ticket services call these steps inside their use cases; the helpers play that part. Unless a test
says otherwise the policy counts 09:00-17:00 Monday to Friday (UTC) with a 4-business-hour first
response, an 8-hour next response and a 16-hour (two business days) resolution.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.tickets.sla import services as sla
from app.tickets.sla.business_hours import BusinessCalendar
from app.tickets.sla.schemas import SlaTargetSchema
from tests.ticket_factories import CalendarFactory, QueueFactory, SlaPolicyFactory
from tests.tickets.sla.sla_helpers import (
    HOUR,
    agent_replies,
    audit_events,
    change_status,
    customer_writes,
    kinds,
    open_ticket,
    target,
    utc,
)

MONDAY_9 = utc(2026, 1, 5, 9)


@pytest.fixture
def office(app):
    """The calendar of the policy every ticket gets in these tests."""
    calendar = CalendarFactory(name="Office")
    SlaPolicyFactory(
        name="Office hours",
        calendar=calendar,
        first_response_seconds=4 * HOUR,
        next_response_seconds=8 * HOUR,
        resolution_seconds=16 * HOUR,
    )
    return BusinessCalendar.from_dict(
        {"timezone": calendar.timezone, "weekly_hours": calendar.weekly_hours, "holidays": calendar.holidays}
    )


# -- due times in business hours --------------------------------------------------------------------


def test_due_times_count_business_hours_only(office):
    ticket = open_ticket(MONDAY_9)

    assert target(ticket, "first_response").due_at == utc(2026, 1, 5, 13)
    assert target(ticket, "resolution").due_at == utc(2026, 1, 6, 17)  # two business days


def test_a_two_hour_target_opened_friday_at_four_is_due_monday_at_ten_local_time(app):
    calendar = CalendarFactory(
        timezone="America/New_York",
        weekly_hours={day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    )
    SlaPolicyFactory(calendar=calendar, first_response_seconds=2 * HOUR)

    ticket = open_ticket(utc(2026, 1, 9, 21))  # Friday 16:00 in New York

    assert target(ticket, "first_response").due_at == utc(2026, 1, 12, 15)  # Monday 10:00 in New York


def test_holidays_do_not_count(app):
    calendar = CalendarFactory(holidays=["2026-01-12"])  # Monday
    SlaPolicyFactory(calendar=calendar, first_response_seconds=2 * HOUR)

    ticket = open_ticket(utc(2026, 1, 9, 16))

    assert target(ticket, "first_response").due_at == utc(2026, 1, 13, 10)  # Tuesday


# -- pending pauses the clocks ----------------------------------------------------------------------


def test_pending_stops_the_clocks(office):
    ticket = open_ticket(MONDAY_9)

    change_status(ticket, "pending", utc(2026, 1, 5, 10))

    first = target(ticket, "first_response")
    assert first.due_at is None
    assert sla.target_status(first, utc(2026, 1, 9)) == "paused"
    assert SlaTargetSchema().dump(first)["status"] == "paused"


def test_resuming_pushes_the_due_times_out_by_exactly_the_business_time_spent_pending(office):
    ticket = open_ticket(MONDAY_9)
    change_status(ticket, "open", utc(2026, 1, 5, 9, 30))
    before = {kind: target(ticket, kind).due_at for kind in ("first_response", "resolution")}

    change_status(ticket, "pending", utc(2026, 1, 5, 10))
    change_status(ticket, "open", utc(2026, 1, 5, 15))  # five business hours later

    assert target(ticket, "first_response").due_at == utc(2026, 1, 6, 10)  # was Monday 13:00
    assert target(ticket, "resolution").due_at == utc(2026, 1, 7, 14)  # was Tuesday 17:00
    for kind, due in before.items():
        assert office.business_seconds_between(due, target(ticket, kind).due_at) == 5 * HOUR


def test_time_pending_outside_business_hours_costs_nothing(office):
    ticket = open_ticket(MONDAY_9)

    change_status(ticket, "pending", utc(2026, 1, 5, 17, 30))  # after closing
    change_status(ticket, "open", utc(2026, 1, 6, 8))  # before opening

    assert target(ticket, "resolution").due_at == utc(2026, 1, 6, 17)


def test_every_pause_counts_once_the_clock_runs_between_them(office):
    ticket = open_ticket(MONDAY_9)

    change_status(ticket, "pending", utc(2026, 1, 5, 10))
    change_status(ticket, "open", utc(2026, 1, 5, 11))
    change_status(ticket, "pending", utc(2026, 1, 5, 12))
    change_status(ticket, "open", utc(2026, 1, 5, 14))

    assert target(ticket, "first_response").due_at == utc(2026, 1, 5, 16)  # 3 hours of pauses


def test_a_target_already_overdue_stays_breached_while_pending(office):
    ticket = open_ticket(MONDAY_9)

    change_status(ticket, "pending", utc(2026, 1, 5, 14))  # first response was due at 13:00

    first = target(ticket, "first_response")
    assert first.due_at == utc(2026, 1, 5, 13)
    assert sla.target_status(first, utc(2026, 1, 5, 14)) == "breached"


def test_on_hold_does_not_stop_the_clocks(office):
    ticket = open_ticket(MONDAY_9)

    change_status(ticket, "on_hold", utc(2026, 1, 5, 10))
    change_status(ticket, "open", utc(2026, 1, 5, 12))

    assert target(ticket, "first_response").due_at == utc(2026, 1, 5, 13)


# -- responses --------------------------------------------------------------------------------------


def test_the_first_public_reply_meets_the_first_response_target(office):
    ticket = open_ticket(MONDAY_9)

    agent_replies(ticket, utc(2026, 1, 5, 11))

    first = target(ticket, "first_response")
    assert first.met_at == utc(2026, 1, 5, 11)
    assert first.breached_at is None
    assert sla.target_status(first, utc(2026, 1, 9)) == "met"
    assert audit_events(ticket, "sla_breached") == []


def test_a_reply_exactly_at_the_due_time_is_in_time(office):
    ticket = open_ticket(MONDAY_9)

    agent_replies(ticket, utc(2026, 1, 5, 13))

    assert target(ticket, "first_response").breached_at is None


def test_a_late_reply_meets_the_target_and_records_the_breach_at_the_due_time(office):
    ticket = open_ticket(MONDAY_9)

    agent_replies(ticket, utc(2026, 1, 5, 15))

    first = target(ticket, "first_response")
    assert first.met_at == utc(2026, 1, 5, 15)
    assert first.breached_at == utc(2026, 1, 5, 13)
    assert sla.target_status(first, utc(2026, 1, 9)) == "breached"
    [event] = audit_events(ticket, "sla_breached")
    assert (event.field, event.new_value, event.actor_kind) == (
        "first_response",
        "2026-01-05T13:00:00+00:00",
        "system",
    )
    assert sla.check_sla(now=utc(2026, 1, 5, 16))["breached"] == 0  # recorded once, by whoever saw it first


def test_a_customer_message_after_the_first_reply_starts_the_next_response_clock(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))

    customer_writes(ticket, utc(2026, 1, 5, 14))

    next_response = target(ticket, "next_response")
    assert next_response.started_at == utc(2026, 1, 5, 14)
    assert next_response.due_at == utc(2026, 1, 6, 14)  # 8 business hours


def test_the_next_public_reply_meets_the_next_response_target(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))
    customer_writes(ticket, utc(2026, 1, 5, 14))

    agent_replies(ticket, utc(2026, 1, 5, 16))

    assert target(ticket, "next_response").met_at == utc(2026, 1, 5, 16)
    assert target(ticket, "next_response").breached_at is None


def test_further_customer_messages_keep_the_running_next_response_clock(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))
    customer_writes(ticket, utc(2026, 1, 5, 14))

    customer_writes(ticket, utc(2026, 1, 5, 15))

    assert kinds(ticket) == ["first_response", "resolution", "next_response"]
    assert target(ticket, "next_response").started_at == utc(2026, 1, 5, 14)


def test_each_answered_message_gets_a_clock_of_its_own(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))
    customer_writes(ticket, utc(2026, 1, 5, 11))
    agent_replies(ticket, utc(2026, 1, 5, 12))

    customer_writes(ticket, utc(2026, 1, 6, 9))

    assert kinds(ticket).count("next_response") == 2
    assert target(ticket, "next_response").started_at == utc(2026, 1, 6, 9)


def test_no_next_response_clock_while_the_first_response_is_owed(office):
    ticket = open_ticket(MONDAY_9)

    customer_writes(ticket, utc(2026, 1, 5, 10))

    assert kinds(ticket) == ["first_response", "resolution"]


def test_no_next_response_clock_when_the_policy_has_no_such_target(app):
    SlaPolicyFactory(next_response_seconds=None)
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))

    customer_writes(ticket, utc(2026, 1, 5, 11))

    assert "next_response" not in kinds(ticket)


# -- solving, reopening, closing ----------------------------------------------------------------------


def test_solving_meets_the_resolution_target_and_cancels_the_next_response(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))
    customer_writes(ticket, utc(2026, 1, 5, 11))

    change_status(ticket, "solved", utc(2026, 1, 5, 12))

    assert target(ticket, "resolution").met_at == utc(2026, 1, 5, 12)
    assert target(ticket, "next_response").cancelled_at == utc(2026, 1, 5, 12)
    assert sla.target_status(target(ticket, "next_response"), utc(2026, 1, 9)) == "cancelled"
    assert audit_events(ticket, "sla_breached") == []


def test_solving_late_records_the_resolution_breach(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))

    change_status(ticket, "solved", utc(2026, 1, 7, 9))

    resolution = target(ticket, "resolution")
    assert resolution.met_at == utc(2026, 1, 7, 9)
    assert resolution.breached_at == utc(2026, 1, 6, 17)


def test_solving_from_pending_leaves_the_pending_time_out(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))
    change_status(ticket, "pending", utc(2026, 1, 5, 11))

    change_status(ticket, "solved", utc(2026, 1, 7, 11))  # after the original due time, Tuesday 17:00

    resolution = target(ticket, "resolution")
    assert resolution.due_at == utc(2026, 1, 8, 17)  # two business days of pending pushed it out
    assert resolution.breached_at is None


def test_reopening_runs_the_resolution_clock_again_from_the_original_start(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 10))
    change_status(ticket, "pending", utc(2026, 1, 5, 11))
    change_status(ticket, "solved", utc(2026, 1, 5, 12))  # one business hour pending

    change_status(ticket, "open", utc(2026, 1, 6, 10))

    resolution = target(ticket, "resolution")
    assert resolution.met_at is None
    assert resolution.started_at == MONDAY_9
    assert resolution.due_at == utc(2026, 1, 7, 10)  # Tuesday 17:00 plus the hour pending
    assert sla.target_status(resolution, utc(2026, 1, 6, 10)) == "running"

    change_status(ticket, "solved", utc(2026, 1, 6, 15))
    assert target(ticket, "resolution").met_at == utc(2026, 1, 6, 15)


def test_closing_cancels_what_is_still_running(office):
    ticket = open_ticket(MONDAY_9)  # say it is merged into another ticket, which closes it

    change_status(ticket, "closed", utc(2026, 1, 5, 10))

    assert target(ticket, "first_response").cancelled_at == utc(2026, 1, 5, 10)
    assert target(ticket, "resolution").cancelled_at == utc(2026, 1, 5, 10)


def test_solving_without_a_reply_cancels_an_owed_first_response_but_a_missed_one_stays_breached(office):
    in_time, missed = open_ticket(MONDAY_9), open_ticket(MONDAY_9)

    change_status(in_time, "solved", utc(2026, 1, 5, 10))
    change_status(missed, "solved", utc(2026, 1, 5, 14))  # first response was due at 13:00

    assert target(in_time, "first_response").breached_at is None
    assert target(missed, "first_response").cancelled_at == utc(2026, 1, 5, 14)
    assert target(missed, "first_response").breached_at == utc(2026, 1, 5, 13)
    assert len(audit_events(missed, "sla_breached")) == 1


# -- queue, priority or type changes ---------------------------------------------------------------


def test_a_priority_change_moves_the_running_targets_to_the_new_policy_from_the_same_start(office):
    urgent = SlaPolicyFactory(priority="urgent", first_response_seconds=HOUR, resolution_seconds=4 * HOUR)
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 9, 30))

    ticket.priority = "urgent"
    sla.on_policy_inputs_changed(ticket, utc(2026, 1, 5, 10))
    db.session.commit()

    resolution = target(ticket, "resolution")
    assert (resolution.policy_id, resolution.started_at) == (urgent.id, MONDAY_9)
    assert resolution.due_at == utc(2026, 1, 5, 13)  # wall clock: the urgent policy has no calendar
    first = target(ticket, "first_response")
    assert first.target_seconds == 4 * HOUR  # already met: it keeps what it was met against


def test_a_new_policy_without_a_target_cancels_it(office):
    queue = QueueFactory()
    SlaPolicyFactory(queue_id=queue.id, first_response_seconds=HOUR, resolution_seconds=None)
    ticket = open_ticket(MONDAY_9)

    ticket.queue_id = queue.id
    sla.on_policy_inputs_changed(ticket, utc(2026, 1, 5, 9, 30))
    db.session.commit()

    assert target(ticket, "resolution").cancelled_at == utc(2026, 1, 5, 9, 30)
    assert target(ticket, "first_response").due_at == utc(2026, 1, 5, 10)


def test_starting_the_clocks_twice_starts_nothing_new(office):
    ticket = open_ticket(MONDAY_9)

    sla.start_clocks(ticket, MONDAY_9)
    db.session.commit()

    assert kinds(ticket) == ["first_response", "resolution"]


# -- editing the setup -------------------------------------------------------------------------------


def test_changing_a_calendar_re_times_the_running_targets_of_its_policies(office):
    ticket = open_ticket(MONDAY_9)
    agent_replies(ticket, utc(2026, 1, 5, 9, 30))
    calendar_id = target(ticket, "resolution").policy.calendar_id

    sla.update_calendar(
        calendar_id, {"weekly_hours": {"mon": [["09:00", "13:00"]], "tue": [["09:00", "13:00"]]}}, actor=None
    )

    assert target(ticket, "resolution").due_at == utc(2026, 1, 13, 13)  # 16 h of Monday/Tuesday mornings
    assert target(ticket, "first_response").due_at == utc(2026, 1, 5, 13)  # met: left as it was


def test_changing_a_policy_re_times_its_running_targets(office):
    ticket = open_ticket(MONDAY_9)
    policy_id = target(ticket, "resolution").policy_id

    sla.update_policy(policy_id, {"resolution_seconds": 8 * HOUR}, actor=None)

    assert target(ticket, "resolution").due_at == utc(2026, 1, 5, 17)


def test_deleting_a_policy_hands_its_running_targets_to_the_next_match(office):
    ticket = open_ticket(MONDAY_9)
    policy_id = target(ticket, "resolution").policy_id

    sla.delete_policy(policy_id, actor=None)

    resolution = target(ticket, "resolution")
    assert resolution.policy_id is None
    assert resolution.due_at == utc(2026, 1, 10, 9)  # the default: 5 days of wall-clock time
