"""The tickets room's part of a customer's personal data: what the export shows of their tickets, and
what an erasure overwrites in them (answers to the customers room's `personal_data_requested` and
`customer_erase_staged`).

An erasure keeps every ticket, comment, audit event and SLA row, with the times, statuses, queues,
priorities, assignees and counters KPIs are computed from (KPI.md), and the comments' times, visibility
and authors' kinds; it overwrites subjects, descriptions, ticket custom fields, complaint texts, every
message body on the customer's tickets (agents' replies quote and name the customer too), the audit
trail's records of those texts, and attachments' names and files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import null, or_, select, update

from app.extensions import db
from app.tickets.attachments import services as attachments
from app.tickets.attachments.models import Attachment
from app.tickets.models import Comment, Complaint, Ticket, TicketEvent
from app.tickets.search import services as search

ERASED = "[erased]"
# Fields whose audit events record text someone typed (a subject, a complaint's root cause, a file's
# name); the events stay, their values go. The triggers keeping the trail append-only allow exactly this.
TEXT_FIELDS = (
    "subject",
    "description",
    "custom_fields",
    "root_cause",
    "remedy",
    "compensation_note",
    "follow_up_note",
    "attachments",
)
_COMPLAINT_TEXTS = ("root_cause", "remedy", "compensation_note", "follow_up_note")


def personal_data(customer_ids: list[int]) -> dict[str, Any]:
    """The customers' tickets with every message (internal notes too), their attachments' names and
    complaint details; and the messages they wrote on other people's tickets."""
    tickets = list(
        db.session.scalars(
            select(Ticket).where(Ticket.customer_id.in_(customer_ids)).order_by(Ticket.created_at, Ticket.id)
        )
    )
    ticket_ids = [ticket.id for ticket in tickets]
    comments = _comments(or_(Comment.ticket_id.in_(ticket_ids), Comment.customer_id.in_(customer_ids)))
    files = list(
        db.session.scalars(
            select(Attachment).where(Attachment.ticket_id.in_(ticket_ids)).order_by(Attachment.id)
        )
    )
    messages: dict[int, list[dict[str, Any]]] = {}
    for comment in comments:
        messages.setdefault(comment.ticket_id, []).append(_message(comment, customer_ids))
    return {
        "tickets": [_ticket(ticket, messages.get(ticket.id, []), files) for ticket in tickets],
        "messages_on_other_tickets": [
            {"ticket": comment.ticket.reference, **_message(comment, customer_ids)}
            for comment in comments
            if comment.ticket_id not in ticket_ids
        ],
    }


def erase_personal_data(customer_ids: list[int]) -> None:
    """Overwrite the texts of the customers' tickets and messages, in the caller's transaction; the
    attachments' files are removed once it commits."""
    tickets = select(Ticket.id).where(Ticket.customer_id.in_(customer_ids)).scalar_subquery()
    db.session.execute(
        update(Ticket)
        .where(Ticket.customer_id.in_(customer_ids))
        # A new version: an agent's form opened before the erasure cannot write the old text back.
        .values(subject=ERASED, description="", custom_fields={}, version=Ticket.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    for complaint in db.session.scalars(select(Complaint).where(Complaint.ticket_id.in_(tickets))):
        for name in _COMPLAINT_TEXTS:
            # A solved complaint must show a root cause and a remedy: a marker, not nothing.
            if getattr(complaint, name):
                setattr(complaint, name, ERASED)
    theirs = or_(Comment.ticket_id.in_(tickets), Comment.customer_id.in_(customer_ids))
    db.session.execute(
        update(Comment).where(theirs).values(body=ERASED).execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        update(TicketEvent)
        .where(TicketEvent.ticket_id.in_(tickets), TicketEvent.field.in_(TEXT_FIELDS))
        .values(old_value=null(), new_value=null())
        .execution_options(synchronize_session=False)
    )
    search.forget_replaced_text()
    files = select(Attachment.id).where(
        or_(
            Attachment.ticket_id.in_(tickets),
            Attachment.comment_id.in_(select(Comment.id).where(Comment.customer_id.in_(customer_ids))),
        )
    )
    attachments.erase_files(list(db.session.scalars(files)))


def _comments(condition) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(condition).order_by(Comment.created_at, Comment.id)))


def _message(comment: Comment, customer_ids: list[int]) -> dict[str, Any]:
    if comment.customer_id in customer_ids:
        author = "customer"
    elif comment.author_id is not None:
        author = "agent"
    else:
        author = "system"
    return {
        "written_at": _iso(comment.created_at),
        "public": comment.public,
        "author": author,
        "body": comment.body,
        "attachments": [_file(file) for file in comment.attachments],
    }


def _ticket(ticket: Ticket, messages: list[dict[str, Any]], files: list[Attachment]) -> dict[str, Any]:
    complaint = ticket.complaint
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "description": ticket.description,
        "type": ticket.type,
        "channel": ticket.channel,
        "status": ticket.status,
        "priority": ticket.priority,
        "tags": ticket.tags,
        "custom_fields": ticket.custom_fields or {},
        "created_at": _iso(ticket.created_at),
        "first_response_at": _iso(ticket.first_response_at),
        "solved_at": _iso(ticket.solved_at),
        "closed_at": _iso(ticket.closed_at),
        "complaint": None
        if complaint is None
        else {
            "category": complaint.category,
            "severity": complaint.severity,
            "desired_outcome": complaint.desired_outcome,
            "stage": complaint.stage,
            "root_cause": complaint.root_cause,
            "remedy": complaint.remedy,
            "compensation_amount": None
            if complaint.compensation_amount is None
            else str(complaint.compensation_amount),
            "compensation_currency": complaint.compensation_currency,
            "compensation_note": complaint.compensation_note,
            "acknowledged_at": _iso(complaint.acknowledged_at),
            "followed_up_at": _iso(complaint.followed_up_at),
            "follow_up_note": complaint.follow_up_note,
        },
        "messages": messages,
        "attachments": [
            _file(file) for file in files if file.ticket_id == ticket.id and file.comment_id is None
        ],
    }


def _file(file: Attachment) -> dict[str, Any]:
    return {
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "added_at": _iso(file.created_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
