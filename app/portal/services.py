"""The public front door: complaints and requests from the web form, and the customers' tracking links.

- **Submitting** (`submit_web_form`): the ticket, its submission record and a first tracking token are
  written in one commit. The form carries an idempotency key: a second post with the same key (a double
  click, a retry after a timeout, two posts racing) gets the first ticket back with a fresh token, never
  a second ticket. Files are checked before anything is written and attached right after the commit.
- **Tracking** (`find_tracked_ticket`): a token is 32 random bytes, URL-safe; only its SHA-256 is stored.
  A lookup hashes whatever it is given and runs the same single indexed query whether the token exists
  or not, and a wrong token, another customer's expired one and a deleted customer's all answer the same
  `NotFound`. A token stops working `PORTAL_TRACKING_LINK_DAYS` (default 90) after the ticket closed.
- **Lost links** (`request_tracking_links`): writes one outbox row to the address, whatever it is; at
  delivery `tracking_links_recipient` names its owner and their cases, or nobody, and then nothing is
  sent. The caller answers the same either way, and a request made while Redis is down is mailed once
  it is back.

Texts here reach customers, so they are translated.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import bulk, sanitize
from app.customers import services as customers
from app.customers.models import Customer
from app.dbtypes import utcnow
from app.errors import Invalid, NotFound
from app.extensions import db
from app.notifications import services as notifications
from app.portal.links import issue_tracking_token, token_hash
from app.portal.models import IDEMPOTENCY_KEY_MAX, ORDER_NUMBER_MAX, TrackingToken, WebSubmission
from app.portal.routing import services as routing
from app.portal.routing.models import REQUEST_FORM
from app.tickets.attachments import services as attachments
from app.tickets.attachments.services import UploadedFile
from app.tickets.models import ComplaintCategory, DesiredOutcome, Status, Ticket, TicketType
from app.tickets.services import tickets
from app.tickets.words import label
from app.unit_of_work import roll_back, unit_of_work

IDEMPOTENCY_KEY = re.compile(rf"^[A-Za-z0-9_-]{{16,{IDEMPOTENCY_KEY_MAX}}}$")
WEB_TYPES = (TicketType.COMPLAINT, TicketType.QUESTION, TicketType.INCIDENT, TicketType.REQUEST)
SUBJECT_LENGTH = 120
DEFAULT_LINK_DAYS = 90
DEFAULT_MAX_FILES = 5
# How often a token's last use is written down: often enough to see that links are used, without a
# write on every page view.
LAST_USED_RESOLUTION = timedelta(hours=1)
# Tracking links sent at once for a lost-link request: the newest cases.
MAX_LINKS = 20


def new_idempotency_key() -> str:
    """A key for a form about to be shown."""
    return secrets.token_urlsafe(24)


# -- submitting --------------------------------------------------------------------------------------


@unit_of_work
def submit_web_form(
    *,
    type: str,
    name: str,
    email: str | None,
    phone: str | None,
    description: str,
    idempotency_key: str,
    category: str | None = None,
    desired_outcome: str | None = None,
    order_number: str | None = None,
    expected_satisfaction: int | None = None,
    files: Sequence[UploadedFile] = (),
    language: str | None = None,
    remote_address: str | None = None,
) -> tuple[Ticket, str]:
    """Open a ticket (channel `web`) from the public form, for the customer owning `email` or `phone`
    (created if nobody does), and return it with a plaintext tracking token.

    The ticket lands in the queue the web form routes name (`routing.route_for`: the complaint's
    category, or the support form); a complaint gets its category's severity, and its priority
    follows it, so the SLA policy of that queue and priority runs from now on. The subject is built in
    the language the customer wrote in.

    The description is taken as plain text (markup stays visible text). A complaint needs `category`;
    `desired_outcome` goes to the complaint record, `order_number` and `expected_satisfaction` (1-5) to
    the submission. A key already used for the same text returns that ticket with a fresh token (a
    double click, a retry); used for another text, the post is a new message. Bad files raise
    `Invalid` (under `errors["files"]`) before anything is written.
    """
    if not IDEMPOTENCY_KEY.match(idempotency_key or ""):
        raise Invalid(_("The form is incomplete; reload the page."), {"idempotency_key": [_l("Malformed.")]})
    if type not in WEB_TYPES:
        raise Invalid(_("Choose what your message is about."), {"type": [_l("Not a web form type.")]})
    if type == TicketType.COMPLAINT and category not in set(ComplaintCategory):
        raise Invalid(_("Choose what your complaint is about."), {"category": [_l("Not a category.")]})
    if desired_outcome is not None and desired_outcome not in set(DesiredOutcome):
        raise Invalid(_("Choose what you would like us to do."), {"desired_outcome": [_l("Not an outcome.")]})
    if expected_satisfaction is not None and not 1 <= expected_satisfaction <= 5:
        raise Invalid(_("Choose a value from 1 to 5."), {"expected_satisfaction": [_l("Out of range.")]})
    earlier = _submission(idempotency_key)
    if earlier is not None:
        if earlier.ticket.description == sanitize.text_to_html(description or ""):
            return _again(earlier)
        # The key came back with something else written (the browser's back button restores a sent
        # form's hidden fields): a new message, not a repeat of the one that key already stands for.
        idempotency_key = new_idempotency_key()
    files = _chosen(files)
    check_files(files)
    complaint = None
    route = routing.route_for(category if type == TicketType.COMPLAINT else REQUEST_FORM)
    if type == TicketType.COMPLAINT:
        complaint = {"category": category, "desired_outcome": desired_outcome, "severity": route.severity}
    ticket = tickets.stage_ticket(
        subject=_subject(description, type, category, language),
        description=sanitize.text_to_html(description or ""),
        type=type,
        priority=route.priority,
        queue_id=route.queue_id,
        channel="web",
        customer={
            "name": name,
            "email": email or None,
            "phone": phone or None,
            "language": language,
            "verified": False,
        },
        complaint=complaint,
        actor=None,
        actor_kind="customer",
    )
    db.session.add(
        WebSubmission(
            ticket_id=ticket.id,
            idempotency_key=idempotency_key,
            order_number=_order_number(order_number),
            expected_satisfaction=expected_satisfaction,
            language=language,
            remote_address_hash=_address_hash(remote_address),
        )
    )
    token = issue_tracking_token(ticket.id)
    try:
        # The new rows in two round trips, as `open_ticket` writes them (the commit's flush where not).
        bulk.insert_new_objects(db.session())
        db.session.commit()
    except IntegrityError:
        # Two posts with one key raced and the other committed first: answer with its ticket.
        roll_back()
        earlier = _submission(idempotency_key)
        if earlier is None:
            raise
        return _again(earlier)
    tickets.announce_opened(ticket, actor=None)
    if files:
        _attach(ticket.id, files)
    return ticket, token


def _submission(idempotency_key: str) -> WebSubmission | None:
    return db.session.scalar(select(WebSubmission).where(WebSubmission.idempotency_key == idempotency_key))


def _again(submission: WebSubmission) -> tuple[Ticket, str]:
    token = issue_tracking_token(submission.ticket_id)
    db.session.commit()
    return submission.ticket, token


def _subject(description: str, type: str, category: str | None, language: str | None) -> str:
    """The ticket's subject: the first line of what the customer wrote, after the complaint's category,
    in the customer's language (the words a Chinese customer's case is filed under are Chinese)."""
    first_line = next((line.strip() for line in (description or "").splitlines() if line.strip()), "")
    first_line = "".join(ch for ch in first_line if unicodedata.category(ch)[0] != "C")
    if len(first_line) > SUBJECT_LENGTH:
        first_line = first_line[: SUBJECT_LENGTH - 1].rstrip() + "…"
    with _locale(language):
        if type == TicketType.COMPLAINT:
            topic = label(category or TicketType.COMPLAINT)
            return _("%(category)s: %(summary)s", category=topic, summary=first_line) if first_line else topic
        return first_line or _("Web request")


def _locale(language: str | None):
    """The customer's language for the block; the request's own where they named none."""
    return force_locale(language) if language else nullcontext()


def _order_number(value: str | None) -> str | None:
    value = "".join(ch for ch in (value or "") if unicodedata.category(ch)[0] != "C").strip()
    return value[:ORDER_NUMBER_MAX] or None


def _address_hash(address: str | None) -> str | None:
    """Keyed, so the stored value cannot be reversed by hashing every IPv4 address."""
    if not address:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


# -- files -------------------------------------------------------------------------------------------


def _chosen(files: Sequence[UploadedFile]) -> list[UploadedFile]:
    # A file input left empty still posts one part without a name.
    return [upload for upload in files if upload is not None and upload.filename]


def check_files(files: Sequence[UploadedFile], *, ticket_id: int | None = None) -> None:
    """Refuse, before anything is written, the files the attachment rules would refuse: too many,
    too large, empty, or of a type that is not accepted (sniffed from the content).

    The attachment service checks everything again when it stores them.
    """
    files = _chosen(files)
    if not files:
        return
    config = current_app.config
    most = min(
        int(config.get("PORTAL_MAX_FILES", DEFAULT_MAX_FILES)),
        int(config.get("ATTACHMENT_MAX_FILES_PER_UPLOAD", attachments.DEFAULT_MAX_FILES_PER_UPLOAD)),
    )
    if ticket_id is not None:
        room = int(config.get("ATTACHMENTS_MAX_PER_TICKET", attachments.DEFAULT_MAX_PER_TICKET))
        most = min(most, room - len(attachments.list_attachments(ticket_id, viewer=None)))
    if len(files) > most:
        message = _("You can add at most %(count)d files.", count=max(most, 0))
        raise Invalid(message, {"files": [message]})
    max_bytes = int(config.get("ATTACHMENT_MAX_BYTES", attachments.DEFAULT_MAX_BYTES))
    problems = []
    for upload in files:
        name = attachments.display_name(upload.filename or "")
        stream = upload.stream
        stream.seek(0)
        head = stream.read(4096)
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        if size == 0:
            problems.append(_("%(name)s is empty.", name=name))
        elif size > max_bytes:
            problems.append(
                _("%(name)s is too large (at most %(size)d MB).", name=name, size=max_bytes // 1_000_000)
            )
        elif extension in attachments.DENIED_EXTENSIONS:
            problems.append(_("%(name)s: files of this kind are not accepted.", name=name))
        else:
            try:
                attachments.sniff(head)
            except attachments.Rejected:
                problems.append(_("%(name)s: files of this kind are not accepted.", name=name))
    if problems:
        raise Invalid(_("Some files were not accepted."), {"files": problems})


def _attach(ticket_id: int, files: Sequence[UploadedFile], comment_id: int | None = None) -> None:
    """Store files the caller's check let through; the message they came with is already saved."""
    try:
        attachments.add_attachments(ticket_id, files, actor=None, comment_id=comment_id)
    except (Invalid, tickets.TicketClosed) as refused:
        # Only the deeper checks (a macro inside an Office file), or an agent closing the case in the
        # meantime, get here: the case stands without them.
        current_app.logger.warning("Portal files refused on ticket %s: %s", ticket_id, refused.errors)


