"""SLA policies, business-hours calendars and each ticket's SLA clocks.

Policies
--------
An `SlaPolicy` sets targets in seconds (first response, next response, resolution) for the tickets
matching its queue, priority and type, each optional and meaning "any". The most specific matching
policy applies: a type match outweighs a queue match, which outweighs a priority match (weights 4, 2, 1);
ties go to the lowest id. Two policies with exactly the same criteria are refused (the second could
never apply). A policy with a calendar counts business hours only; without one, wall-clock time.

Which policy a ticket gets is decided when its clocks start and again when its queue, priority or type
changes. Editing a policy or its calendar re-times the open targets that use it (same start, the
policy's new targets and hours); deleting a policy hands its tickets' open targets to the next policy
that matches them.

Built-in defaults
-----------------
When no stored policy matches, built-in targets apply (`policy_id` None, shown as "default"), counting
wall-clock time (24x7):

    priority   first response   next response   resolution
    urgent          1 h              4 h           1 day
    high            4 h              8 h           2 days
    normal          8 h             24 h           5 days
    low            24 h             48 h          10 days

Complaints answer faster: first response 2 h, next response 8 h, resolution 5 days, or the priority's
figure when that is faster still (an urgent complaint keeps 1 h / 4 h / 1 day). The default warning
window is the `SLA_WARNING_SECONDS` setting (3600 unless configured).

Clocks
------
A ticket's targets are `SlaTarget` rows. `first_response` and `resolution` start when the ticket is
created; a `next_response` starts when the customer writes after the first agent reply and none is
running. A target's `due_at` comes from the business-hours engine (`business_hours.due_at`): business
time from `started_at`, less the stretches the ticket was `pending` (`TicketPause` rows). While the
ticket is pending, a target that wasn't yet due has no due time (its clock is stopped); one already
overdue keeps its due time, since the breach has happened.

A target ends met (`met_at`) or cancelled (`cancelled_at`, when it no longer applies). It is breached
when its due time passes unmet: `breached_at` is the due time itself, whoever notices first, the
periodic `check_sla` or the change that ends the target late, and the `sla_breached` audit event is
written once, by whoever sets `breached_at`. So the outcome never depends on when the job last ran.
A replayed history (the import) ends with `record_past_breaches`: what was already overdue then is
recorded breached as of its due time, silently, so the periodic check never announces old breaches.
Breaches and targets already met or cancelled are facts: later changes leave them as they are.

The clock functions (`start_clocks`, `on_status_change`, `on_agent_public_reply`,
`on_customer_message`, `on_policy_inputs_changed`, `record_past_breaches`) are steps of the ticket
services' use cases: they add to the caller's session and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import load_only, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts import services as accounts
from app.accounts.models import Agent, SettingKind
from app.dbtypes import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.named_settings import NamedSettings
from app.process_cache import cached, watch
from app.tickets import audit
from app.tickets.models import Priority, Queue, Status, Ticket, TicketType
from app.tickets.signals import sla_breach_staged, sla_breached, sla_warning
from app.tickets.sla.business_hours import BusinessCalendar, Pause, due_at
from app.tickets.sla.models import Calendar, SlaPolicy, SlaTarget, TicketPause

HOUR = 3600
DAY = 24 * HOUR
MAX_TARGET_SECONDS = 365 * DAY
MAX_WARNING_SECONDS = 365 * DAY
DEFAULT_WARNING_SECONDS = 3600
MAX_HOLIDAYS = 1000
MAX_INTERVALS_PER_DAY = 48
HOLIDAY_NAME_MAX = 80
# Rows per query in the sweeps below: enough to amortise round trips, small enough to keep memory flat.
BATCH_SIZE = 500


class TargetKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class TargetStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


_SECONDS_FIELDS = {
    TargetKind.FIRST_RESPONSE: "first_response_seconds",
    TargetKind.NEXT_RESPONSE: "next_response_seconds",
    TargetKind.RESOLUTION: "resolution_seconds",
}

DEFAULT_TARGETS: dict[str, dict[TargetKind, int]] = {
    Priority.URGENT: {
        TargetKind.FIRST_RESPONSE: HOUR,
        TargetKind.NEXT_RESPONSE: 4 * HOUR,
        TargetKind.RESOLUTION: DAY,
    },
    Priority.HIGH: {
        TargetKind.FIRST_RESPONSE: 4 * HOUR,
        TargetKind.NEXT_RESPONSE: 8 * HOUR,
        TargetKind.RESOLUTION: 2 * DAY,
    },
    Priority.NORMAL: {
        TargetKind.FIRST_RESPONSE: 8 * HOUR,
        TargetKind.NEXT_RESPONSE: 24 * HOUR,
        TargetKind.RESOLUTION: 5 * DAY,
    },
    Priority.LOW: {
        TargetKind.FIRST_RESPONSE: 24 * HOUR,
        TargetKind.NEXT_RESPONSE: 48 * HOUR,
        TargetKind.RESOLUTION: 10 * DAY,
    },
}
COMPLAINT_TARGETS: dict[TargetKind, int] = {
    TargetKind.FIRST_RESPONSE: 2 * HOUR,
    TargetKind.NEXT_RESPONSE: 8 * HOUR,
    TargetKind.RESOLUTION: 5 * DAY,
}


@dataclass(frozen=True)
class AppliedPolicy:
    """The targets a ticket's clocks run on: a stored policy's, or a built-in default's (policy_id None)."""

    policy_id: int | None
    name: str
    calendar: BusinessCalendar
    targets: Mapping[str, int | None]  # kind -> seconds; None: the policy has no such target
    warning_seconds: int


