"""The ticket workflow: opening, changing, assigning, replying, solving, reopening, merging, linking.

Every change goes through here and writes its audit events in the same commit; signals go out after it.
`at` parameters exist for the history import, which replays another helpdesk's timestamps.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select, text, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app import bulk, sanitize, versions
from app.accounts import services as accounts
from app.accounts.access import Permission, has_permission
from app.customers import services as customers
from app.dbtypes import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.records import get_or_404
from app.tickets import audit
from app.tickets.attachments.models import Attachment
from app.tickets.models import (
    Comment,
    Complaint,
    ComplaintStage,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketTag,
    TicketType,
)
from app.tickets.models.vocabulary import COMPLAINT_STAGES, TRANSITIONS, UNSOLVED
from app.tickets.services.access import (
    check_may_work,
    may_see,
    may_work,
    readable_ticket,
    visible_to,
    workable_ticket,
)
from app.tickets.services.queues import get_queue
from app.tickets.signals import (
    public_reply_staged,
    ticket_assigned,
    ticket_claim_requested,
    ticket_commented,
    ticket_open_staged,
    ticket_opened,
    ticket_reopened,
    ticket_solve_staged,
    ticket_solved,
    ticket_updated,
)
from app.tickets.sla import services as sla
from app.tickets.words import label, word
from app.unit_of_work import roll_back, unit_of_work

if TYPE_CHECKING:
    from app.accounts.models import Agent

TAG_MAX = 50
# The actor kind of the history import's steps.
IMPORTED = "import"
MAX_TAGS = 30
# Fields a PATCH may change directly; status, assignee and complaint details have their own rules.
PLAIN_FIELDS = ("subject", "description", "priority", "type", "queue_id", "custom_fields")
COMPLAINT_FIELDS = (
    "category",
    "severity",
    "desired_outcome",
    "root_cause",
    "remedy",
    "compensation_amount",
    "compensation_currency",
    "compensation_note",
    "stage",
    "follow_up_note",
)


@dataclass
class Change:
    """What one use case did to one ticket: the signals to send once the commit has happened."""

    ticket: Ticket
    actor: Agent | None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    assigned_from: int | bool | None = False  # False: the assignee did not change
    solved: bool = False
    reopened: bool = False

    def send(self) -> None:
        if self.changes:
            ticket_updated.send(self.ticket, actor=self.actor, changes=self.changes)
        if self.assigned_from is not False:
            ticket_assigned.send(self.ticket, actor=self.actor, previous_assignee_id=self.assigned_from)
        if self.solved:
            ticket_solved.send(self.ticket, actor=self.actor)
        if self.reopened:
            ticket_reopened.send(self.ticket, actor=self.actor)


# -- reading -----------------------------------------------------------------------------------------


def get_ticket(ticket_id: int, *, for_update: bool = False) -> Ticket:
    """The ticket, or 404, whoever asks: for steps and the desk's own work. A person's request loads it
    with `readable_ticket` or `workable_ticket` (`access`), which apply who may see and change it.
    `for_update` locks its row until the commit (PostgreSQL; SQLite serializes writers anyway), for
    changes that must not lose a race they did not start."""
    return get_or_404(Ticket, ticket_id, what=_l("Ticket"), for_update=for_update)


def find_ticket_by_reference(reference: str) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.reference == reference))


def list_comments(ticket_id: int, *, viewer: Agent | None, include_internal: bool = True):
    readable_ticket(ticket_id, viewer=viewer)
    query = select(Comment).where(Comment.ticket_id == ticket_id).order_by(Comment.created_at, Comment.id)
    if not include_internal:
        query = query.where(Comment.public.is_(True))
    return query


def list_events(ticket_id: int, *, viewer: Agent | None):
    readable_ticket(ticket_id, viewer=viewer)
    return select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)


# -- opening -----------------------------------------------------------------------------------------


@unit_of_work
def open_ticket(*, announce: bool = True, **details: Any) -> Ticket:
    """Open a ticket for a customer, found or created from contact details, and start its SLA clocks.

    Takes the arguments of `stage_ticket`; `announce=False` is for the history import (no live signals).
    """
    ticket = stage_ticket(**details)
    # The new rows in two round trips instead of the flush's one per table; where the writer cannot
    # (SQLite, or the customer's profile changed too), the commit's flush writes them.
    bulk.insert_new_objects(db.session())
    db.session.commit()
    if announce:
        announce_opened(ticket, actor=details.get("actor"))
    return ticket


def announce_opened(ticket: Ticket, *, actor: Agent | None) -> None:
    """The signals of a newly opened ticket, once its commit has happened."""
    ticket_opened.send(ticket, actor=actor)
    if ticket.assignee_id is not None:
        ticket_assigned.send(ticket, actor=actor, previous_assignee_id=None)


def stage_ticket(
    *,
    subject: str,
    description: str = "",
    type: str = TicketType.QUESTION,
    priority: str = "normal",
    channel: str = "api",
    customer_id: int | None = None,
    customer: Mapping[str, Any] | None = None,
    new_customer: Mapping[str, Any] | None = None,
    queue_id: int | None = None,
    assignee_id: int | None = None,
    tags: Iterable[str] = (),
    custom_fields: Mapping[str, Any] | None = None,
    complaint: Mapping[str, Any] | None = None,
    reference: str | None = None,
    actor: Agent | None,
    actor_kind: str | None = None,
    at: datetime | None = None,
) -> Ticket:
    """A new ticket, written to the session but not committed: the caller adds what must land in the
    same transaction (a web form's submission record), commits, then calls `announce_opened`.

    `customer` is `{name, email, phone, language, verified}` (found by e-mail or phone, else created;
    `language` is the one they wrote in, kept when their profile names none; `verified=False`, for
    details nobody checked, never adds contact points to a found profile);
    or give `customer_id`; or `new_customer`, the fields of a profile to create (as `create_customer`
    takes them, with its rules: a contact point someone already owns is a 409), created with the
    ticket or not at all. A complaint needs `complaint.category`. `reference` and `at` are for the
    history import (its own references and timestamps).
    """
    at = at or utcnow()
    owner = customer_for(customer_id, customer, actor, new_customer=new_customer)
    if queue_id is not None:
        check_queue(queue_id)
    if assignee_id is not None:
        check_assignee(assignee_id)
        _may_assign(actor, assignee_id)
    ticket = Ticket(
        reference=reference,
        subject=_subject(subject),
        description=sanitize.clean_html(description or ""),
        type=type,
        priority=priority,
        channel=channel,
        status=Status.NEW if assignee_id is None else Status.OPEN,
        # Both: the id for the steps below, the object so the response need not load it again.
        customer_id=owner.id,
        customer=owner,
        queue_id=queue_id,
        assignee_id=assignee_id,
        custom_fields=dict(custom_fields or {}),
        created_at=at,
        updated_at=at,
        last_customer_message_at=at,
        public_reply_count=0,
        reopen_count=0,
        tag_rows=[TicketTag(tag=tag) for tag in clean_tags(tags)],
        # Known empty: saying so spares the database a query for each.
        sla_targets=[],
        pauses=[],
        complaint=None,
    )
    if assignee_id is not None and actor_kind != IMPORTED:
        # As an assignment would: a new ticket goes only to someone who may work its queue.
        _check_works_queue(ticket, assignee_id)
    if type == TicketType.COMPLAINT:
        ticket.complaint = _new_complaint(complaint or {})
    elif complaint:
        raise Invalid(
            _l("Only complaints carry complaint details."), {"complaint": [_l("Set type to complaint.")]}
        )
    if reference is None:
        _add_named(ticket)
    else:
        # A given reference needs no id, so an import writes its tickets when it flushes a whole batch.
        db.session.add(ticket)
    # One flush at commit for the audit events and SLA targets: choosing the policy reads no tickets.
    with db.session.no_autoflush:
        audit.record(ticket, "created", actor=actor, actor_kind=actor_kind, new=ticket.reference, at=at)
        if assignee_id is not None:
            audit.record(
                ticket,
                "assigned",
                actor=actor,
                actor_kind=actor_kind,
                field="assignee_id",
                new=assignee_id,
                at=at,
            )
        sla.start_clocks(ticket, at)
    ticket_open_staged.send(ticket, customer=owner, actor_kind=actor_kind, at=at)
    return ticket


def customer_for(
    customer_id: int | None,
    details: Mapping[str, Any] | None,
    actor: Agent | None,
    *,
    new_customer: Mapping[str, Any] | None = None,
):
    """The ticket's customer: by id, else found or created from `{name, email, phone}`, else created
    from `new_customer`'s profile fields (flushed, not committed); problems come back under
    `customer_id` or `customer` (a 422, or the 409 of a contact point someone owns)."""
    if new_customer is not None:
        try:
            return customers.stage_customer(**new_customer, actor=actor)
        except Conflict as taken:
            raise Conflict(taken.message, {"customer": taken.errors}) from taken
        except Invalid as error:
            raise _customer_error(error) from error
    if customer_id is not None:
        try:
            return customers.get_customer(customer_id)
        except NotFound as missing:
            raise Invalid(_l("Unknown customer."), {"customer_id": [missing.message]}) from missing
    if not details:
        raise Invalid(
            _l("Say who the ticket is for."),
            {"customer": [_l("Give customer_id or customer contact details.")]},
        )
    try:
        return customers.find_or_add_customer(
            name=details.get("name"),
            email=details.get("email"),
            phone=details.get("phone"),
            language=details.get("language"),
            verified=details.get("verified", True),
            actor=actor,
        )
    except Invalid as error:
        raise _customer_error(error) from error


def customers_for(details: Iterable[Mapping[str, Any]], actor: Agent | None) -> list[Any]:
    """`customer_for` of many tickets' contact details at once (see `customers.find_or_add_customers`):
    each one's customer, or the 422 its ticket would have got."""
    found = customers.find_or_add_customers(list(details), actor=actor)
    return [_customer_error(owner) if isinstance(owner, Invalid) else owner for owner in found]


def _customer_error(error: Invalid) -> Invalid:
    return Invalid(error.message, {"customer": error.errors})


def _may_assign(actor: Agent | None, assignee_id: int) -> None:
    """Agents may take a ticket themselves; giving it to someone else is a supervisor's call."""
    if actor is not None and assignee_id != actor.id and not has_permission(actor, Permission.TICKETS_ASSIGN):
        raise Forbidden(
            _l("Only supervisors give tickets to other agents."), {"assignee_id": [_l("Not allowed.")]}
        )


# The next id and whether its `SB-` name is free (an imported ticket may hold it), in one round trip.
_NEXT_NUMBER = text(
    "SELECT n, EXISTS (SELECT 1 FROM tickets WHERE reference = 'SB-' || lpad(n::text, greatest(6, "
    "length(n::text)), '0')) FROM nextval(pg_get_serial_sequence('tickets', 'id')) AS n"
)


def _add_named(ticket: Ticket) -> None:
    """Add a new ticket to the session under its `SB-<id>` name: on PostgreSQL with its id drawn first,
    so the row is written once, at commit; elsewhere written now to learn its id, then named."""
    named = _name_in_advance(ticket)
    db.session.add(ticket)
    if not named:
        ticket.reference = f"new-{secrets.token_hex(8)}"  # unique until the row has its id
        db.session.flush()
        _set_reference(ticket)


def _name(number: int, *, taken: bool = False) -> str:
    """`SB-` and the number, six digits at least (as `_NEXT_NUMBER` spells it); with a random suffix when
    an imported ticket already holds that name."""
    reference = f"SB-{number:06d}"
    return f"{reference}-{secrets.token_hex(3).upper()}" if taken else reference


def _name_in_advance(ticket: Ticket) -> bool:
    """On PostgreSQL, take the ticket's id from its sequence before writing it, so the row is written
    once, already named, together with everything else at commit (one flush instead of an early flush
    and an UPDATE). False on SQLite, which has no sequence to draw from: there `_set_reference` names
    the written row. A taken name gets the same suffix as there."""
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    with db.session.no_autoflush:  # the ticket, not yet written, must not be flushed without its id
        number, taken = db.session.execute(_NEXT_NUMBER).one()
    ticket.id = number
    ticket.reference = _name(number, taken=taken)
    return True


def _set_reference(ticket: Ticket) -> None:
    """`SB-<id>`, known only once the row has its id.

    Written with a plain UPDATE so the ticket's version stays 1: naming a new ticket is not a change
    anyone could have raced with. An imported ticket may already carry the name (from another helpdesk's
    numbering): then the UPDATE finds it taken and a suffix makes it unique.
    """
    reference = _name(ticket.id)
    taken = select(Ticket.id).where(Ticket.reference == reference).exists()
    named = db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id, ~taken).values(reference=reference),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not named:
        reference = _name(ticket.id, taken=True)
        db.session.execute(
            update(Ticket).where(Ticket.id == ticket.id).values(reference=reference),
            execution_options={"synchronize_session": False},
        )
    set_committed_value(ticket, "reference", reference)


