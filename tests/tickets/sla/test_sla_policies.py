"""Which SLA policy a ticket gets: the most specific stored policy, else a built-in default."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.tickets.sla import services as sla
from app.tickets.sla.schemas import SlaTargetSchema
from tests.ticket_factories import CalendarFactory, QueueFactory, SlaPolicyFactory
from tests.tickets.sla.sla_helpers import DAY, HOUR, agent_replies, customer_writes, open_ticket, target, utc

MONDAY_9 = utc(2026, 1, 5, 9)


def test_without_a_policy_a_normal_ticket_gets_the_default_counting_wall_clock_time(app):
    ticket = open_ticket(utc(2026, 1, 9, 16))  # Friday afternoon: the default ignores business hours

    first, resolution = target(ticket, "first_response"), target(ticket, "resolution")

    assert first.policy_id is None
    assert first.started_at == utc(2026, 1, 9, 16)
    assert first.due_at == utc(2026, 1, 10, 0)  # 8 hours
    assert resolution.due_at == utc(2026, 1, 14, 16)  # 5 days
    assert SlaTargetSchema().dump(first)["policy"] == "default"


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [
        ("urgent", HOUR, DAY),
        ("high", 4 * HOUR, 2 * DAY),
        ("normal", 8 * HOUR, 5 * DAY),
        ("low", 24 * HOUR, 10 * DAY),
    ],
)
def test_default_targets_follow_the_priority(app, priority, first_response, resolution):
    ticket = open_ticket(MONDAY_9, priority=priority)

    assert target(ticket, "first_response").due_at == MONDAY_9 + timedelta(seconds=first_response)
    assert target(ticket, "resolution").due_at == MONDAY_9 + timedelta(seconds=resolution)


def test_complaints_get_a_faster_default_first_and_next_response(app):
    complaint = open_ticket(MONDAY_9, type="complaint")

    assert target(complaint, "first_response").due_at == utc(2026, 1, 5, 11)  # 2 h, not 8 h
    assert target(complaint, "resolution").due_at == utc(2026, 1, 10, 9)  # 5 days

    agent_replies(complaint, utc(2026, 1, 5, 10))
    customer_writes(complaint, utc(2026, 1, 5, 12))

    assert target(complaint, "next_response").due_at == utc(2026, 1, 5, 20)  # 8 h, not 24 h


def test_an_urgent_complaint_keeps_the_urgent_targets_where_they_are_faster(app):
    complaint = open_ticket(MONDAY_9, type="complaint", priority="urgent")

    assert target(complaint, "first_response").due_at == utc(2026, 1, 5, 10)  # urgent: 1 h
    assert target(complaint, "resolution").due_at == utc(2026, 1, 6, 9)  # urgent: 1 day


def test_a_stored_policy_replaces_the_default(app):
    policy = SlaPolicyFactory(first_response_seconds=30 * 60, resolution_seconds=3 * HOUR)

    ticket = open_ticket(MONDAY_9)

    assert target(ticket, "first_response").policy_id == policy.id
    assert target(ticket, "first_response").due_at == utc(2026, 1, 5, 9, 30)
    assert target(ticket, "resolution").due_at == utc(2026, 1, 5, 12)
    assert SlaTargetSchema().dump(target(ticket, "resolution"))["policy"] == policy.name


def test_a_policy_without_a_target_starts_no_clock_for_it(app):
    SlaPolicyFactory(first_response_seconds=HOUR, resolution_seconds=None)

    ticket = open_ticket(MONDAY_9)

    assert [t.kind for t in sla.ticket_sla(ticket.id)] == ["first_response"]


def test_the_most_specific_policy_wins_type_then_queue_then_priority(app):
    billing, other = QueueFactory(name="Billing"), QueueFactory(name="Other")
    catch_all = SlaPolicyFactory(name="Any ticket")
    high = SlaPolicyFactory(name="High", priority="high")
    in_billing = SlaPolicyFactory(name="Billing", queue_id=billing.id)
    high_in_billing = SlaPolicyFactory(name="High in billing", queue_id=billing.id, priority="high")
    incidents = SlaPolicyFactory(name="Incidents", ticket_type="incident")

    def chosen(**fields):
        return sla.policy_for(open_ticket(MONDAY_9, **fields)).policy_id

    assert chosen(priority="low") == catch_all.id
    assert chosen(priority="high", queue=other) == high.id
    assert chosen(priority="low", queue=billing) == in_billing.id
    assert chosen(priority="high", queue=billing) == high_in_billing.id
    # A type match outweighs a queue and a priority match together.
    assert chosen(priority="high", queue=billing, type="incident") == incidents.id


def test_a_policy_for_another_queue_leaves_the_default(app):
    SlaPolicyFactory(queue_id=QueueFactory().id)

    ticket = open_ticket(MONDAY_9, queue=QueueFactory())

    assert target(ticket, "first_response").policy_id is None


def test_of_two_equally_specific_policies_the_oldest_wins(app):
    # The API refuses a second policy with the same criteria; rows written some other way still resolve.
    first = SlaPolicyFactory(priority="high")
    SlaPolicyFactory(priority="high")

    assert sla.policy_for(open_ticket(MONDAY_9, priority="high")).policy_id == first.id


def test_a_policy_with_a_calendar_counts_its_business_hours(app):
    SlaPolicyFactory(calendar=CalendarFactory(), first_response_seconds=2 * HOUR)

    ticket = open_ticket(utc(2026, 1, 9, 16))  # Friday 16:00, hours 09:00-17:00 Monday to Friday

    assert target(ticket, "first_response").due_at == utc(2026, 1, 12, 10)  # Monday 10:00