# -- choosing the policy ------------------------------------------------------------------------------


def policy_for(ticket: Ticket) -> AppliedPolicy:
    """The policy that applies to a ticket as it is now: the most specific stored match, else a default."""
    return _choose(ticket)


def read_policies_once() -> None:
    """Keep the policies as they are now for the rest of the session, for a use case that starts many
    tickets' clocks (the history import's batches). Policies changed meanwhile apply from the next
    session on."""
    db.session.info[_POLICIES] = _read_policies()


_POLICIES = "sla.policies"
watch(SlaPolicy, Calendar)  # for _policies' cache


class _Choice(NamedTuple):
    """A stored policy, as choosing needs it: its criteria (the model's names) and its targets."""

    id: int
    queue_id: int | None
    priority: str | None
    ticket_type: str | None
    applied: AppliedPolicy


def _policies() -> list[_Choice]:
    """Every stored policy: the session's own reading (`read_policies_once`), else this process's
    (every ticket opened asks, and policies change seldom: `app.process_cache` reads them again after
    any process commits a change to a policy or a calendar)."""
    read = db.session.info.get(_POLICIES)
    return read if read is not None else cached("sla.policies", None, _read_policies)


def _read_policies() -> list[_Choice]:
    # Only what choosing needs (not the versions, which only a change of a policy reads): a schema one
    # migration behind still opens tickets, as the full-text upgrade's test does.
    query = (
        select(SlaPolicy)
        .order_by(SlaPolicy.id)
        .options(
            load_only(
                SlaPolicy.name,
                SlaPolicy.queue_id,
                SlaPolicy.priority,
                SlaPolicy.ticket_type,
                SlaPolicy.calendar_id,
                *(getattr(SlaPolicy, name) for name in _SECONDS_FIELDS.values()),
                SlaPolicy.warning_seconds,
            ),
            selectinload(SlaPolicy.calendar).load_only(
                Calendar.timezone, Calendar.weekly_hours, Calendar.holidays
            ),
        )
    )
    return [
        _Choice(policy.id, policy.queue_id, policy.priority, policy.ticket_type, _applied(policy))
        for policy in db.session.scalars(query)
    ]


def _choose(ticket: Ticket, *, excluding: int | None = None) -> AppliedPolicy:
    matching = [p for p in _policies() if p.id != excluding and _matches(p, ticket)]
    if not matching:
        return _default_for(ticket)
    return min(matching, key=_rank).applied


def _matches(policy: _Choice, ticket: Ticket) -> bool:
    """Each of the policy's criteria is unset ("any") or the ticket's."""
    return all(
        criterion is None or criterion == value
        for criterion, value in (
            (policy.queue_id, ticket.queue_id),
            (policy.priority, ticket.priority),
            (policy.ticket_type, ticket.type),
        )
    )


def _rank(policy: _Choice) -> tuple[int, int]:
    """The most specific policy first; ties go to the lowest id."""
    return (-_specificity(policy), policy.id)


def _specificity(policy: _Choice) -> int:
    return (
        4 * (policy.ticket_type is not None)
        + 2 * (policy.queue_id is not None)
        + (policy.priority is not None)
    )


def _applied(policy: SlaPolicy) -> AppliedPolicy:
    return AppliedPolicy(
        policy_id=policy.id,
        name=policy.name,
        calendar=_business_calendar(policy.calendar),
        targets={kind: getattr(policy, name) for kind, name in _SECONDS_FIELDS.items()},
        warning_seconds=policy.warning_seconds,
    )


def _default_for(ticket: Ticket) -> AppliedPolicy:
    targets: dict[str, int | None] = dict(
        DEFAULT_TARGETS.get(ticket.priority, DEFAULT_TARGETS[Priority.NORMAL])
    )
    name = "default"
    if ticket.is_complaint:
        # A complaint is never answered slower than an ordinary ticket of the same priority.
        targets = {kind: min(seconds, COMPLAINT_TARGETS[kind]) for kind, seconds in targets.items()}
        name = "default (complaint)"
    return AppliedPolicy(None, name, BusinessCalendar.always_open(), targets, default_warning_seconds())


def default_warning_seconds() -> int:
    """The warning window of targets under a built-in default (setting `SLA_WARNING_SECONDS`)."""
    return int(current_app.config.get("SLA_WARNING_SECONDS", DEFAULT_WARNING_SECONDS))


