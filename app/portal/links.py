"""The links we mail customers: their case's tracking page and its survey.

A link carries a random token of which only the SHA-256 is stored, so a leaked database opens no case.
Links are minted while a mail is written: the outbox asks for them as it delivers
(`notifications.signals.mail_values_requested`, answered in `portal.receivers`). The portal's pages and
the surveys look presented tokens up by their hash here.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from app.dbtypes import utcnow
from app.extensions import db
from app.portal.models import TrackingToken
from app.portal.surveys.models import Survey
from app.urls import public_url

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    """What is stored of a token, and what a presented token is looked up by."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


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
