"""Models of the tickets room: queues, tickets and complaints, their conversation, audit trail and SLA."""

from app.tickets import search_index  # noqa: F401
from app.tickets.models.imports import TicketImport as TicketImport
from app.tickets.models.outbox import Notification as Notification
from app.tickets.models.portal import TrackingToken as TrackingToken
from app.tickets.models.portal import WebSubmission as WebSubmission
from app.tickets.models.queues import Queue, queue_skills
from app.tickets.models.sla import Calendar, SlaPolicy, SlaTarget, TicketPause
from app.tickets.models.surveys import FollowUpTask as FollowUpTask
from app.tickets.models.surveys import Survey as Survey
from app.tickets.models.tickets import (
    Attachment,
    Comment,
    Complaint,
    Macro,
    SavedView,
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
    Priority,
    Severity,
    Status,
    TicketChannel,
    TicketType,
)

__all__ = [
    "Attachment",
    "Calendar",
    "Comment",
    "Complaint",
    "ComplaintCategory",
    "ComplaintStage",
    "DesiredOutcome",
    "Macro",
    "Priority",
    "Queue",
    "SavedView",
    "Severity",
    "SlaPolicy",
    "SlaTarget",
    "Status",
    "Ticket",
    "TicketChannel",
    "TicketEvent",
    "TicketLink",
    "TicketPause",
    "TicketTag",
    "TicketType",
    "comment_mentions",
    "queue_skills",
]