def _business_calendar(calendar: Calendar | None) -> BusinessCalendar:
    if calendar is None:
        return BusinessCalendar.always_open()
    return BusinessCalendar.from_dict(
        {"timezone": calendar.timezone, "weekly_hours": calendar.weekly_hours, "holidays": calendar.holidays}
    )


# -- the clocks (steps of the ticket services' use cases: no commit) --------------------------------------


def start_clocks(ticket: Ticket, at: datetime) -> None:
    """Start a new ticket's first-response and resolution clocks under the policy that applies to it.

    The clocks start at the ticket's `created_at`. Targets the ticket already has are left alone, so a
    second call changes nothing.
    """
    applied = _choose(ticket)
    started_at = ticket.created_at or at
    present = {target.kind for target in ticket.sla_targets}
    # A ticket still `new` has never been pending (nothing leads back to `new`), so it has no pauses.
    pauses = [] if ticket.status == "new" else _ticket_pauses(ticket)
    for kind in (TargetKind.FIRST_RESPONSE, TargetKind.RESOLUTION):
        if kind not in present:
            _start(ticket, applied, kind, started_at, pauses)


def on_status_change(ticket: Ticket, old_status: str, new_status: str, at: datetime) -> None:
    """Follow a status change: `pending` stops the clocks, leaving it restarts them; `solved` meets the
    resolution target and cancels the response targets; a reopen runs the resolution clock again from
    its original start; `closed` cancels whatever is still running.

    Time spent pending is left out of every target that was running; the solved stretch before a reopen
    is not (resolution time runs from creation to the last solve, as in KPI.md).
    """
    if old_status == new_status:
        return
    targets = list(ticket.sla_targets)
    if old_status == Status.PENDING:
        for pause in _open_pauses(ticket):
            pause.ended_at = at
    if old_status == Status.SOLVED and new_status not in (Status.SOLVED, Status.CLOSED):
        for target in targets:
            if (
                target.kind == TargetKind.RESOLUTION
                and target.met_at is not None
                and target.cancelled_at is None
            ):
                target.met_at = None
                target.warned_at = None  # a new run deserves its own warning
    if new_status == Status.PENDING and not _open_pauses(ticket):
        ticket.pauses.append(TicketPause(started_at=at))
    _retime_ticket(ticket)
    if new_status == Status.SOLVED:
        for target in _open(targets):
            _end(ticket, target, at, met=target.kind == TargetKind.RESOLUTION)
    elif new_status == Status.CLOSED:
        for target in _open(targets):
            _end(ticket, target, at, met=False)


def on_agent_public_reply(ticket: Ticket, at: datetime) -> None:
    """An agent answered the customer publicly: the running first- and next-response targets are met
    (and breached as well, at their due time, if the reply came late)."""
    for target in _open(ticket.sla_targets):
        if target.kind in (TargetKind.FIRST_RESPONSE, TargetKind.NEXT_RESPONSE):
            _end(ticket, target, at, met=True)


def on_customer_message(ticket: Ticket, at: datetime) -> None:
    """The customer wrote: start a next-response clock if the policy has one and none is running.

    Nothing starts while the first response is still owed (the next agent reply answers both), nor on a
    closed ticket. On a solved one it does: the customer's reply reopens it, whichever of the two calls
    the ticket service makes first.
    """
    if ticket.status == Status.CLOSED:
        return
    targets = ticket.sla_targets
    owed = {target.kind for target in _open(targets)}
    if TargetKind.FIRST_RESPONSE in owed or TargetKind.NEXT_RESPONSE in owed:
        return
    applied = _choose(ticket)
    _start(ticket, applied, TargetKind.NEXT_RESPONSE, at, _ticket_pauses(ticket))


def on_policy_inputs_changed(ticket: Ticket, at: datetime) -> None:
    """The queue, priority or type changed: choose the policy again. Running targets take its targets
    (same start, due time recomputed), targets it lacks are cancelled, and targets it has that the
    ticket lacks start from the ticket's creation (a first response only if none was given yet)."""
    _reapply(ticket, _choose(ticket), at)


def record_past_breaches(ticket: Ticket, now: datetime) -> None:
    """End a replay of the ticket's history (the history import): its running targets already overdue
    at `now` are breached as of their due time (`breached_at` and the `sla_breached` audit event both
    at the due time), notifying nobody, since history is no one's news. The periodic check then has
    nothing of them to flag, announce or warn about. Paused targets (no due time) are left running.
    A step: no query for a ticket whose targets are not yet written, no commit."""
    overdue = [t for t in _live(ticket.sla_targets) if t.due_at is not None and t.due_at < now]
    # In the order they happened, so the audit trail reads as the history did.
    for target in sorted(overdue, key=lambda t: t.due_at):
        _record_breach(ticket, target, target.due_at, notify=False)


