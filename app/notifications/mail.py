"""Sending one e-mail: by SMTP when `MAIL_SERVER` is set, otherwise appended to a local mail log.

The mail log (`MAIL_LOG`, default `instance/mail.log`) lets a fresh install show what it would have sent
(`/admin/mail`); one JSON object per line, so reading the latest ones needs no parser of our own. A
customer's erasure blanks the mails written to them (`forget_recipients`); writers take an exclusive lock
on the file, so an append never lands in the middle of that rewrite.
"""

from __future__ import annotations

import fcntl
import json
import smtplib
import ssl
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app

from app.config import INSTANCE_DIR
from app.dbtypes import utcnow

SMTP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    # The `Message-ID` without its domain: one per outbox row, the same on every attempt, so a mail
    # sent twice (a worker died after the server took it) is one message to the recipient's client.
    key: str | None = None


class MailError(Exception):
    """The mail could not be handed over (the server refused it or could not be reached)."""


def send(mail: Mail) -> str:
    """Deliver `mail`; returns how ("smtp" or "log"). Raises `MailError` when SMTP fails."""
    if current_app.config.get("MAIL_SERVER"):
        _send_smtp(mail)
        return "smtp"
    _append_to_log(mail)
    return "log"


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML as the richer alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or None
    message["Message-ID"] = f"<{mail.key}@{domain or 'localhost'}>" if mail.key else make_msgid(domain=domain)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def _send_smtp(mail: Mail) -> None:
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 0)
    message = build_message(mail, config.get("MAIL_DEFAULT_SENDER") or "switchboard@localhost")
    try:
        if config.get("MAIL_USE_SSL"):
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port or 465, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port or 25, timeout=SMTP_TIMEOUT_SECONDS)
        with client:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                client.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                client.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"{type(error).__name__}: {error}") from error


def mail_log_path() -> Path:
    return Path(current_app.config.get("MAIL_LOG") or INSTANCE_DIR / "mail.log")


def _append_to_log(mail: Mail) -> None:
    path = mail_log_path()
    record = {
        "at": utcnow().isoformat(),
        "to": mail.to,
        "subject": mail.subject,
        "text": mail.text,
        "key": mail.key,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as error:
        raise MailError(f"cannot write the mail log: {error}") from error


def forget_recipients(addresses: set[str]) -> None:
    """Blank the logged mails written to these addresses (a customer's erasure): address, subject and
    text go, the time stays."""
    path = mail_log_path()
    if not addresses or not path.is_file():
        return
    wanted = {address.lower() for address in addresses}
    with path.open("r+", encoding="utf-8") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        lines = [_blanked(line, wanted) for line in log]
        log.seek(0)
        log.writelines(lines)
        log.truncate()


def _blanked(line: str, addresses: set[str]) -> str:
    try:
        record = json.loads(line)
        to = str(record.get("to") or "").lower()
    except (ValueError, AttributeError):
        return line
    if to not in addresses:
        return line
    return json.dumps({"at": record.get("at"), "to": "", "subject": "", "text": ""}) + "\n"


def latest_logged(limit: int = 50) -> list[dict[str, Any]]:
    """The newest `limit` mails of the mail log, newest first (empty when nothing was logged)."""
    path = mail_log_path()
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as log:
        lines = deque(log, maxlen=limit)
    mails = []
    for line in reversed(lines):
        try:
            record = json.loads(line)
            record["at"] = datetime.fromisoformat(record["at"])
        except (ValueError, KeyError, TypeError):
            continue
        mails.append(record)
    return mails
