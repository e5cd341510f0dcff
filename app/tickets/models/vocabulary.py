"""The words of the ticket workflow: types, priorities, channels, states and the complaint procedure."""

from __future__ import annotations

from enum import StrEnum


class TicketType(StrEnum):
    QUESTION = "question"
    INCIDENT = "incident"
    REQUEST = "request"
    COMPLAINT = "complaint"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketChannel(StrEnum):
    PHONE = "phone"
    WEB = "web"
    EMAIL = "email"
    CHAT = "chat"
    API = "api"


class OutsiderAccess(StrEnum):
    """What agents outside the team serving a queue may do with its tickets (its team works them)."""

    READ = "read"  # see them, change nothing
    NONE = "none"  # not even see them


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer: SLA clocks pause
    ON_HOLD = "on_hold"  # waiting on a third party
    SOLVED = "solved"
    CLOSED = "closed"  # final: a customer reply opens a follow-up ticket


# Where each state may go. `solved -> open` is the reopen.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
UNSOLVED = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})


class ComplaintCategory(StrEnum):
    PRODUCT_QUALITY = "product_quality"
    SERVICE_QUALITY = "service_quality"
    DELIVERY = "delivery"
    BILLING = "billing"
    STAFF_ATTITUDE = "staff_attitude"
    OTHER = "other"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class DesiredOutcome(StrEnum):
    REFUND = "refund"
    REPLACEMENT = "replacement"
    APOLOGY = "apology"
    EXPLANATION = "explanation"
    COMPENSATION = "compensation"


class ComplaintStage(StrEnum):
    """The recognised complaint-handling steps, in order."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    REMEDY_PROPOSED = "remedy_proposed"
    RESOLVED = "resolved"
    FOLLOWED_UP = "followed_up"


COMPLAINT_STAGES: tuple[ComplaintStage, ...] = tuple(ComplaintStage)