def ticket_sla(ticket_id: int) -> list[SlaTarget]:
    """Every SLA target of a ticket, oldest first, with its policy loaded (read-only)."""
    if db.session.get(Ticket, ticket_id) is None:
        raise NotFound(_l("Ticket %(ticket_id)s not found.", ticket_id=ticket_id))
    query = (
        select(SlaTarget)
        .where(SlaTarget.ticket_id == ticket_id)
        .order_by(SlaTarget.id)
        .options(selectinload(SlaTarget.policy))
    )
    return list(db.session.scalars(query))


def target_status(target: SlaTarget, now: datetime | None = None) -> TargetStatus:
    """Where a target stands at `now`: breached if its due time has passed unmet (even before the
    periodic check has noticed), met, cancelled, paused (clock stopped, ticket pending) or running."""
    now = now or utcnow()
    if target.breached_at is not None:
        return TargetStatus.BREACHED
    if target.met_at is not None:
        return TargetStatus.MET
    if target.cancelled_at is not None:
        return TargetStatus.CANCELLED
    if target.due_at is None:
        return TargetStatus.PAUSED
    return TargetStatus.BREACHED if target.due_at < now else TargetStatus.RUNNING


def _start(
    ticket: Ticket, applied: AppliedPolicy, kind: TargetKind, started_at: datetime, pauses: Sequence[Pause]
) -> None:
    seconds = applied.targets.get(kind)
    if not seconds:
        return
    target = SlaTarget(kind=kind, policy_id=applied.policy_id, target_seconds=seconds, started_at=started_at)
    _retime(target, applied.calendar, pauses)
    ticket.sla_targets.append(target)


def _reapply(ticket: Ticket, applied: AppliedPolicy, at: datetime) -> None:
    targets = list(ticket.sla_targets)
    # Targets the policy lacks end first, judged by the due time they ran to.
    for target in _live(targets):
        if not applied.targets.get(target.kind):
            _end(ticket, target, at, met=False)
    pauses = _ticket_pauses(ticket)
    for target in _live(targets):
        target.policy_id, target.target_seconds = applied.policy_id, applied.targets[target.kind]
        _retime(target, applied.calendar, pauses)
    if ticket.status in (Status.SOLVED, Status.CLOSED):
        return
    # A target cancelled while it was on time no longer counts; one met or breached happened.
    kinds = {t.kind for t in targets if t.cancelled_at is None or t.breached_at is not None}
    started_at = ticket.created_at or at
    if (
        TargetKind.FIRST_RESPONSE not in kinds
        and not ticket.public_reply_count
        and ticket.first_response_at is None
    ):
        _start(ticket, applied, TargetKind.FIRST_RESPONSE, started_at, pauses)
    if TargetKind.RESOLUTION not in kinds:
        _start(ticket, applied, TargetKind.RESOLUTION, started_at, pauses)


def _retime_ticket(ticket: Ticket) -> None:
    """Recompute the due times of a ticket's running targets from their policies and its pauses."""
    live = _live(ticket.sla_targets)
    if not live:
        return
    pauses = _ticket_pauses(ticket)
    calendars = _calendars_of({target.policy_id for target in live})
    for target in live:
        _retime(target, calendars[target.policy_id], pauses)


def _retime(target: SlaTarget, calendar: BusinessCalendar, pauses: Sequence[Pause]) -> None:
    due = due_at(calendar, target.started_at, target.target_seconds, pauses)
    if due != target.due_at:
        if due is not None:
            target.warned_at = None  # the deadline moved: warn again before the new one
        target.due_at = due


def _end(ticket: Ticket, target: SlaTarget, at: datetime, *, met: bool) -> None:
    if met:
        target.met_at = at
    else:
        target.cancelled_at = at
    if target.breached_at is None and target.due_at is not None and target.due_at < at:
        _record_breach(ticket, target, at)


def _record_breach(ticket: Ticket, target: SlaTarget, at: datetime, *, notify: bool = True) -> None:
    """Record the breach once, whoever notices first (a late reply, the periodic check, or the end of
    a replayed history, which notifies nobody: `notify=False`).

    A stored target is claimed with a conditional UPDATE: of two transactions racing to record the same
    breach, the database lets one through, and only that one writes the audit event.
    """
    if target.id is not None:
        claimed = db.session.execute(
            update(SlaTarget)
            .where(SlaTarget.id == target.id, SlaTarget.breached_at.is_(None))
            .values(breached_at=target.due_at),
            execution_options={"synchronize_session": False},
        ).rowcount
        set_committed_value(target, "breached_at", target.due_at)
        if not claimed:
            return
    else:
        target.breached_at = target.due_at
    audit.record(
        ticket, "sla_breached", actor=None, actor_kind="system", field=target.kind, new=target.due_at, at=at
    )
    if notify:
        sla_breach_staged.send(ticket, target=target, at=at)


def _open(targets: Iterable[SlaTarget]) -> list[SlaTarget]:
    return [t for t in targets if t.met_at is None and t.cancelled_at is None]


