"""How the audit trail reads to people: each recorded event as a sentence in the viewer's language.

The trail stores values as the services hold them (`remedy_proposed`, an agent's id, an ISO moment,
sanitized HTML); a page shows words instead: "changed the priority: Normal → Urgent", "moved the
complaint to Remedy proposed". Each kind of event, and each field a kind records, has its own sentence,
so a translation can phrase it whole rather than glue a lowercased label into a frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.accounts.models import Agent
from app.customers.models import Customer
from app.extensions import db
from app.i18n import format_number
from app.tickets.models import Queue, TicketEvent
from app.tickets.sla import words as sla_words
from app.tickets.words import label

# Long texts (a description, a root cause) are shortened to this many characters in a line.
SHOWN_TEXT_MAX = 160

# Fields of the ticket an `updated` event records, each with its sentence.
UPDATED = {
    "subject": _l("changed the subject:"),
    "description": _l("changed the description:"),
    "priority": _l("changed the priority:"),
    "type": _l("changed the type:"),
    "queue_id": _l("moved the ticket to another queue:"),
    "custom_fields": _l("changed the custom fields:"),
    "tags": _l("changed the tags:"),
    "customer_id": _l("moved the ticket to the customer profile it was merged into:"),
}
# Fields of the complaint record a `complaint` event records (its stage has a sentence of its own).
COMPLAINT = {
    "category": _l("changed the complaint's category:"),
    "severity": _l("changed the complaint's severity:"),
    "desired_outcome": _l("changed the outcome the customer wants:"),
    "root_cause": _l("changed the complaint's root cause:"),
    "remedy": _l("changed the complaint's remedy:"),
    "compensation_amount": _l("changed the complaint's compensation amount:"),
    "compensation_currency": _l("changed the complaint's compensation currency:"),
    "compensation_note": _l("changed the complaint's compensation note:"),
    "follow_up_note": _l("changed the complaint's follow-up note:"),
}
# The SLA check's events, by the target they are about.
LINKED = {
    "related": _l("linked this ticket with %(reference)s as related"),
    "caused_by": _l("linked this ticket with %(reference)s as cause and effect"),
    "duplicate": _l("linked this ticket with %(reference)s as a duplicate"),
}
# Values shown as the vocabulary's words rather than as stored.
_WORD_FIELDS = frozenset({"priority", "type", "status", "category", "severity", "desired_outcome", "stage"})
_HTML_FIELDS = frozenset({"description"})


@dataclass(frozen=True)
class Line:
    """One event as a page shows it: a sentence and, for a change, the values before and after."""

    text: str
    old: str | None = None
    new: str | None = None

    @property
    def is_change(self) -> bool:
        return self.old is not None or self.new is not None


@dataclass
class Names:
    """Who and what the trail's ids name: agents, queues and customers, looked up once per page."""

    agents: dict[int, str] = field(default_factory=dict)
    queues: dict[int, str] = field(default_factory=dict)
    customers: dict[int, str] = field(default_factory=dict)

    def agent(self, agent_id: Any) -> str:
        if agent_id is None:
            return _("nobody")
        return self.agents.get(agent_id) or _("a removed agent")

    def queue(self, queue_id: Any) -> str:
        if queue_id is None:
            return _("no queue")
        return self.queues.get(queue_id) or _("a deleted queue")

    def customer(self, customer_id: Any) -> str:
        if customer_id is None:
            return "—"
        return self.customers.get(customer_id) or _("a removed customer profile")


def _ids(events: Iterable[TicketEvent], kind: str, fields: Iterable[str]) -> set[int]:
    wanted = set(fields)
    return {
        value
        for event in events
        if event.kind == kind and event.field in wanted
        for value in (event.old_value, event.new_value)
        if isinstance(value, int) and not isinstance(value, bool)
    }


