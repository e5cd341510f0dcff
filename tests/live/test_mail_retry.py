"""Mail delivery on the real worker against an SMTP server that turns mails away.

The worker sends through SMTP (`MAIL_SERVER`) to a server in the test process that answers by recipient:
`busy-*` addresses get "451 try again later" twice, then are accepted; `refused-*` addresses always get
"550 no such mailbox". Retries wait 2 s, then 4 s (`NOTIFICATION_RETRY_BASE_SECONDS`), three tries at
most (`NOTIFICATION_MAX_ATTEMPTS`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict
from types import SimpleNamespace

import pytest

from tests.live.conftest import eventually, smtp_server, start_desk

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

RETRY_BASE_SECONDS = 2
MAX_ATTEMPTS = 3
BUSY_ANSWERS = 2


class FussySmtpServer:
    """aiosmtpd handler: every attempt per recipient is timed; what is accepted is kept."""

    def __init__(self):
        self.lock = threading.Lock()
        self.attempts: dict[str, list[float]] = defaultdict(list)
        self.accepted: dict[str, list[bytes]] = defaultdict(list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.attempts[address].append(time.monotonic())
            tries = len(self.attempts[address])
        if address.startswith("refused-"):
            return "550 5.1.1 No such mailbox here"
        if address.startswith("busy-") and tries <= BUSY_ANSWERS:
            return "451 4.3.2 Too busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for address in envelope.rcpt_tos:
                self.accepted[address].append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp():
    with smtp_server(FussySmtpServer()) as handler:
        yield handler


@pytest.fixture(scope="module")
def desk(stack, smtp):
    stack.configure(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        NOTIFICATION_RETRY_BASE_SECONDS=RETRY_BASE_SECONDS,
        NOTIFICATION_MAX_ATTEMPTS=MAX_ATTEMPTS,
    )
    web, worker, admin = start_desk(stack)
    return SimpleNamespace(stack=stack, web=web, worker=worker, admin=admin)


def email_ticket(desk, email: str) -> int:
    """A ticket that came in by e-mail (through the API), whose confirmation goes to `email`."""
    created = desk.admin.post(
        "/api/v1/tickets",
        json={"subject": "Broken kettle", "channel": "email", "customer": {"name": "Kim", "email": email}},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def settled_notification(desk, ticket_id: int):
    """The ticket's confirmation once the worker is done with it (sent or failed), read with SQL."""
    [row] = eventually(
        lambda: desk.stack.sql(
            "SELECT status, attempts, last_error, sent_at FROM notifications"
            " WHERE ticket_id = :id AND kind = 'ticket_received' AND status IN ('sent', 'failed')",
            id=ticket_id,
        ),
        what=f"the confirmation of ticket {ticket_id} to be sent or failed",
    )
    return row


def test_a_mail_the_server_turns_away_for_a_while_is_retried_with_growing_waits_then_sent(desk, smtp):
    email = f"busy-{secrets.token_hex(4)}@example.com"

    ticket_id = email_ticket(desk, email)

    row = settled_notification(desk, ticket_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", BUSY_ANSWERS + 1, None)
    first, second, third = smtp.attempts[email]
    # Waits of 2 s, then 4 s. RQ books a delayed job to the whole second, so it may start up to a second
    # early (the row can be claimed a second before its time for that reason).
    assert second - first >= RETRY_BASE_SECONDS - 1
    assert third - second >= 2 * RETRY_BASE_SECONDS - 1
    [message] = smtp.accepted[email]
    assert b"Broken kettle" in message
    [shown] = desk.admin.get(f"/api/v1/tickets/{ticket_id}/notifications").json()
    assert (shown["status"], shown["attempts"], shown["last_error"]) == ("sent", 3, None)


def test_a_mail_the_server_refuses_is_marked_failed_after_its_attempts(desk, smtp):
    email = f"refused-{secrets.token_hex(4)}@example.com"

    ticket_id = email_ticket(desk, email)

    row = settled_notification(desk, ticket_id)
    assert (row.status, row.attempts, row.sent_at) == ("failed", MAX_ATTEMPTS, None)
    assert "550" in row.last_error and "No such mailbox" in row.last_error
    assert len(smtp.attempts[email]) == MAX_ATTEMPTS
    assert smtp.accepted[email] == []
    [shown] = desk.admin.get(f"/api/v1/tickets/{ticket_id}/notifications").json()
    assert (shown["status"], shown["attempts"]) == ("failed", MAX_ATTEMPTS)