def _live(targets: Iterable[SlaTarget]) -> list[SlaTarget]:
    """Open and not breached: the targets whose due time and policy may still change."""
    return [t for t in _open(targets) if t.breached_at is None]


def _open_pauses(ticket: Ticket) -> list[TicketPause]:
    return [row for row in ticket.pauses if row.ended_at is None]


def _ticket_pauses(ticket: Ticket) -> list[Pause]:
    return [
        Pause(row.started_at, row.ended_at) for row in sorted(ticket.pauses, key=lambda row: row.started_at)
    ]


def _pauses_of(ticket_ids: Iterable[int]) -> dict[int, list[Pause]]:
    pauses: dict[int, list[Pause]] = defaultdict(list)
    for row in _pause_rows(set(ticket_ids)):
        pauses[row.ticket_id].append(Pause(row.started_at, row.ended_at))
    return pauses


def _pause_rows(ticket_ids: set[int]) -> list[TicketPause]:
    """The tickets' pauses, stored or added in this session but not yet flushed: the ticket services
    call the clock steps with autoflush off, and a pause opened a moment ago must count."""
    stored = db.session.scalars(select(TicketPause).where(TicketPause.ticket_id.in_(ticket_ids))).all()
    pending = [row for row in db.session.new if isinstance(row, TicketPause) and row.ticket_id in ticket_ids]
    return sorted([*stored, *pending], key=lambda row: row.started_at)


def _calendars_of(policy_ids: Iterable[int | None]) -> dict[int | None, BusinessCalendar]:
    ids = {policy_id for policy_id in policy_ids if policy_id is not None}
    calendars: dict[int | None, BusinessCalendar] = {None: BusinessCalendar.always_open()}
    if ids:
        calendars.update((policy.id, policy.applied.calendar) for policy in _policies() if policy.id in ids)
    # A target whose policy vanished mid-transaction counts wall-clock time, like any default.
    return defaultdict(BusinessCalendar.always_open, calendars)


# -- the periodic check ----------------------------------------------------------------------------


def check_sla(now: datetime | None = None) -> dict[str, int]:
    """Flag breaches and near-breaches from the database, then announce them; returns the counts.

    Breached: a running target whose due time is before `now` gets `breached_at` = its due time (when
    it was breached, however late this run is) and an `sla_breached` audit event. Warned: a running
    target due within its policy's warning window gets `warned_at` = `now` and an `sla_warning` event.
    Each target is flagged once, so a second run flags nothing new, and a missed run is caught up by the
    next. One commit; then `sla_breached` / `sla_warning` are sent once per flagged target.
    """
    now = _aware_utc(now or utcnow())
    breached = _flag_breaches(now)
    warned = _flag_warnings(now)
    db.session.commit()
    _announce(breached, sla_breached)
    _announce(warned, sla_warning)
    return {"breached": len(breached), "warned": len(warned)}


def _running_targets() -> Select:
    # met_at IS NULL plus a due_at range is what ix_ticket_sla_targets_open_due serves.
    return select(SlaTarget).where(
        SlaTarget.met_at.is_(None),
        SlaTarget.due_at.is_not(None),
        SlaTarget.breached_at.is_(None),
        SlaTarget.cancelled_at.is_(None),
    )


def _by_due(query: Select) -> Iterable[list[SlaTarget]]:
    """The targets of `query` in batches, in due order (keyset paging: no OFFSET, no re-reads). Rows
    another check is flagging right now are skipped rather than waited for (PostgreSQL)."""
    last: tuple[datetime, int] | None = None
    while True:
        page = query.order_by(SlaTarget.due_at, SlaTarget.id).limit(BATCH_SIZE)
        if last is not None:
            page = page.where(
                or_(SlaTarget.due_at > last[0], and_(SlaTarget.due_at == last[0], SlaTarget.id > last[1]))
            )
        page = page.options(selectinload(SlaTarget.ticket), selectinload(SlaTarget.policy))
        batch = list(db.session.scalars(page.with_for_update(of=SlaTarget, skip_locked=True)))
        if not batch:
            return
        yield batch
        db.session.flush()
        last = (batch[-1].due_at, batch[-1].id)


def _flag_breaches(now: datetime) -> list[int]:
    flagged = []
    for batch in _by_due(_running_targets().where(SlaTarget.due_at < now)):
        for target in batch:
            _record_breach(target.ticket, target, now)
            flagged.append(target.id)
    return flagged


def _flag_warnings(now: datetime) -> list[int]:
    default_window = default_warning_seconds()
    widest = max(default_window, db.session.scalar(select(func.max(SlaPolicy.warning_seconds))) or 0)
    if widest <= 0:
        return []
    query = _running_targets().where(
        SlaTarget.warned_at.is_(None),
        SlaTarget.due_at >= now,
        SlaTarget.due_at <= now + timedelta(seconds=widest),
    )
    flagged = []
    for batch in _by_due(query):
        for target in batch:
            window = target.policy.warning_seconds if target.policy is not None else default_window
            if window > 0 and target.due_at - now <= timedelta(seconds=window):
                target.warned_at = now
                audit.record(
                    target.ticket,
                    "sla_warning",
                    actor=None,
                    actor_kind="system",
                    field=target.kind,
                    new=target.due_at,
                    at=now,
                )
                flagged.append(target.id)
    return flagged