# -- tracking ----------------------------------------------------------------------------------------


def _link_days() -> int:
    return int(current_app.config.get("PORTAL_TRACKING_LINK_DAYS", DEFAULT_LINK_DAYS))


def _expired(closed_at: datetime | None, now: datetime) -> bool:
    return closed_at is not None and closed_at + timedelta(days=_link_days()) < now


def find_tracked_ticket(token: str) -> Ticket:
    """The ticket a tracking token opens, or `NotFound` (the same for a wrong, expired or withdrawn
    token). Notes when the token was last used."""
    # Bounded so nobody makes us hash megabytes; the same query runs for every token either way.
    digest = token_hash((token or "")[:200])
    row = db.session.execute(
        select(TrackingToken.id, TrackingToken.last_used_at, Ticket, Customer.deleted_at)
        .join(Ticket, Ticket.id == TrackingToken.ticket_id)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(TrackingToken.token_hash == digest)
    ).first()
    now = utcnow()
    if row is None or row.deleted_at is not None or _expired(row.Ticket.closed_at, now):
        raise NotFound(_("This tracking link is not valid. It may have expired."))
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_RESOLUTION:
        db.session.execute(update(TrackingToken).where(TrackingToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return row.Ticket


def public_comments(ticket_id: int) -> list:
    """The conversation the customer may see: public replies and their own messages, oldest first."""
    return list(db.session.scalars(tickets.list_comments(ticket_id, viewer=None, include_internal=False)))


def reply_from_portal(token: str, body: str, files: Sequence[UploadedFile] = ()) -> str:
    """The customer writes on their tracking page, optionally with files. A pending or solved ticket
    opens again; a message about a closed or merged case goes where `add_customer_message` sends it.

    Returns the token of the page that now shows the message: `token` itself, or a fresh one for the
    follow-up of a closed case (never for the ticket a merged case went into).
    """
    ticket = find_tracked_ticket(token)
    files = _chosen(files)
    check_files(files, ticket_id=ticket.id)
    # A follow-up this message opens came by the web, whatever channel the closed case came by.
    comment = tickets.add_customer_message(ticket.id, body=sanitize.text_to_html(body or ""), channel="web")
    if files:
        _attach(comment.ticket_id, files, comment_id=comment.id)
    if comment.ticket_id == ticket.id or ticket.merged_into_id is not None:
        # A merged case passes the message on to the ticket it was merged into, which may hold more
        # than this link ever showed (an agent may merge across profiles): its holder stays here.
        return token
    fresh = issue_tracking_token(comment.ticket_id)
    db.session.commit()
    return fresh


def get_web_submission(ticket_id: int) -> WebSubmission | None:
    """What the web form recorded beyond the ticket, for the agent's ticket page (None for other
    channels)."""
    return db.session.scalar(select(WebSubmission).where(WebSubmission.ticket_id == ticket_id))


# -- lost links --------------------------------------------------------------------------------------


def trackable_ticket_ids(customer_id: int) -> list[int]:
    """The customer's cases whose tracking links still work (newest first, at most `MAX_LINKS`)."""
    cutoff = utcnow() - timedelta(days=_link_days())
    return list(
        db.session.scalars(
            select(Ticket.id)
            .where(
                Ticket.customer_id == customer_id,
                Ticket.merged_into_id.is_(None),
                or_(Ticket.status != Status.CLOSED, Ticket.closed_at.is_(None), Ticket.closed_at >= cutoff),
            )
            .order_by(Ticket.id.desc())
            .limit(MAX_LINKS)
        )
    )


def request_tracking_links(email: str) -> None:
    """Someone asked for the tracking links of `email` to be mailed again.

    Always the same work, whether the address is known or not: one outbox row to the address is
    written, and the lookup happens at delivery (`tracking_links_recipient`), so neither the answer nor
    its timing tells who is a customer.
    """
    try:
        address = customers.normalize_email(email)
    except Invalid:
        return
    notifications.notify_address("tracking_links", address)
    db.session.commit()


def tracking_links_recipient(address: str) -> dict[str, Any] | None:
    """Whom a lost-link mail to `address` goes to, at its delivery: the customer owning it, with their
    open and recently closed cases (`{"customer": ..., "context": {"ticket_ids": [...]}}`), or None when
    nobody owns it or they have nothing to track."""
    try:
        customer = customers.lookup_customer(email=address)
    except (NotFound, Invalid):
        return None
    ticket_ids = trackable_ticket_ids(customer.id)
    return {"customer": customer, "context": {"ticket_ids": ticket_ids}} if ticket_ids else None


def send_tracking_links(email: str) -> None:
    """The lost-link job of earlier versions (requests now write their outbox row themselves): one
    `tracking_links` notification when there is anything to send, nothing otherwise."""
    address = customers.normalize_email(email) if email else ""
    if (recipient := tracking_links_recipient(address)) is not None:
        notifications.notify(
            "tracking_links", customer=recipient["customer"], recipient=address, context=recipient["context"]
        )
        db.session.commit()


# -- customers' personal data ------------------------------------------------------------------------


def personal_data(customer_ids: list[int]) -> dict[str, Any]:
    """The web form's answers on the customers' cases, for their export (tracking links are stored
    hashed and are nobody's data)."""
    rows = db.session.execute(
        select(WebSubmission, Ticket.reference)
        .join(Ticket, Ticket.id == WebSubmission.ticket_id)
        .where(Ticket.customer_id.in_(customer_ids))
        .order_by(WebSubmission.created_at, WebSubmission.id)
    )
    return {
        "web_submissions": [
            {
                "ticket": reference,
                "submitted_at": submission.created_at.isoformat(),
                "order_number": submission.order_number,
                "expected_satisfaction": submission.expected_satisfaction,
                "language": submission.language,
            }
            for submission, reference in rows
        ]
    }


def erase_personal_data(customer_ids: list[int]) -> None:
    """In the erasure's transaction: the form's answers that name something of the person go (the
    expected satisfaction, a KPI's input, stays), and their tracking links stop working."""
    tickets = select(Ticket.id).where(Ticket.customer_id.in_(customer_ids)).scalar_subquery()
    db.session.execute(
        update(WebSubmission)
        .where(WebSubmission.ticket_id.in_(tickets))
        .values(order_number=None, remote_address_hash=None)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        delete(TrackingToken)
        .where(TrackingToken.ticket_id.in_(tickets))
        .execution_options(synchronize_session="fetch")
    )