def names_for(events: Iterable[TicketEvent]) -> Names:
    """The names of every agent, queue and customer `events` record by id (three queries at most)."""
    events = list(events)
    agent_ids = _ids(events, "assigned", ["assignee_id"]) | _ids(events, "updated", ["assignee_id"])
    queue_ids = _ids(events, "updated", ["queue_id"])
    customer_ids = _ids(events, "updated", ["customer_id"])
    names = Names()
    if agent_ids:
        names.agents = dict(
            db.session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids))).all()
        )
    if queue_ids:
        names.queues = dict(
            db.session.execute(select(Queue.id, Queue.name).where(Queue.id.in_(queue_ids))).all()
        )
    if customer_ids:
        names.customers = dict(
            db.session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all()
        )
    return names


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_TEXT_MAX else text[: SHOWN_TEXT_MAX - 1] + "…"


def _plain_value(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, list):
        return ", ".join(_plain_value(item) for item in value)
    return str(value)


def shown_value(field_name: str | None, value: Any, names: Names) -> str:
    """A recorded value as people read it: words for the vocabulary, names for ids, numbers in the
    viewer's notation, text without markup and shortened; "—" for nothing (or a value erased)."""
    if field_name == "assignee_id":
        return names.agent(value)
    if field_name == "queue_id":
        return names.queue(value)
    if field_name == "customer_id":
        return names.customer(value)
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if field_name in _WORD_FIELDS:
        return label(str(value))
    if field_name == "compensation_amount":
        try:
            return format_number(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    if field_name in _HTML_FIELDS:
        return _shortened(Markup(str(value)).striptags())
    if isinstance(value, dict):
        return _shortened("; ".join(f"{key}: {_plain_value(item)}" for key, item in value.items()))
    return _shortened(_plain_value(value))


def _change(sentence: Any, event: TicketEvent, names: Names) -> Line:
    return Line(
        str(sentence),
        shown_value(event.field, event.old_value, names),
        shown_value(event.field, event.new_value, names),
    )


def describe(event: TicketEvent, names: Names) -> Line:
    """`event` as a sentence following the actor's name ("Li Wei changed the priority: …")."""
    kind, name = event.kind, event.field
    reference = event.new_value or "—"
    if kind == "created":
        return Line(_("opened the ticket %(reference)s", reference=reference))
    if kind == "assigned":
        return _change(_l("changed the assignee:"), event, names)
    if kind == "status":
        return _change(_l("changed the status:"), event, names)
    if kind == "updated" and name in UPDATED:
        return _change(UPDATED[name], event, names)
    if kind == "complaint" and name == "stage":
        return Line(_("moved the complaint to %(stage)s", stage=shown_value("stage", event.new_value, names)))
    if kind == "complaint" and name in COMPLAINT:
        return _change(COMPLAINT[name], event, names)
    if kind == "reply":
        return Line(_("replied to the customer"))
    if kind == "note":
        return Line(_("added an internal note"))
    if kind == "customer_reply":
        return Line(_("wrote a message"))
    if kind == "follow_up":
        return Line(
            _("wrote again after the ticket was closed: follow-up %(reference)s", reference=reference)
        )
    if kind == "linked" and name in LINKED:
        return Line(str(LINKED[name]) % {"reference": reference})
    if kind == "merged":
        return Line(_("merged %(reference)s into this ticket", reference=reference))
    if kind == "merged_into":
        return Line(_("merged this ticket into %(reference)s", reference=reference))
    if kind == "attachment_added":
        return Line(_("attached the file %(name)s", name=event.new_value or "—"))
    if kind in ("sla_warning", "sla_breached") and (phrase := sla_words.event_phrase(event)) is not None:
        return Line(phrase)
    # A kind recorded before this module knew it: its word, and the values shown as well as we can.
    if event.old_value is None and event.new_value is None:
        return Line(label(kind))
    return _change(label(kind), event, names)


def actor_name(event: TicketEvent) -> str:
    """Who acted: the agent's name, else "Customer", "System" or "Import"."""
    return event.actor.name if event.actor is not None else label(event.actor_kind)


def lines(events: Iterable[TicketEvent]) -> list[tuple[TicketEvent, Line]]:
    """Each event with its line; the names the lines need are looked up once for all of them."""
    events = list(events)
    names = names_for(events)
    return [(event, describe(event, names)) for event in events]