def _new_complaint(details: Mapping[str, Any]) -> Complaint:
    if not details.get("category"):
        raise Invalid(
            _l("A complaint needs a category."),
            {"complaint": {"category": [_l("Missing data for required field.")]}},
        )
    complaint = Complaint(stage=ComplaintStage.RECEIVED)
    for name in ("category", "severity", "desired_outcome", "root_cause", "remedy"):
        if details.get(name) is not None:
            setattr(complaint, name, details[name])
    return complaint


# -- changing ----------------------------------------------------------------------------------------


@unit_of_work
def update_ticket(
    ticket_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    actor: Agent | None,
    actor_kind: str | None = None,
    at: datetime | None = None,
    announce: bool = True,
) -> Ticket:
    """Change fields, status and complaint details, if `expected_version` is still the current one.

    A stale version is a 409 carrying the current state; an illegal status change is a 422 naming the
    allowed ones. Everything changed is recorded in the audit trail.
    """
    ticket = workable_ticket(ticket_id, actor=actor)
    check_version(ticket, expected_version)
    if changes:
        check_open(ticket, changes)
    change = Change(ticket, actor)
    _apply(change, changes, actor=actor, actor_kind=actor_kind, at=at or utcnow())
    commit_ticket(ticket)
    if announce:
        change.send()
    return ticket