def _announce(target_ids: Sequence[int], signal) -> None:
    for start in range(0, len(target_ids), BATCH_SIZE):
        chunk = target_ids[start : start + BATCH_SIZE]
        query = select(SlaTarget).where(SlaTarget.id.in_(chunk)).options(selectinload(SlaTarget.ticket))
        found = {target.id: target for target in db.session.scalars(query)}
        for target_id in chunk:
            if (target := found.get(target_id)) is not None:
                signal.send(target.ticket, target=target)


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return value.astimezone(UTC)


# -- calendars --------------------------------------------------------------------------------------


def list_calendars() -> Select:
    return select(Calendar).order_by(Calendar.name)


def get_calendar(calendar_id: int) -> Calendar:
    return CALENDARS.get(calendar_id)


def create_calendar(
    *,
    name: str,
    timezone: str,
    weekly_hours: Mapping[str, Any],
    holidays: Sequence[str] = (),
    holiday_names: Mapping[str, str] | None = None,
    actor: Agent | None,
) -> Calendar:
    """Create a business-hours calendar; its hours and holidays are stored in their normalised form,
    with a name for any of the holidays. Recorded in the settings trail."""
    values = {
        "name": name,
        "timezone": timezone,
        "weekly_hours": weekly_hours,
        "holidays": holidays,
        "holiday_names": holiday_names or {},
    }
    return CALENDARS.create(values, actor=actor)


def update_calendar(
    calendar_id: int,
    changes: Mapping[str, Any],
    *,
    actor: Agent | None,
    expected_version: int | None = None,
) -> Calendar:
    """Change the version of a calendar the caller read; the open targets of policies using it are
    re-timed to the new hours. Recorded in the settings trail."""
    return CALENDARS.update(calendar_id, changes, actor=actor, expected_version=expected_version)


def delete_calendar(calendar_id: int, *, actor: Agent | None, expected_version: int | None = None) -> None:
    """Delete the version of a calendar the caller read, if no policy uses it (409 otherwise: change
    those policies first). Recorded in the settings trail."""
    CALENDARS.delete(calendar_id, actor=actor, expected_version=expected_version)


def _apply_calendar(calendar: Calendar, values: Mapping[str, Any]) -> None:
    # Checked and normalised together: what a change leaves out is kept.
    hours = {
        "timezone": values.get("timezone", calendar.timezone),
        "weekly_hours": values.get("weekly_hours", calendar.weekly_hours),
        "holidays": values.get("holidays", calendar.holidays),
    }
    _set_hours(calendar, hours)
    _set_holiday_names(calendar, values)


def _calendar_values(calendar: Calendar) -> dict[str, Any]:
    return {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "weekly_hours": calendar.weekly_hours,
        "holidays": calendar.holidays,
        "holiday_names": calendar.holiday_names,
    }


def _set_holiday_names(calendar: Calendar, values: Mapping[str, Any]) -> None:
    """Names given are checked against the holidays; without names given, a holiday taken out of the
    calendar takes its name with it."""
    holidays = set(calendar.holidays)
    if "holiday_names" not in values:
        kept = {day: name for day, name in (calendar.holiday_names or {}).items() if day in holidays}
        if kept != (calendar.holiday_names or {}):
            calendar.holiday_names = kept
        return
    names: dict[str, str] = {}
    problems: list[str] = []
    for day, name in (values["holiday_names"] or {}).items():
        try:
            day = date.fromisoformat(str(day)).isoformat()
        except ValueError:
            problems.append(f'{day!r}: expected a date as "YYYY-MM-DD".')
            continue
        name = str(name).strip()
        if day not in holidays:
            problems.append(_l("%(day)s is not one of the holidays.", day=day))
        elif len(name) > HOLIDAY_NAME_MAX:
            problems.append(
                _l("%(day)s: a name of at most %(max)s characters.", day=day, max=HOLIDAY_NAME_MAX)
            )
        elif name:
            names[day] = name
    if problems:
        raise Invalid(_l("Invalid business calendar."), {"holiday_names": problems})
    calendar.holiday_names = dict(sorted(names.items()))


def _retime_calendar_targets(calendar: Calendar, changes: Mapping[str, Any]) -> None:
    if {"timezone", "weekly_hours", "holidays"} & set(changes):
        policy_ids = db.session.scalars(
            select(SlaPolicy.id).where(SlaPolicy.calendar_id == calendar.id)
        ).all()
        _retime_policy_targets(policy_ids, utcnow())


