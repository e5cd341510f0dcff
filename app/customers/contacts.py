"""Normalizing contact points, so that one stored form answers every way people write them.

E-mails are validated (no DNS lookups: a CRM must accept addresses it cannot resolve right now) and
lowercased; phones are parsed with `phonenumbers` in the configured default region and stored in E.164.
Both raise `Invalid` with the message under the field name the caller passes.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.errors import Invalid

PHONE_MESSAGE = _l("Not a valid phone number.")
EMAIL_MESSAGE = _l("Not a valid e-mail address.")
# Longest input worth handing to phonenumbers; longer strings are not phone numbers anyway.
MAX_PHONE_INPUT = 40


def normalize_email(raw: str, field: str = "email") -> str:
    """`Jane.Doe@Example.COM ` -> `jane.doe@example.com`."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(EMAIL_MESSAGE, {field: [str(exc)]}) from exc


def normalize_phone(raw: str, field: str = "phone", region: str | None = None) -> str:
    """`(201) 555-0123` -> `+12015550123` in the default region; numbers with `+` keep their country."""
    region = region or current_app.config["DEFAULT_PHONE_REGION"]
    text = raw.strip()
    if not text or len(text) > MAX_PHONE_INPUT:
        raise Invalid(PHONE_MESSAGE, {field: [PHONE_MESSAGE]})
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise Invalid(PHONE_MESSAGE, {field: [PHONE_MESSAGE]}) from exc
    if not phonenumbers.is_valid_number(number):
        raise Invalid(PHONE_MESSAGE, {field: [PHONE_MESSAGE]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_or_none(raw: str) -> str | None:
    """The E.164 form if `raw` is a valid phone number, else None (for free-text search)."""
    try:
        return normalize_phone(raw)
    except Invalid:
        return None
