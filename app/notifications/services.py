"""Notifications: the outbox rows written with the change that causes them, and their delivery.

`notify` adds a row to the session without committing: the caller's commit makes the change and its
notification durable together, and a rolled-back change leaves no notification behind. Once a commit
with new rows has happened, their delivery is enqueued (a session `after_commit` hook); should Redis be
down then, `sweep_outbox` (periodic) enqueues them again. `deliver_notification` is the job.

Kinds and when they are written:

- `ticket_received`: a ticket opened through a channel the customer used themselves (`web`, `email`);
  tickets typed in by agents (`phone`, `chat`) or programs (`api`) confirm nothing.
- `public_reply`: an agent's public reply (a reply that also solves the ticket goes out as
  `ticket_solved`, carrying the reply).
- `ticket_solved`: the ticket became solved; carries the survey link (see `surveys`).
- `sla_breached`: to the supervisors who share a team with the assignee (else every active supervisor)
  when a breach is recorded live.
- `tracking_links`: the portal's "lost my link" answer, with `context={"ticket_ids": [...]}`; written to
  the address asked about (`notify_address`), its customer and cases named at delivery.
- `sign_in_locked`: to an agent whose e-mail address failed sign-ins have locked (the accounts room's
  `account_lockout_staged`, once per lockout), with `context={"locked_until": ...}`.

Replays of another helpdesk's history (actor kind "import", or times long past) notify nobody.
Customer e-mails carry the case's tracking link, minted at delivery. Delivery is at least once: a
worker claims a row with a lease (`NOTIFICATION_LEASE_SECONDS`) before sending, so two jobs for one row
send it once, and a worker that dies mid-send leaves a row the sweep retries after the lease. A worker
that dies after the SMTP server accepted the mail and before the row says `sent` (the moment between
the server's answer and one UPDATE) leaves a mail that goes out again: SMTP has no way to ask whether a
message arrived. Both copies carry the row's `Message-ID` (`message_key`), so the second is recognisably
the same message (mail clients and many servers drop it).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app, render_template
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from app import sanitize
from app.accounts.models import Agent, Role, team_members
from app.customers.models import Customer
from app.dbtypes import utcnow
from app.extensions import db
from app.i18n import DEFAULT_LANGUAGE, customer_locale, normalize_language
from app.notifications import mail
from app.notifications.models import Notification, NotificationStatus
from app.notifications.signals import mail_recipient_requested, mail_values_requested
from app.queue import enqueue
from app.tickets.models import Ticket
from app.urls import public_url

if TYPE_CHECKING:
    from app.tickets.models import Comment
    from app.tickets.sla.models import SlaTarget

log = logging.getLogger(__name__)

KINDS = (
    "ticket_received",
    "public_reply",
    "ticket_solved",
    "sla_breached",
    "tracking_links",
    "sign_in_locked",
)
# Channels on which the customer reached us themselves, so a confirmation tells them it arrived.
CONFIRMED_CHANNELS = frozenset({"web", "email"})
DELIVERY_JOB = "app.notifications.jobs.deliver_notification"
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BASE_SECONDS = 60
# A pending row this long past due has lost its job (Redis was down, a worker died): sweep it
# (`NOTIFICATION_SWEEP_GRACE_SECONDS`, never longer than the lease: a row whose worker died has waited
# out its lease already).
DEFAULT_SWEEP_GRACE_SECONDS = 120
# Changes stamped further back than this are replays of history, not news for anyone.
LIVE_WINDOW = timedelta(hours=1)
REPLY_TEXT_MAX = 20_000
_SESSION_KEY = "notifications_to_enqueue"
_ADDRESSES_TO_FORGET = "mail_log_addresses_to_forget"


# -- writing ----------------------------------------------------------------------------------------


def notify(
    kind: str,
    *,
    ticket: Ticket | None = None,
    customer: Customer | None = None,
    agent: Agent | None = None,
    recipient: str | None = None,
    context: dict[str, Any] | None = None,
) -> Notification | None:
    """Add a notification of `kind` to the session (not committed); None when there is nobody to write
    to (a customer without an e-mail address, a disabled agent).

    The recipient is `agent` (an agent's mail, in their language) or else `customer` (defaulting to the
    ticket's), in the customer's preferred language.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if agent is not None:
        if not agent.active:
            return None
        address, language = recipient or agent.email, agent.language
    else:
        if customer is None and ticket is not None:
            customer = ticket.customer or db.session.get(Customer, ticket.customer_id)
        if customer is None or customer.deleted_at is not None:
            return None
        address, language = recipient or customer.primary_email, customer.preferred_language
    if not address:
        return None
    return _add(
        Notification(
            kind=kind,
            ticket_id=ticket.id if ticket is not None else None,
            customer_id=customer.id if customer is not None else None,
            agent_id=agent.id if agent is not None else None,
            recipient=address,
            language=normalize_language(language) or DEFAULT_LANGUAGE,
            context=dict(context or {}),
        )
    )


def notify_address(kind: str, address: str) -> Notification:
    """Add a notification of `kind` to `address` alone (not committed), whoever owns it: the room that
    wrote it names the customer at delivery (`mail_recipient_requested`), or nobody, and then the row is
    deleted unsent, so no stranger's address is kept. The same row for any address, so neither the
    answer nor the time a request takes tells whose address it is; and a row, not a job, so a request
    made while Redis is down is delivered once it is back."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    return _add(Notification(kind=kind, recipient=address, language=DEFAULT_LANGUAGE, context={}))


def _add(row: Notification) -> Notification:
    row.status, row.attempts = NotificationStatus.PENDING, 0
    row.next_attempt_at = row.created_at = utcnow()
    db.session.add(row)
    db.session.info.setdefault(_SESSION_KEY, []).append(row)
    return row


def is_live(at: datetime | None, actor_kind: str | None = None) -> bool:
    """Whether a change is news (happening now) rather than a replay of history."""
    if actor_kind == "import":
        return False
    return at is None or at >= utcnow() - LIVE_WINDOW


def ticket_opened(
    ticket: Ticket, *, customer: Customer, actor_kind: str | None = None, at: datetime | None = None
) -> None:
    """Confirm a new ticket to its customer, for the channels they used themselves."""
    if ticket.channel in CONFIRMED_CHANNELS and is_live(at, actor_kind):
        notify("ticket_received", ticket=ticket, customer=customer)


def public_reply(
    ticket: Ticket, comment: Comment, *, solved: bool, actor_kind: str | None = None, at=None
) -> None:
    """Pass an agent's public reply on to the customer; a reply that solves rides on the solve mail."""
    if not comment.public or not is_live(at, actor_kind):
        return
    text = sanitize.html_to_text(comment.body)[:REPLY_TEXT_MAX]
    if solved:
        for row in db.session.info.get(_SESSION_KEY, ()):
            if row.kind == "ticket_solved" and row.ticket_id == ticket.id:
                row.context = {**row.context, "reply": text}
                return
    notify("public_reply", ticket=ticket, context={"reply": text})


def sla_breached(ticket: Ticket, target: SlaTarget, at: datetime) -> None:
    """Tell the supervisors about a breach recorded now (not one found while replaying history)."""
    if not is_live(at):
        return
    context = {"target": target.kind, "due_at": target.due_at.isoformat() if target.due_at else None}
    for supervisor in supervisors_of(ticket.assignee_id):
        notify("sla_breached", ticket=ticket, agent=supervisor, context=context)


def sign_in_locked(agent: Agent, locked_until: datetime) -> None:
    """Tell an account's owner that failed sign-ins locked it, and until when: it may be someone guessing."""
    notify("sign_in_locked", agent=agent, context={"locked_until": locked_until.isoformat()})


def supervisors_of(agent_id: int | None) -> list[Agent]:
    """The active supervisors sharing a team with the agent; every active supervisor when none do (or
    when nobody is assigned)."""
    everyone = select(Agent).where(Agent.role == Role.SUPERVISOR, Agent.active.is_(True)).order_by(Agent.id)
    if agent_id is not None:
        teams = select(team_members.c.team_id).where(team_members.c.agent_id == agent_id)
        colleagues = select(team_members.c.agent_id).where(team_members.c.team_id.in_(teams))
        found = list(db.session.scalars(everyone.where(Agent.id.in_(colleagues))))
        if found:
            return found
    return list(db.session.scalars(everyone))


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    rows = session.info.pop(_SESSION_KEY, None)
    if rows:
        enqueue_delivery([row.id for row in rows if row.id is not None])


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    rows = session.info.get(_SESSION_KEY)
    if rows and previous_transaction.nested:
        # A savepoint's rollback takes only the rows added inside it, and they have left the session.
        session.info[_SESSION_KEY] = [row for row in rows if row in session]
    else:
        session.info.pop(_SESSION_KEY, None)


def enqueue_delivery(notification_ids: list[int], *, delay: timedelta | None = None) -> None:
    """Hand rows to the workers. A failure is logged, not raised: the rows are safe in the database and
    the sweep enqueues them again."""
    try:
        if current_app.config["RQ_ASYNC"]:
            for notification_id in notification_ids:
                _enqueue_one(notification_id, delay)
        else:
            # Inline jobs (tests) get their own app context, hence their own session, like a worker's:
            # the committing session cannot run SQL from inside its commit.
            with current_app.app_context():
                for notification_id in notification_ids:
                    _enqueue_one(notification_id, delay)
    except Exception:
        log.exception("Could not enqueue notifications %s; the outbox sweep will", notification_ids)


def _enqueue_one(notification_id: int, delay: timedelta | None) -> None:
    enqueue(DELIVERY_JOB, notification_id, delay=delay)


# -- delivering -------------------------------------------------------------------------------------


def deliver_notification(notification_id: int) -> str:
    """Render and send one notification; returns "sent", "retry", "failed", "skipped" or "dropped" (a
    mail to an address that turned out to be nobody's).

    Safe to repeat: a row already sent or failed, or claimed by another worker, is skipped. A failed
    attempt is retried with exponential backoff (`NOTIFICATION_RETRY_BASE_SECONDS` · 2^(attempt-1))
    and marked failed after `NOTIFICATION_MAX_ATTEMPTS`.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.PENDING,
            Notification.next_attempt_at <= now + timedelta(seconds=1),
        )
        .values(attempts=Notification.attempts + 1, next_attempt_at=now + lease())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    row = db.session.get(Notification, notification_id)
    db.session.refresh(row)
    try:
        if row.customer_id is None and row.agent_id is None and not _name_recipient(row):
            db.session.delete(row)
            db.session.commit()
            return "dropped"
        message = render(row)
        # Links minted for the message must exist before anyone can click them.
        db.session.commit()
        mail.send(message)
    except Exception as error:
        db.session.rollback()
        return _failed(notification_id, error)
    # Straight after the server's answer, with nothing in between: a worker dying here sends the mail
    # again after the lease (the at-least-once moment the module describes).
    row.status = NotificationStatus.SENT
    row.sent_at = utcnow()
    row.last_error = None
    db.session.commit()
    return "sent"


def _name_recipient(row: Notification) -> bool:
    """Whom a mail written to an address alone goes to, as the room that wrote it says now: their
    customer id, language and the context given join the row. False when it is nobody."""
    for _receiver, answer in mail_recipient_requested.send(row):
        if answer:
            customer = answer["customer"]
            row.customer_id = customer.id
            row.language = normalize_language(customer.preferred_language) or DEFAULT_LANGUAGE
            row.context = {**(row.context or {}), **answer.get("context", {})}
            return True
    return False


def message_key(row: Notification) -> str:
    """The row's `Message-ID` (before its domain): the same on every attempt, unique per row and desk."""
    return f"switchboard.notification.{row.id}.{int(row.created_at.timestamp())}"


def lease() -> timedelta:
    """How long a claimed row is left to its worker (`NOTIFICATION_LEASE_SECONDS`)."""
    return timedelta(seconds=int(current_app.config["NOTIFICATION_LEASE_SECONDS"]))


def _failed(notification_id: int, error: Exception) -> str:
    row = db.session.get(Notification, notification_id)
    db.session.refresh(row)
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if row.attempts >= max_attempts():
        row.status = NotificationStatus.FAILED
        db.session.commit()
        log.warning("Notification %s failed for good: %s", notification_id, row.last_error)
        return "failed"
    delay = retry_delay(row.attempts)
    row.next_attempt_at = utcnow() + delay
    db.session.commit()
    enqueue_delivery([notification_id], delay=delay)
    return "retry"


def max_attempts() -> int:
    return int(current_app.config.get("NOTIFICATION_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: base, 2·base, 4·base..."""
    base = int(current_app.config.get("NOTIFICATION_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS))
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def sweep_outbox(now: datetime | None = None) -> int:
    """Enqueue pending rows whose delivery is overdue (lost enqueue, dead worker); returns how many."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(Notification.id)
            .where(
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= now - min(sweep_grace(), lease()),
            )
            .order_by(Notification.next_attempt_at)
            .limit(1000)
        )
    )
    db.session.commit()
    if due:
        enqueue_delivery(due)
    return len(due)


def sweep_grace() -> timedelta:
    seconds = current_app.config.get("NOTIFICATION_SWEEP_GRACE_SECONDS", DEFAULT_SWEEP_GRACE_SECONDS)
    return timedelta(seconds=int(seconds))


def deliver_due(limit: int = 1000) -> int:
    """Deliver the pending rows that are due, here and now rather than on a worker (the demo loader
    and the command line have no worker to wait for); returns how many were sent."""
    due = list(
        db.session.scalars(
            select(Notification.id)
            .where(
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= utcnow(),
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )
    return sum(deliver_notification(notification_id) == "sent" for notification_id in due)


def render(row: Notification) -> mail.Mail:
    """The mail of a row, in its language and the recipient's time zone (mints the links it carries)."""
    ticket = db.session.get(Ticket, row.ticket_id) if row.ticket_id else None
    customer = db.session.get(Customer, row.customer_id) if row.customer_id else None
    agent = db.session.get(Agent, row.agent_id) if row.agent_id else None
    zone = agent.timezone if agent is not None else getattr(customer, "timezone", None)
    with customer_locale(row.language, zone):
        values = _template_values(row, ticket, customer, agent)
        name = f"emails/{row.language}/{row.kind}"
        subject = render_template(f"{name}.subject.txt", **values)
        return mail.Mail(
            to=row.recipient,
            subject=" ".join(subject.split()),
            text=render_template(f"{name}.txt", **values),
            html=render_template(f"{name}.html", **values),
            key=message_key(row),
        )


def _template_values(row, ticket, customer, agent) -> dict[str, Any]:
    context = row.context or {}
    values: dict[str, Any] = {
        "notification": row,
        "ticket": ticket,
        "customer": customer,
        "agent": agent,
        "context": context,
        "reply": context.get("reply"),
    }
    if row.kind == "sla_breached":
        values["ticket_url"] = public_url("tickets_pages.show", ticket_id=row.ticket_id)
        due = context.get("due_at")
        values["due_at"] = datetime.fromisoformat(due) if due else None
    if row.kind == "sign_in_locked":
        values["locked_until"] = datetime.fromisoformat(context["locked_until"])
        values["sessions_url"] = public_url("accounts_pages.sessions")
    # Links to the customers' own pages (tracking, survey) belong to the rooms that serve them; they
    # mint them here, at delivery, so that only a mail that goes out carries a working link.
    for _receiver, more in mail_values_requested.send(row, ticket=ticket, customer=customer, agent=agent):
        values.update(more or {})
    return values


def list_notifications(ticket_id: int):
    """The outbox rows of a ticket, newest first (a `select()` for paging)."""
    return (
        select(Notification)
        .where(Notification.ticket_id == ticket_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


__all__ = [
    "CONFIRMED_CHANNELS",
    "KINDS",
    "deliver_due",
    "deliver_notification",
    "enqueue_delivery",
    "list_notifications",
    "notify",
    "notify_address",
    "sweep_outbox",
]


# -- customers' personal data ------------------------------------------------------------------------


def _about_customers(customer_ids: list[int]):
    """The customers' own mails: written to them, or about their cases to no agent."""
    tickets = select(Ticket.id).where(Ticket.customer_id.in_(customer_ids))
    return or_(
        Notification.customer_id.in_(customer_ids),
        and_(Notification.ticket_id.in_(tickets), Notification.agent_id.is_(None)),
    )


def personal_data(customer_ids: list[int]) -> dict[str, Any]:
    """The mails written to the customers, for their export: to which address, what kind, when, with the
    reply text they carried."""
    rows = db.session.scalars(
        select(Notification)
        .where(_about_customers(customer_ids))
        .order_by(Notification.created_at, Notification.id)
    )
    return {
        "mails": [
            {
                "kind": row.kind,
                "to": row.recipient,
                "language": row.language,
                "status": row.status,
                "written_at": row.created_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "reply": (row.context or {}).get("reply"),
            }
            for row in rows
        ]
    }


def erase_personal_data(customer_ids: list[int]) -> None:
    """In the erasure's transaction: the customers' mails lose their addresses and texts, and those not
    sent yet never will be."""
    about_them = _about_customers(customer_ids)
    addresses = set(db.session.scalars(select(Notification.recipient).where(about_them).distinct()))
    db.session.info.setdefault(_ADDRESSES_TO_FORGET, set()).update(addresses - {""})
    pending = Notification.status == NotificationStatus.PENDING
    blank = {"recipient": "", "context": {}}
    db.session.execute(
        update(Notification)
        .where(about_them, ~pending)
        # A delivery error may quote the address.
        .values(**blank, last_error=None)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        update(Notification)
        .where(about_them, pending)
        .values(**blank, status=NotificationStatus.FAILED, last_error="The recipient's data was erased.")
        .execution_options(synchronize_session="fetch")
    )


@event.listens_for(Session, "after_commit")
def _forget_in_mail_log(session: Session) -> None:
    # The mail log is a file: it can only follow the erasure once the erasure is sure to stay.
    if addresses := session.info.pop(_ADDRESSES_TO_FORGET, None):
        mail.forget_recipients(addresses)


@event.listens_for(Session, "after_soft_rollback")
def _remember_nothing_rolled_back(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:
        session.info.pop(_ADDRESSES_TO_FORGET, None)