def check_version(ticket: Ticket, expected_version: int | None) -> None:
    versions.check(ticket, expected_version, StaleVersion)


class StaleVersion(versions.StaleVersion):
    """Someone changed the ticket since the caller read it; `current` is what it looks like now."""

    def __init__(self, ticket: Ticket):
        super().__init__(ticket, f"Ticket {ticket.reference}")


class TicketClosed(Conflict):
    """Closed is final: agents change nothing on a closed ticket. A customer writing again starts a
    follow-up (`add_customer_message`); an agent opens a new ticket or links one."""

    def __init__(self, ticket: Ticket):
        if ticket.merged_into_id is not None:
            message = _l(
                "Ticket %(reference)s is closed, and a closed ticket is final: it was merged into ticket "
                "%(target)s; write there.",
                reference=ticket.reference,
                target=ticket.merged_into_id,
            )
        else:
            message = _l(
                "Ticket %(reference)s is closed, and a closed ticket is final: open a new ticket and link "
                "it instead.",
                reference=ticket.reference,
            )
        super().__init__(message, {"status": [_l("Closed is final.")]})


def check_open(ticket: Ticket, changes: Mapping[str, Any] | None = None) -> None:
    """Refuse to change a closed ticket. Changing its `status` is left to the transition rule, whose 422
    names the statuses allowed from closed (none)."""
    if ticket.status != Status.CLOSED:
        return
    if changes is not None and changes.get("status", Status.CLOSED) != Status.CLOSED:
        return
    raise TicketClosed(ticket)


def commit_ticket(ticket: Ticket) -> None:
    """Commit a change to `ticket`; a lost race on its version becomes a 409 with the current state."""
    with versions.lost_race_is_stale(lambda: get_ticket(ticket.id), StaleVersion):
        db.session.commit()


def apply_changes(
    change: Change,
    changes: Mapping[str, Any],
    *,
    actor: Agent | None,
    actor_kind: str | None = None,
    at: datetime | None = None,
) -> None:
    """Apply field, tag, complaint, assignee and status changes to `change.ticket` without committing."""
    _apply(change, changes, actor=actor, actor_kind=actor_kind, at=at or utcnow())


def _apply(change: Change, changes: Mapping[str, Any], *, actor, actor_kind, at: datetime) -> None:
    # One flush at commit: every flush of a changed ticket bumps its version, and a change is one version.
    with db.session.no_autoflush:
        _apply_changes(change, changes, actor=actor, actor_kind=actor_kind, at=at)


def _apply_changes(change: Change, changes: Mapping[str, Any], *, actor, actor_kind, at: datetime) -> None:
    ticket = change.ticket
    policy_inputs_changed = False
    for name in PLAIN_FIELDS:
        if name not in changes:
            continue
        new = changes[name]
        if name == "subject":
            new = _subject(new)
        elif name == "description":
            new = sanitize.clean_html(new or "")
        elif name == "queue_id" and new is not None:
            check_queue(new)
        elif name == "type" and new != ticket.type:
            _change_type(ticket, new, changes.get("complaint") or {})
        elif name == "custom_fields":
            # Keys given are set, keys given as null removed, the others kept: a PATCH changes what it names.
            merged = {**ticket.custom_fields, **new}
            new = {key: value for key, value in merged.items() if value is not None}
        old = getattr(ticket, name)
        if old != new:
            setattr(ticket, name, new)
            change.changes[name] = (old, new)
            audit.record(
                ticket, "updated", actor=actor, actor_kind=actor_kind, field=name, old=old, new=new, at=at
            )
            policy_inputs_changed |= name in ("priority", "type", "queue_id")
    if "tags" in changes:
        _set_tags(change, changes["tags"], actor=actor, actor_kind=actor_kind, at=at)
    if changes.get("complaint"):
        _update_complaint(change, changes["complaint"], actor=actor, actor_kind=actor_kind, at=at)
    if "assignee_id" in changes:
        _assign(change, changes["assignee_id"], actor=actor, actor_kind=actor_kind, at=at)
    if "status" in changes and changes["status"] != ticket.status:
        _transition(change, changes["status"], actor=actor, actor_kind=actor_kind, at=at)
    if policy_inputs_changed:
        sla.on_policy_inputs_changed(ticket, at)
    if change.changes or change.assigned_from is not False:
        ticket.updated_at = at


