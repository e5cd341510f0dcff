"""The links we mail customers: their case's tracking page and its survey.

A link carries a random token of which only the SHA-256 is stored, so a leaked database opens no case.
Links are minted while a mail is written (the outbox renders them as it delivers), which is why they
live here, below `notifications`, `portal` and `surveys`, each of which needs them.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app.dbtypes import utcnow
from app.extensions import db
from app.tickets.models import Survey, TrackingToken

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    """What is stored of a token, and what a presented token is looked up by."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail, on `PUBLIC_BASE_URL` (a worker has no request to take a host from)."""
    parts = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000")
    adapter = current_app.url_map.bind(parts.netloc, url_scheme=parts.scheme, script_name=parts.path or "/")
    return adapter.build(endpoint, values, force_external=True)


def issue_tracking_token(ticket_id: int) -> str:
    """A new tracking token for the ticket, added to the session but not committed (the caller's use
    case commits it, e.g. with the e-mail that carries it). Returns the plaintext, which is never
    stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(TrackingToken(ticket_id=ticket_id, token_hash=token_hash(token)))
    return token


def tracking_url(token: str) -> str:
    """The absolute address of a tracking page, on `PUBLIC_BASE_URL` (e-mails have no request to ask)."""
    return public_url("portal.track", token=token)


def survey_link(ticket_id: int) -> str | None:
    """A fresh link to the ticket's survey (replacing any earlier one), or None when it was answered
    or there is none. Not committed: the caller commits with the mail that carries it."""
    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket_id))
    if survey is None or survey.answered_at is not None:
        return None
    return public_url("surveys.answer", token=issue_survey_token(survey))


def issue_survey_token(survey: Survey) -> str:
    """Mint the survey's link token (only its hash is kept); the previous token stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    survey.token_hash = token_hash(token)
    survey.sent_at = survey.sent_at or utcnow()
    return token