def _refuse_calendar_in_use(calendar: Calendar) -> None:
    users = db.session.scalars(
        select(SlaPolicy.name).where(SlaPolicy.calendar_id == calendar.id).order_by(SlaPolicy.name)
    ).all()
    if users:
        raise Conflict(
            _l("The calendar is used by SLA policies: %(users)s.", users=", ".join(users)),
            {"policies": list(users)},
        )


def _set_hours(calendar: Calendar, hours: dict[str, Any]) -> None:
    weekly = hours["weekly_hours"]
    if isinstance(weekly, Mapping):
        for day, intervals in weekly.items():
            if isinstance(intervals, list) and len(intervals) > MAX_INTERVALS_PER_DAY:
                raise Invalid(
                    _l("Invalid business calendar."),
                    {
                        "weekly_hours": [
                            _l(
                                "%(day)s: at most %(max_intervals_per_day)s intervals a day.",
                                day=day,
                                max_intervals_per_day=MAX_INTERVALS_PER_DAY,
                            )
                        ]
                    },
                )
    if isinstance(hours["holidays"], list) and len(hours["holidays"]) > MAX_HOLIDAYS:
        raise Invalid(
            _l("Invalid business calendar."),
            {"holidays": [_l("At most %(max_holidays)s holidays.", max_holidays=MAX_HOLIDAYS)]},
        )
    try:
        normal = BusinessCalendar.from_dict(hours).to_dict()
    except ValueError as error:
        message = str(error)
        raise Invalid(_l("Invalid business calendar."), {_calendar_field(message): [message]}) from None
    calendar.timezone = normal["timezone"]
    calendar.weekly_hours = normal["weekly_hours"]
    calendar.holidays = normal["holidays"]


def _calendar_field(message: str) -> str:
    """The field an engine message is about (its messages name the field first)."""
    for field in ("weekly_hours", "holidays", "timezone"):
        if message.startswith(field):
            return field
    return "timezone" if "time zone" in message else "_schema"


# -- policies ---------------------------------------------------------------------------------------

_POLICY_FIELDS = (
    "queue_id",
    "priority",
    "ticket_type",
    "calendar_id",
    "first_response_seconds",
    "next_response_seconds",
    "resolution_seconds",
    "warning_seconds",
)


def list_policies() -> Select:
    return select(SlaPolicy).order_by(SlaPolicy.name)


def get_policy(policy_id: int) -> SlaPolicy:
    return POLICIES.get(policy_id)


def create_policy(
    *,
    name: str,
    queue_id: int | None = None,
    priority: str | None = None,
    ticket_type: str | None = None,
    calendar_id: int | None = None,
    first_response_seconds: int | None = None,
    next_response_seconds: int | None = None,
    resolution_seconds: int | None = None,
    warning_seconds: int = DEFAULT_WARNING_SECONDS,
    actor: Agent | None,
) -> SlaPolicy:
    """Create a policy. It applies to tickets whose clocks start (or whose queue, priority or type
    change) from now on; tickets already running keep their targets. Recorded in the settings trail."""
    values = {
        "name": name,
        "queue_id": queue_id,
        "priority": priority,
        "ticket_type": ticket_type,
        "calendar_id": calendar_id,
        "first_response_seconds": first_response_seconds,
        "next_response_seconds": next_response_seconds,
        "resolution_seconds": resolution_seconds,
        "warning_seconds": warning_seconds,
    }
    return POLICIES.create(values, actor=actor)


def update_policy(
    policy_id: int,
    changes: Mapping[str, Any],
    *,
    actor: Agent | None,
    expected_version: int | None = None,
) -> SlaPolicy:
    """Change the version of a policy the caller read; its tickets' open targets take the new targets
    and hours (same start). Recorded in the settings trail."""
    return POLICIES.update(policy_id, changes, actor=actor, expected_version=expected_version)


def delete_policy(policy_id: int, *, actor: Agent | None, expected_version: int | None = None) -> None:
    """Delete the version of a policy the caller read; its tickets' open targets move to the next
    policy matching them (or a default). Targets already met, cancelled or breached keep their figures
    and show as "default". Recorded in the settings trail."""
    POLICIES.delete(policy_id, actor=actor, expected_version=expected_version)


def _apply_policy(policy: SlaPolicy, values: Mapping[str, Any]) -> None:
    # Checked as a whole, with the fields not given kept: the criteria must stay unlike every other's.
    _set_policy(policy, {field: values.get(field, getattr(policy, field)) for field in _POLICY_FIELDS})


def _policy_values(policy: SlaPolicy) -> dict[str, Any]:
    return {"name": policy.name, **{field: getattr(policy, field) for field in _POLICY_FIELDS}}


def _retime_policy(policy: SlaPolicy, _changes: Mapping[str, Any]) -> None:
    db.session.flush()
    db.session.expire(policy, ["calendar"])  # calendar_id may have changed
    _retime_policy_targets([policy.id], utcnow())


