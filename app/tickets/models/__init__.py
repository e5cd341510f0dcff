"""Models of the tickets room: queues, tickets and complaints, their conversation and audit trail.

The packages of the room keep their own models (`sla.models`, `attachments.models`, `search.models`,
`history.models`); they are imported here because tickets and comments hold collections of them, and
a mapper needs every class it names.
"""

from app.tickets.attachments import models as _attachments  # noqa: F401
from app.tickets.history import models as _history  # noqa: F401
from app.tickets.models.queues import Queue, queue_skills
from app.tickets.models.tickets import (
    Comment,
    Complaint,
    Macro,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketTag,
    comment_mentions,
)
from app.tickets.models.vocabulary import (
    ComplaintCategory,
    ComplaintStage,
    DesiredOutcome,
    OutsiderAccess,
    Priority,
    Severity,
    Status,
    TicketChannel,
    TicketType,
)
from app.tickets.search import models as _search  # noqa: F401
from app.tickets.sla import models as _sla  # noqa: F401

__all__ = [
    "Comment",
    "Complaint",
    "ComplaintCategory",
    "ComplaintStage",
    "DesiredOutcome",
    "Macro",
    "OutsiderAccess",
    "Priority",
    "Queue",
    "Severity",
    "Status",
    "Ticket",
    "TicketChannel",
    "TicketEvent",
    "TicketLink",
    "TicketTag",
    "TicketType",
    "comment_mentions",
    "queue_skills",
]
