"""How the workflow's words (states, kinds, fields of the audit trail) read to people, translated when
they are shown: the ticket pages' labels and the customer timeline's sentences."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

WORDS = {
    # types
    "question": _l("Question"),
    "incident": _l("Incident"),
    "request": _l("Request"),
    "complaint": _l("Complaint"),
    # priorities and severities
    "low": _l("Low"),
    "normal": _l("Normal"),
    "medium": _l("Medium"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
    "critical": _l("Critical"),
    # channels
    "phone": _l("Phone"),
    "web": _l("Web"),
    "email": _l("E-mail"),
    "chat": _l("Chat"),
    "api": _l("API"),
    # states
    "new": _l("New"),
    "open": _l("Open"),
    "pending": _l("Pending"),
    "on_hold": _l("On hold"),
    "solved": _l("Solved"),
    "closed": _l("Closed"),
    # complaint categories, outcomes and stages
    "product_quality": _l("Product quality"),
    "service_quality": _l("Service quality"),
    "delivery": _l("Delivery"),
    "billing": _l("Billing"),
    "staff_attitude": _l("Staff attitude"),
    "other": _l("Other"),
    "refund": _l("Refund"),
    "replacement": _l("Replacement"),
    "apology": _l("Apology"),
    "explanation": _l("Explanation"),
    "compensation": _l("Compensation"),
    "received": _l("Received"),
    "acknowledged": _l("Acknowledged"),
    "investigating": _l("Investigating"),
    "remedy_proposed": _l("Remedy proposed"),
    "resolved": _l("Resolved"),
    "followed_up": _l("Followed up"),
    # SLA targets
    "first_response": _l("First response"),
    "next_response": _l("Next response"),
    "resolution": _l("Resolution"),
    # who acted, and what the audit trail records
    "agent": _l("Agent"),
    "customer": _l("Customer"),
    "system": _l("System"),
    "import": _l("Import"),
    "created": _l("Created"),
    "assigned": _l("Assigned"),
    "updated": _l("Updated"),
    "status": _l("Status"),
    "reply": _l("Reply"),
    "note": _l("Note"),
    "customer_reply": _l("Customer reply"),
    "follow_up": _l("Follow-up"),
    "linked": _l("Linked"),
    "merged": _l("Merged"),
    "merged_into": _l("Merged into"),
    "attachment_added": _l("Attachment added"),
    "attachments": _l("Attachments"),
    "sla_breached": _l("SLA breached"),
    "sla_warning": _l("SLA warning"),
    "assignee_id": _l("Assignee"),
    "customer_id": _l("Customer"),
    "queue_id": _l("Queue"),
    "priority": _l("Priority"),
    "type": _l("Type"),
    "tags": _l("Tags"),
    "stage": _l("Stage"),
    "category": _l("Category"),
    "severity": _l("Severity"),
    "root_cause": _l("Root cause"),
    "remedy": _l("Remedy"),
    "follow_up_note": _l("Follow-up note"),
    "subject": _l("Subject"),
    "description": _l("Description"),
}


# The built-in saved views by id, as the list page names them; the API keeps the names of
# `search.services.BUILT_IN_VIEWS`, in English.
BUILT_IN_VIEWS = {
    "my-open": (_l("My open"), _l("Unsolved tickets assigned to you.")),
    "unassigned-in-my-queues": (
        _l("Unassigned in my queues"),
        _l("Unsolved tickets nobody has taken, in the queues your teams serve."),
    ),
    "breaching-soon": (
        _l("Breaching soon"),
        _l("Unsolved tickets with an SLA target due soon or already overdue, soonest first."),
    ),
}


def shown_view(view: dict[str, Any]) -> dict[str, Any]:
    """A saved view as a page shows it: a built-in one under its translated name and description."""
    if view["id"] not in BUILT_IN_VIEWS:
        return view
    name, description = BUILT_IN_VIEWS[view["id"]]
    return {**view, "name": str(name), "description": str(description)}


def word(value: str | None) -> Any:
    """`on_hold` -> `On hold`, translated when it is shown (lazy: forms are built at import time)."""
    return WORDS.get(value or "") or (value or "").replace("_", " ").capitalize()


def label(value: str | None) -> str:
    """How one of the workflow's words reads on the current page."""
    return str(word(value))
