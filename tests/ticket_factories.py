"""factory_boy factories of the tickets room: queues, tickets, business-hours calendars, SLA policies.

Factories write rows; they don't run the services' rules. A ticket made here has no SLA clocks until a
test starts them (`sla.start_clocks`), as the ticket service does when it opens one.
"""

from __future__ import annotations

import factory

from app.tickets.models import Queue, Ticket
from app.tickets.sla.models import Calendar, SlaPolicy
from tests.customer_factories import CustomerFactory
from tests.factories import BaseFactory, register

NINE_TO_FIVE = [["09:00", "17:00"]]


@register
class QueueFactory(BaseFactory):
    class Meta:
        model = Queue

    name = factory.Sequence(lambda n: f"Queue {n}")


@register
class TicketFactory(BaseFactory):
    class Meta:
        model = Ticket

    reference = factory.Sequence(lambda n: f"T-{n:06d}")
    subject = factory.Faker("sentence", nb_words=5)
    customer = factory.SubFactory(CustomerFactory)
    type = "question"
    priority = "normal"
    status = "new"


@register
class CalendarFactory(BaseFactory):
    """Monday to Friday, 09:00-17:00 UTC, no holidays, unless told otherwise."""

    class Meta:
        model = Calendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    timezone = "UTC"
    weekly_hours = factory.LazyFunction(
        lambda: (
            {day: list(NINE_TO_FIVE) for day in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}
        )
    )
    holidays = factory.LazyFunction(list)


@register
class SlaPolicyFactory(BaseFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    first_response_seconds = 3600
    next_response_seconds = 4 * 3600
    resolution_seconds = 24 * 3600
    warning_seconds = 3600