def _subject(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(_l("A ticket needs a subject."), {"subject": [_l("Must not be empty.")]})
    return value


def check_queue(queue_id: int) -> None:
    """A queue a ticket can be put in (422 under `queue_id` if there is none such)."""
    try:
        get_queue(queue_id)
    except NotFound as missing:
        raise Invalid(_l("Unknown queue."), {"queue_id": [missing.message]}) from missing


def check_assignee(agent_id: int) -> None:
    """An agent a ticket can be given to: one that exists and is active (422 under `assignee_id`)."""
    try:
        agent = accounts.get_agent(agent_id)
    except NotFound as missing:
        raise Invalid(_l("Unknown agent."), {"assignee_id": [missing.message]}) from missing
    if not agent.active:
        raise Invalid(_l("That agent is disabled."), {"assignee_id": [_l("The agent is disabled.")]})


def _check_works_queue(ticket: Ticket, agent_id: int) -> None:
    """A ticket goes only to someone who may work it: a member of the team serving its queue."""
    if not may_work(accounts.get_agent(agent_id), ticket):
        raise Invalid(
            _l("That agent is not in the team that works this ticket's queue."),
            {"assignee_id": [_l("Not in the queue's team.")]},
        )


def clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        if not tag or len(tag) > TAG_MAX:
            raise Invalid(
                _l("Bad tag."), {"tags": [_l("Tags are 1 to %(tag_max)s characters.", tag_max=TAG_MAX)]}
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise Invalid(_l("Too many tags."), {"tags": [_l("At most %(max_tags)s tags.", max_tags=MAX_TAGS)]})
    return sorted(cleaned)


def _set_tags(change: Change, tags: Iterable[str], *, actor, actor_kind, at) -> None:
    ticket = change.ticket
    old, new = ticket.tags, clean_tags(tags)
    if old == new:
        return
    ticket.tag_rows = [row for row in ticket.tag_rows if row.tag in new] + [
        TicketTag(tag=tag) for tag in new if tag not in old
    ]
    change.changes["tags"] = (old, new)
    audit.record(ticket, "updated", actor=actor, actor_kind=actor_kind, field="tags", old=old, new=new, at=at)


def _change_type(ticket: Ticket, new_type: str, complaint: Mapping[str, Any]) -> None:
    if new_type == TicketType.COMPLAINT and ticket.complaint is None:
        ticket.complaint = _new_complaint(complaint)
    elif ticket.type == TicketType.COMPLAINT and new_type != TicketType.COMPLAINT:
        raise Invalid(
            _l("A complaint stays a complaint: its handling record must be kept."),
            {"type": [_l("A complaint cannot become another type.")]},
        )


def _assign(change: Change, assignee_id: int | None, *, actor, actor_kind, at) -> None:
    ticket = change.ticket
    if assignee_id == ticket.assignee_id:
        return
    if assignee_id is not None:
        check_assignee(assignee_id)
        if actor_kind != IMPORTED:
            # Another desk's history says who had the ticket there, whatever our teams are now.
            _check_works_queue(ticket, assignee_id)
    previous = ticket.assignee_id
    ticket.assignee_id = assignee_id
    change.assigned_from = previous
    audit.record(
        ticket,
        "assigned",
        actor=actor,
        actor_kind=actor_kind,
        field="assignee_id",
        old=previous,
        new=assignee_id,
        at=at,
    )
    if ticket.status == Status.NEW and assignee_id is not None:
        _transition(change, Status.OPEN, actor=actor, actor_kind=actor_kind, at=at)


def _transition(change: Change, new_status: str, *, actor, actor_kind, at) -> None:
    """Move the ticket to `new_status` if the workflow allows it, keeping clocks and timestamps right."""
    ticket = change.ticket
    old = Status(ticket.status)
    try:
        new = Status(new_status)
    except ValueError as unknown:
        raise Invalid(
            _l("Unknown status."), {"status": [_l("Must be one of: %(choices)s.", choices=", ".join(Status))]}
        ) from unknown
    allowed = TRANSITIONS[old]
    if new not in allowed:
        names = ", ".join(sorted(allowed)) or "none (closed is final)"
        raise Invalid(
            _l(
                "A %(old)s ticket cannot become %(new)s. Allowed: %(names)s.",
                old=old.value,
                new=new.value,
                names=names,
            ),
            {"status": [_l("Allowed from %(old)s: %(names)s.", old=old.value, names=names)]},
        )
    if ticket.complaint is not None and actor_kind != IMPORTED:
        # Another desk's history followed that desk's procedure, not ours: what happened there stands.
        _check_complaint_rules(ticket, new)
    ticket.status = new
    change.changes["status"] = (old.value, new.value)
    audit.record(
        ticket, "status", actor=actor, actor_kind=actor_kind, field="status", old=old, new=new, at=at
    )
    if new == Status.SOLVED:
        ticket.solved_at = at
        change.solved = True
        ticket_solve_staged.send(ticket, actor_kind=actor_kind, at=at)
        if ticket.complaint is not None and _stage_index(ticket.complaint.stage) < _stage_index("resolved"):
            _set_stage(ticket, ComplaintStage.RESOLVED, actor=actor, actor_kind=actor_kind, at=at)
    elif new == Status.CLOSED:
        ticket.closed_at = at
    elif old == Status.SOLVED and new == Status.OPEN:
        # Solved again later, it gets a new `solved_at`: resolution time counts to the last solve.
        ticket.solved_at = None
        ticket.reopen_count += 1
        change.reopened = True
    sla.on_status_change(ticket, old.value, new.value, at)


def _check_complaint_rules(ticket: Ticket, new: Status) -> None:
    complaint = ticket.complaint
    if new == Status.SOLVED:
        missing = {
            name: ["Record it before solving a complaint."]
            for name in ("root_cause", "remedy")
            if not (getattr(complaint, name) or "").strip()
        }
        if missing:
            raise Invalid(
                _l("A complaint cannot be solved without a root cause and a remedy."), {"complaint": missing}
            )
    if new == Status.CLOSED and complaint.followed_up_at is None:
        raise Invalid(
            _l("A complaint is closed only after the follow-up contact is recorded."),
            {"complaint": {"follow_up_note": [_l("Record the follow-up contact first.")]}},
        )


def _stage_index(stage: str) -> int:
    return COMPLAINT_STAGES.index(ComplaintStage(stage))


def _set_stage(ticket: Ticket, stage: ComplaintStage, *, actor, actor_kind, at) -> None:
    complaint = ticket.complaint
    old = complaint.stage
    complaint.stage = stage
    if stage == ComplaintStage.ACKNOWLEDGED and complaint.acknowledged_at is None:
        complaint.acknowledged_at = at
    if stage == ComplaintStage.FOLLOWED_UP and complaint.followed_up_at is None:
        complaint.followed_up_at = at
    audit.record(
        ticket, "complaint", actor=actor, actor_kind=actor_kind, field="stage", old=old, new=stage, at=at
    )


def _update_complaint(change: Change, details: Mapping[str, Any], *, actor, actor_kind, at) -> None:
    ticket = change.ticket
    complaint = ticket.complaint
    if complaint is None:
        raise Invalid(
            _l("Only complaints carry complaint details."),
            {"complaint": [_l("This ticket is not a complaint.")]},
        )
    for name in COMPLAINT_FIELDS:
        if name not in details or name == "stage":
            continue
        old, new = getattr(complaint, name), details[name]
        if name == "compensation_currency" and isinstance(new, str):
            new = new.strip().upper()  # `usd` is USD, whoever typed it
        if old != new:
            setattr(complaint, name, new)
            change.changes[f"complaint.{name}"] = (old, new)
            audit.record(
                ticket, "complaint", actor=actor, actor_kind=actor_kind, field=name, old=old, new=new, at=at
            )
    if details.get("follow_up_note"):
        _advance_stage(change, ComplaintStage.FOLLOWED_UP, actor=actor, actor_kind=actor_kind, at=at)
    if "stage" in details and details["stage"] != complaint.stage:
        _advance_stage(change, ComplaintStage(details["stage"]), actor=actor, actor_kind=actor_kind, at=at)


def _advance_stage(change: Change, stage: ComplaintStage, *, actor, actor_kind, at) -> None:
    """Stages only move forward, one recognised step at a time (skipping is allowed, going back is not)."""
    ticket = change.ticket
    complaint = ticket.complaint
    current = _stage_index(complaint.stage)
    wanted = _stage_index(stage)
    if wanted == current:
        return
    if wanted < current:
        raise Invalid(
            _l(
                "A complaint at %(stage)s cannot go back to %(stage2)s.",
                stage=complaint.stage,
                stage2=stage.value,
            ),
            {"complaint": {"stage": [_l("Stages only move forward.")]}},
        )
    if wanted >= _stage_index(ComplaintStage.RESOLVED):
        _check_complaint_rules(ticket, Status.SOLVED)
    if stage == ComplaintStage.FOLLOWED_UP and not (complaint.follow_up_note or "").strip():
        raise Invalid(
            _l("Record what the follow-up contact said."),
            {"complaint": {"follow_up_note": [_l("Required to follow up.")]}},
        )
    if stage == ComplaintStage.FOLLOWED_UP and ticket.status in UNSOLVED:
        raise Invalid(
            _l("Follow up after the complaint is solved."),
            {"complaint": {"stage": [_l("Solve the ticket first.")]}},
        )
    change.changes["complaint.stage"] = (complaint.stage, stage.value)
    _set_stage(ticket, stage, actor=actor, actor_kind=actor_kind, at=at)


# -- assignment --------------------------------------------------------------------------------------


@unit_of_work
def claim_ticket(ticket_id: int, *, actor: Agent) -> Ticket:
    """Give an unassigned ticket to `actor`; of several agents racing, exactly one wins.

    The conditional UPDATE is the arbiter: the database lets one statement through, the others find
    an assignee already set and answer 409.
    """
    at = utcnow()
    for _attempt in range(3):
        ticket = workable_ticket(ticket_id, actor=actor)
        if ticket.assignee_id is not None or ticket.status not in UNSOLVED:
            break
        _check_claim_allowed(ticket, actor)
        before = Status(ticket.status)
        after = Status.OPEN if before == Status.NEW else before
        won = db.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None), Ticket.status == before)
            .values(assignee_id=actor.id, status=after, version=Ticket.version + 1, updated_at=at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won:
            db.session.expire(ticket)
            audit.record(ticket, "assigned", actor=actor, field="assignee_id", old=None, new=actor.id, at=at)
            if after != before:
                audit.record(ticket, "status", actor=actor, field="status", old=before, new=after, at=at)
                sla.on_status_change(ticket, before, after, at)
            db.session.commit()
            ticket_assigned.send(ticket, actor=actor, previous_assignee_id=None)
            if after != before:
                ticket_updated.send(ticket, actor=actor, changes={"status": (before.value, after.value)})
            return ticket
        # The ticket changed between our read and our write: look again.
        roll_back()
    ticket = get_ticket(ticket_id)
    raise Conflict(
        _l("Ticket %(reference)s is already taken or no longer open.", reference=ticket.reference),
        {
            "assignee_id": [
                _l("Assigned to agent %(assignee_id)s.", assignee_id=ticket.assignee_id)
                if ticket.assignee_id
                else _l("Not open.")
            ]
        },
    )


def _check_claim_allowed(ticket: Ticket, actor: Agent) -> None:
    """Rooms above may forbid claiming by hand (a queue whose work routing only offers)."""
    for _receiver, reason in ticket_claim_requested.send(ticket, actor=actor):
        if reason:
            raise Forbidden(reason, {"ticket": [reason]})


@unit_of_work
def assign_ticket(
    ticket_id: int, assignee_id: int | None, *, actor: Agent, expected_version: int | None = None
) -> Ticket:
    """A supervisor gives the ticket to an agent (or takes it away with None)."""
    ticket = workable_ticket(ticket_id, actor=actor)
    check_version(ticket, expected_version)
    check_open(ticket)
    change = Change(ticket, actor)
    at = utcnow()
    _assign(change, assignee_id, actor=actor, actor_kind=None, at=at)
    if change.assigned_from is not False:
        ticket.updated_at = at
    commit_ticket(ticket)
    change.send()
    return ticket


# -- conversation ------------------------------------------------------------------------------------


@unit_of_work
def add_comment(
    ticket_id: int,
    *,
    body: str,
    public: bool = True,
    mention_ids: Iterable[int] = (),
    status: str | None = None,
    actor: Agent,
    actor_kind: str | None = None,
    at: datetime | None = None,
    announce: bool = True,
) -> Comment:
    """An agent's public reply or internal note, optionally moving the ticket to `status` with it.

    The first public reply sets `first_response_at`; public replies meet SLA response targets. A comment
    does not depend on the version the agent read, so it locks the ticket instead: comments written at
    the same moment queue up rather than fail.
    """
    ticket = workable_ticket(ticket_id, actor=actor, for_update=True)
    change = Change(ticket, actor)
    comment = reply(
        change, body=body, public=public, mention_ids=mention_ids, status=status, actor_kind=actor_kind, at=at
    )
    commit_ticket(ticket)
    if announce:
        ticket_commented.send(ticket, actor=actor, comment=comment)
        change.send()
    return comment


def reply(
    change: Change,
    *,
    body: str,
    public: bool,
    mention_ids: Iterable[int] = (),
    status: str | None = None,
    actor_kind: str | None = None,
    at: datetime | None = None,
) -> Comment:
    """Add an agent's comment to `change.ticket` without committing (for `add_comment`, macros and the
    history import). A closed ticket takes none: closed is final, here as on every path."""
    ticket, actor = change.ticket, change.actor
    check_open(ticket, None if status is None else {"status": status})
    at = at or utcnow()
    mentions = _agents_mentioned(mention_ids)
    comment = Comment(
        ticket=ticket, author_id=actor.id, public=public, body=_body(body), created_at=at, mentions=mentions
    )
    db.session.add(comment)
    with db.session.no_autoflush:
        if public:
            ticket.public_reply_count += 1
            if ticket.first_response_at is None:
                ticket.first_response_at = at
            sla.on_agent_public_reply(ticket, at)
        audit.record(ticket, "reply" if public else "note", actor=actor, actor_kind=actor_kind, at=at)
        if status is not None and status != ticket.status:
            _transition(change, status, actor=actor, actor_kind=actor_kind, at=at)
        elif public and ticket.status == Status.NEW:
            _transition(change, Status.OPEN, actor=actor, actor_kind=actor_kind, at=at)
        ticket.updated_at = at
    public_reply_staged.send(ticket, comment=comment, solved=change.solved, actor_kind=actor_kind, at=at)
    return comment


def _agents_mentioned(agent_ids: Iterable[int]) -> list[Agent]:
    mentioned = []
    for agent_id in sorted(set(agent_ids)):
        try:
            mentioned.append(accounts.get_agent(agent_id))
        except NotFound as missing:
            raise Invalid(_l("Unknown agent mentioned."), {"mention_ids": [missing.message]}) from missing
    return mentioned


@unit_of_work
def add_customer_message(
    ticket_id: int,
    *,
    body: str,
    at: datetime | None = None,
    announce: bool = True,
    channel: str | None = None,
) -> Comment:
    """The customer wrote (portal, e-mail). A pending or solved ticket opens again. A merged ticket
    passes the message on to the one it was merged into. A closed ticket is final: the message goes to
    its open follow-up, or starts one linked to it, on the `channel` the message came by (unsaid: the
    closed ticket's)."""
    at = at or utcnow()
    ticket, created = _ticket_for_customer_message(get_ticket(ticket_id), at, channel)
    change = Change(ticket, None)
    comment = customer_wrote(change, body=body, at=at)
    commit_ticket(ticket)
    if announce:
        if created:
            ticket_opened.send(ticket, actor=None)
        ticket_commented.send(ticket, actor=None, comment=comment)
        change.send()
    return comment


def customer_wrote(change: Change, *, body: str, at: datetime) -> Comment:
    """Add the customer's message to `change.ticket` (one that takes messages: neither closed nor merged)
    without committing: a pending or solved ticket opens again, and the SLA clocks follow."""
    ticket = change.ticket
    comment = Comment(
        ticket=ticket, customer_id=ticket.customer_id, public=True, body=_body(body), created_at=at
    )
    db.session.add(comment)
    with db.session.no_autoflush:
        audit.record(ticket, "customer_reply", actor=None, actor_kind="customer", at=at)
        ticket.last_customer_message_at = at
        if ticket.status in (Status.PENDING, Status.SOLVED):
            _transition(change, Status.OPEN, actor=None, actor_kind="customer", at=at)
        sla.on_customer_message(ticket, at)
        ticket.updated_at = at
    return comment


def _ticket_for_customer_message(ticket: Ticket, at: datetime, channel: str | None) -> tuple[Ticket, bool]:
    """Where a customer's message about `ticket` belongs, and whether that ticket was just created."""
    seen = set()
    while ticket.merged_into_id is not None and ticket.id not in seen:
        seen.add(ticket.id)
        ticket = get_ticket(ticket.merged_into_id)
    if ticket.status != Status.CLOSED:
        return get_ticket(ticket.id, for_update=True), False
    open_follow_up = db.session.scalar(
        select(Ticket)
        .where(Ticket.follow_up_of_id == ticket.id, Ticket.status != Status.CLOSED)
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    if open_follow_up is not None:
        return open_follow_up, False
    return _follow_up(ticket, at, channel), True


def _follow_up(closed: Ticket, at: datetime, channel: str | None) -> Ticket:
    ticket = Ticket(
        subject=f"Follow-up: {closed.subject}"[:250],
        description="",
        type=closed.type if closed.type != TicketType.COMPLAINT else TicketType.QUESTION,
        priority=closed.priority,
        channel=channel or closed.channel,
        status=Status.NEW,
        customer_id=closed.customer_id,
        queue_id=closed.queue_id,
        follow_up_of_id=closed.id,
        created_at=at,
        updated_at=at,
        sla_targets=[],
        pauses=[],
    )
    _add_named(ticket)
    db.session.add(TicketLink(ticket_id=ticket.id, linked_ticket_id=closed.id, kind="follow_up"))
    audit.record(ticket, "created", actor=None, actor_kind="customer", new=ticket.reference, at=at)
    audit.record(closed, "follow_up", actor=None, actor_kind="customer", new=ticket.reference, at=at)
    sla.start_clocks(ticket, at)
    return ticket


def _body(body: str) -> str:
    cleaned = sanitize.clean_html(body or "")
    if not sanitize.html_to_text(cleaned).strip():
        raise Invalid(_l("The message is empty."), {"body": [_l("Write something.")]})
    return cleaned


# -- merging and linking -----------------------------------------------------------------------------


@unit_of_work
def merge_tickets(source_id: int, target_id: int, *, actor: Agent) -> Ticket:
    """Fold a duplicate into another ticket: its conversation moves over, and it is closed as merged.

    Repeating a finished merge changes nothing.
    """
    if source_id == target_id:
        raise Invalid(_l("A ticket cannot be merged into itself."), {"into": [_l("Pick another ticket.")]})
    source = workable_ticket(source_id, actor=actor)
    target = check_may_work(_named_ticket(target_id, "into", viewer=actor), actor)
    if source.merged_into_id == target.id:
        return target
    if source.complaint is not None:
        raise Invalid(
            _l("A complaint is closed by its own procedure, not by a merge; link the tickets instead."),
            {"into": [_l("Complaints cannot be merged away.")]},
        )
    if source.merged_into_id is not None:
        raise Conflict(
            _l("Ticket %(reference)s was already merged into another ticket.", reference=source.reference)
        )
    check_open(source)
    if target.merged_into_id is not None or target.status == Status.CLOSED:
        raise Conflict(
            _l(
                "Ticket %(reference)s is closed or merged; merge into an open ticket.",
                reference=target.reference,
            )
        )
    if source.customer_id != target.customer_id:
        raise Invalid(
            _l("Only tickets of the same customer can be merged."),
            {"into": [_l("Another customer's ticket.")]},
        )
    at = utcnow()
    for comment in db.session.scalars(select(Comment).where(Comment.ticket_id == source.id)):
        comment.ticket_id = target.id
    for attachment in db.session.scalars(select(Attachment).where(Attachment.ticket_id == source.id)):
        attachment.ticket_id = target.id
    db.session.add(
        Comment(
            ticket_id=target.id,
            author_id=actor.id,
            public=False,
            body=sanitize.text_to_html(
                f"Merged {source.reference}: {source.subject}\n\n{sanitize.html_to_text(source.description)}"
            ),
            created_at=at,
        )
    )
    old_status = source.status
    source.merged_into_id = target.id
    source.status = Status.CLOSED
    source.closed_at = at
    source.updated_at = target.updated_at = at
    db.session.add(
        TicketLink(ticket_id=source.id, linked_ticket_id=target.id, kind="merged", created_by_id=actor.id)
    )
    audit.record(
        source, "merged_into", actor=actor, field="status", old=old_status, new=target.reference, at=at
    )
    audit.record(target, "merged", actor=actor, new=source.reference, at=at)
    sla.on_status_change(source, old_status, Status.CLOSED, at)
    commit_ticket(target)
    ticket_updated.send(source, actor=actor, changes={"status": (old_status, Status.CLOSED.value)})
    ticket_updated.send(target, actor=actor, changes={"merged": (None, source.reference)})
    return target


def _named_ticket(ticket_id: int, field: str, *, viewer: Agent | None) -> Ticket:
    """A ticket the request names in a field: missing (or hidden from `viewer`) is that field's error
    (422), not a 404."""
    try:
        return readable_ticket(ticket_id, viewer=viewer)
    except NotFound as missing:
        raise Invalid(_l("Unknown ticket."), {field: [missing.message]}) from missing


def link_tickets(ticket_id: int, other_id: int, *, kind: str = "related", actor: Agent) -> TicketLink:
    """Link two tickets (both see the link); linking twice is harmless."""
    if ticket_id == other_id:
        raise Invalid(_l("A ticket cannot be linked to itself."), {"ticket_id": [_l("Pick another ticket.")]})
    ticket = workable_ticket(ticket_id, actor=actor)
    other = _named_ticket(other_id, "ticket_id", viewer=actor)
    existing = db.session.scalar(
        select(TicketLink).where(
            TicketLink.kind == kind,
            ((TicketLink.ticket_id == ticket.id) & (TicketLink.linked_ticket_id == other.id))
            | ((TicketLink.ticket_id == other.id) & (TicketLink.linked_ticket_id == ticket.id)),
        )
    )
    if existing is not None:
        return existing
    link = TicketLink(ticket_id=ticket.id, linked_ticket_id=other.id, kind=kind, created_by_id=actor.id)
    db.session.add(link)
    audit.record(ticket, "linked", actor=actor, field=kind, new=other.reference)
    audit.record(other, "linked", actor=actor, field=kind, new=ticket.reference)
    db.session.commit()
    return link


def list_links(ticket_id: int, *, viewer: Agent | None) -> list[dict[str, Any]]:
    """The ticket's links, leaving out those to tickets `viewer` may not see."""
    ticket = readable_ticket(ticket_id, viewer=viewer)
    rows = db.session.scalars(
        select(TicketLink).where(
            (TicketLink.ticket_id == ticket.id) | (TicketLink.linked_ticket_id == ticket.id)
        )
    )
    result = []
    for link in rows:
        other_id = link.linked_ticket_id if link.ticket_id == ticket.id else link.ticket_id
        other = db.session.get(Ticket, other_id)
        if not may_see(viewer, other):
            continue
        result.append(
            {
                "kind": link.kind,
                "ticket_id": other.id,
                "reference": other.reference,
                "subject": other.subject,
                "status": other.status,
                "created_at": link.created_at,
            }
        )
    return result


# -- many at once ------------------------------------------------------------------------------------


@unit_of_work
def bulk_update(ticket_ids: Iterable[int], changes: Mapping[str, Any], *, actor: Agent) -> list[Ticket]:
    """Apply the same change to many tickets in one commit: all of them change, or none (422 names the
    tickets that refused and why)."""
    ids = sorted(set(ticket_ids))
    at = utcnow()
    done: list[Change] = []
    problems: dict[str, Any] = {}
    tag_edits = {"add": changes.get("add_tags") or [], "remove": set(changes.get("remove_tags") or [])}
    changes = {k: v for k, v in changes.items() if k not in ("add_tags", "remove_tags")}
    for ticket_id in ids:
        try:
            ticket = workable_ticket(ticket_id, actor=actor)
            change = Change(ticket, actor)
            if tag_edits["add"] or tag_edits["remove"]:
                kept = [tag for tag in ticket.tags if tag not in tag_edits["remove"]]
                changes = {**changes, "tags": kept + [t for t in tag_edits["add"] if t not in kept]}
            check_open(ticket, changes)
            _apply(change, changes, actor=actor, actor_kind=None, at=at)
            done.append(change)
        except (Invalid, NotFound, Forbidden, TicketClosed) as error:
            problems[str(ticket_id)] = error.errors or [error.message]
    if problems:
        raise Invalid(_l("Some tickets cannot take this change; none were changed."), {"tickets": problems})
    try:
        db.session.commit()
    except StaleDataError as lost_race:
        raise Conflict(
            _l("Some of the tickets changed meanwhile; none were changed. Try again.")
        ) from lost_race
    for change in done:
        change.send()
    return [change.ticket for change in done]


# -- customers ---------------------------------------------------------------------------------------


def follow_merged_customer(source_customer_id: int, target_customer_id: int) -> int:
    """A step of a customer merge (its staged signal): the source's tickets and comments follow the
    survivor, in the merge's transaction. Safe to repeat; returns how many tickets moved."""
    moved = 0
    for ticket in db.session.scalars(select(Ticket).where(Ticket.customer_id == source_customer_id)):
        ticket.customer_id = target_customer_id
        audit.record(
            ticket, "updated", actor=None, field="customer_id", old=source_customer_id, new=target_customer_id
        )
        moved += 1
    for comment in db.session.scalars(select(Comment).where(Comment.customer_id == source_customer_id)):
        comment.customer_id = target_customer_id
    return moved


def move_customer_tickets(source_customer_id: int, target_customer_id: int) -> int:
    """`follow_merged_customer` on its own, committed (the job that did this after a merge before merges
    did it themselves). Returns how many tickets moved (0 the second time)."""
    moved = follow_merged_customer(source_customer_id, target_customer_id)
    db.session.commit()
    return moved


TIMELINE_KINDS = {"created", "status", "customer_reply", "reply", "merged_into", "follow_up"}


def timeline_entries(
    customer_ids: list[int], *, before: datetime | None, limit: int, viewer: Agent | None
) -> list[dict[str, Any]]:
    """The customer's tickets `viewer` may see and what happened on them, newest first, for the 360°
    timeline."""
    query = (
        select(TicketEvent, Ticket)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            Ticket.customer_id.in_(customer_ids),
            TicketEvent.kind.in_(TIMELINE_KINDS),
            visible_to(viewer),
        )
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(TicketEvent.at < before)
    return [_timeline_entry(event, ticket) for event, ticket in db.session.execute(query)]


def _timeline_entry(event, ticket: Ticket) -> dict[str, Any]:
    """One ticket event on the timeline: `text` reads in the page's language (the customers room makes
    the API's English `title` of it). The workflow's words read as the ticket pages show them, lower case
    inside a sentence."""
    what = word("complaint") if ticket.is_complaint else _l("Ticket")
    reference = ticket.reference
    if event.kind == "created":
        text = _l(
            "%(what)s %(reference)s opened: %(subject)s",
            what=what,
            reference=reference,
            subject=ticket.subject,
        )
    elif event.kind == "status":
        status = LazyString(lambda value: label(value).lower(), str(event.new_value))
        text = _l("%(what)s %(reference)s is now %(status)s", what=what, reference=reference, status=status)
    elif event.kind == "customer_reply":
        text = _l("Customer wrote on %(reference)s", reference=reference)
    elif event.kind == "reply":
        text = _l("Agent replied on %(reference)s", reference=reference)
    elif event.kind == "merged_into":
        text = _l("%(reference)s merged into %(target)s", reference=reference, target=event.new_value)
    else:  # follow_up
        text = _l(
            "Follow-up %(follow_up)s opened for %(reference)s", follow_up=event.new_value, reference=reference
        )
    return {
        "occurred_at": event.at,
        "kind": f"ticket_{event.kind}",
        "source": "tickets",
        "text": text,
        "data": {"reference": ticket.reference, "status": ticket.status, "type": ticket.type},
        "ref": {"type": "ticket", "id": ticket.id},
    }