def _hand_over_targets(policy: SlaPolicy) -> None:
    """The open targets of the policy's tickets go to the policy matching them next (or a default)."""
    at = utcnow()
    last_id = 0
    while True:
        ticket_ids = db.session.scalars(
            select(SlaTarget.ticket_id)
            .where(
                SlaTarget.policy_id == policy.id,
                SlaTarget.met_at.is_(None),
                SlaTarget.cancelled_at.is_(None),
                SlaTarget.breached_at.is_(None),
                SlaTarget.ticket_id > last_id,
            )
            .distinct()
            .order_by(SlaTarget.ticket_id)
            .limit(BATCH_SIZE)
        ).all()
        if not ticket_ids:
            return
        for ticket in db.session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))):
            _reapply(ticket, _choose(ticket, excluding=policy.id), at)
        db.session.flush()
        last_id = ticket_ids[-1]


def _set_policy(policy: SlaPolicy, values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for field in (*_SECONDS_FIELDS.values(), "warning_seconds"):
        value = values[field]
        if value is None:
            continue
        low = 0 if field == "warning_seconds" else 1
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_TARGET_SECONDS:
            errors[field] = [
                _l(
                    "Must be a whole number of seconds from %(low)s to %(max_target_seconds)s (365 days).",
                    low=low,
                    max_target_seconds=MAX_TARGET_SECONDS,
                )
            ]
    if values["warning_seconds"] is None:
        errors["warning_seconds"] = [_l("Give a warning window in seconds; 0 turns warnings off.")]
    if all(values[field] is None for field in _SECONDS_FIELDS.values()):
        errors["_schema"] = [_l("Set at least one target: first response, next response or resolution.")]
    if values["priority"] is not None and values["priority"] not in {p.value for p in Priority}:
        errors["priority"] = [
            _l("Must be one of: %(choices)s.", choices=", ".join(p.value for p in Priority))
        ]
    if values["ticket_type"] is not None and values["ticket_type"] not in {t.value for t in TicketType}:
        errors["ticket_type"] = [
            _l("Must be one of: %(choices)s.", choices=", ".join(t.value for t in TicketType))
        ]
    if values["queue_id"] is not None and db.session.get(Queue, values["queue_id"]) is None:
        errors["queue_id"] = [_l("Unknown queue.")]
    if values["calendar_id"] is not None and db.session.get(Calendar, values["calendar_id"]) is None:
        errors["calendar_id"] = [_l("Unknown calendar.")]
    if errors:
        raise Invalid(_l("Invalid SLA policy."), errors)
    same = select(SlaPolicy.name).where(
        *(
            getattr(SlaPolicy, field).is_(None)
            if values[field] is None
            else getattr(SlaPolicy, field) == values[field]
            for field in ("queue_id", "priority", "ticket_type")
        )
    )
    if policy.id is not None:
        same = same.where(SlaPolicy.id != policy.id)
    if (other := db.session.scalar(same.limit(1))) is not None:
        raise Conflict(
            _l(
                "Policy %(other)s already covers exactly these tickets (same queue, priority and type).",
                other=repr(other),
            ),
            {"_schema": [_l("Same criteria as %(other)s.", other=repr(other))]},
        )
    for field in _POLICY_FIELDS:
        setattr(policy, field, values[field])


def _retime_policy_targets(policy_ids: Sequence[int], at: datetime) -> None:
    """The running targets of these policies take the policies' current targets and hours."""
    if not policy_ids:
        return
    policies = {
        policy.id: _applied(policy)
        for policy in db.session.scalars(
            select(SlaPolicy).where(SlaPolicy.id.in_(policy_ids)).options(selectinload(SlaPolicy.calendar))
        )
    }
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(SlaTarget)
            .where(
                SlaTarget.policy_id.in_(policy_ids),
                SlaTarget.met_at.is_(None),
                SlaTarget.cancelled_at.is_(None),
                SlaTarget.breached_at.is_(None),
                SlaTarget.id > last_id,
            )
            .order_by(SlaTarget.id)
            .limit(BATCH_SIZE)
            .options(selectinload(SlaTarget.ticket))
        ).all()
        if not batch:
            return
        pauses = _pauses_of(target.ticket_id for target in batch)
        for target in batch:
            applied = policies[target.policy_id]
            seconds = applied.targets.get(target.kind)
            if seconds:
                target.target_seconds = seconds
                _retime(target, applied.calendar, pauses[target.ticket_id])
            else:
                _end(target.ticket, target, at, met=False)
        db.session.flush()
        last_id = batch[-1].id


CALENDARS = NamedSettings(
    SettingKind.CALENDAR,
    Calendar,
    "a calendar",
    apply=_apply_calendar,
    values=_calendar_values,
    record=accounts.record_setting_change,
    after_update=_retime_calendar_targets,
    before_delete=_refuse_calendar_in_use,
)
POLICIES = NamedSettings(
    SettingKind.SLA_POLICY,
    SlaPolicy,
    "an SLA policy",
    apply=_apply_policy,
    values=_policy_values,
    record=accounts.record_setting_change,
    after_update=_retime_policy,
    before_delete=_hand_over_targets,
)
