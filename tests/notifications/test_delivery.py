"""How a notification reaches its recipient: an SMTP server when one is configured, the mail log
otherwise; in the recipient's language and time zone."""

from __future__ import annotations

import email
import re
import socket
from datetime import UTC, datetime
from email import policy

import pytest

from app.extensions import db
from app.notifications import services as notifications
from app.tickets import services
from tests.customer_factories import CustomerFactory
from tests.factories import PASSWORD
from tests.helpers import sign_in
from tests.notifications.conftest import outbox

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    """An SMTP server's handler keeping what it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    port = _free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="help@example.com")
    yield inbox
    controller.stop()


def test_with_a_mail_server_configured_mail_goes_out_by_smtp(smtp_server, customer, mail_log):
    ticket = services.open_ticket(subject="Lamp broken", channel="email", customer_id=customer.id, actor=None)

    [message] = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == ["olivia@example.com"]
    assert message["From"] == "help@example.com" and message["To"] == "olivia@example.com"
    assert message["Subject"] == f"We received your request [{ticket.reference}]"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Olivia Bennett" in text and "https://help.example.com/track/" in text
    assert "<strong>" + ticket.reference + "</strong>" in html
    assert outbox()[0].status == "sent"
    assert mail_log() == []


def test_an_unreachable_mail_server_is_a_failed_attempt(app, customer):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())

    services.open_ticket(subject="Lamp arrived broken", channel="email", customer_id=customer.id, actor=None)

    [row] = outbox()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("MailError: ConnectionRefusedError")


def test_without_a_mail_server_mail_goes_to_the_mail_log_shown_to_admins(customer, mail_log, client, admin):
    ticket = services.open_ticket(subject="Lamp broken", channel="web", customer_id=customer.id, actor=None)

    [logged] = mail_log()
    assert logged["to"] == "olivia@example.com"
    sign_in(client, admin.email, PASSWORD)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert f"We received your request [{ticket.reference}]" in page
    assert "To olivia@example.com" in page


def test_the_mail_log_shows_a_mails_web_addresses_as_links(customer, mail_log, client, admin):
    services.open_ticket(subject="Lamp broken", channel="web", customer_id=customer.id, actor=None)
    [logged] = mail_log()
    [address] = re.findall(r"https://help\.example\.com/\S+", logged["text"])

    sign_in(client, admin.email, PASSWORD)
    page = client.get("/admin/mail").get_data(as_text=True)

    assert f'<a href="{address}" rel="noopener noreferrer">{address}</a>' in page


def test_supervisors_may_not_read_the_mail_log_and_its_live_links(customer, client, supervisor):
    services.open_ticket(subject="Lamp broken", channel="web", customer_id=customer.id, actor=None)

    sign_in(client, supervisor.email, PASSWORD)

    assert client.get("/admin/mail").status_code == 403


def test_mail_to_a_chinese_speaking_customer_is_in_chinese_and_their_time_zone(app, mail_log, agent):
    wang = CustomerFactory(
        name="王芳", emails=["wang@example.com"], preferred_language="zh", timezone="Asia/Shanghai"
    )
    at = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    ticket = services.open_ticket(subject="发票抬头需要修改", channel="web", customer_id=wang.id, actor=None)
    ticket.created_at = at
    db.session.commit()
    [row] = outbox()
    assert row.language == "zh"

    rendered = notifications.render(row)

    assert rendered.subject == f"我们已收到您的请求 [{ticket.reference}]"
    assert rendered.text.startswith("王芳\uff0c您好")
    # 01:30 UTC is 09:30 in Shanghai, written the Chinese way.
    assert "2026年3月2日 09:30 UTC+8" in rendered.text
    assert 'lang="zh-Hans"' in rendered.html and "查看处理进度" in rendered.html
    assert mail_log()[0]["subject"].startswith("我们已收到您的请求")


@pytest.mark.parametrize("kind", notifications.KINDS)
def test_every_kind_has_english_and_chinese_templates(app, customer, supervisor, agent, kind):
    ticket = services.open_ticket(
        subject="Lamp", channel="api", customer_id=customer.id, assignee_id=agent.id, actor=agent
    )
    services.add_comment(ticket.id, body="Done", status="solved", actor=agent)
    target = ticket.sla_targets[0]
    context = {
        "public_reply": {"reply": "Hello"},
        "sla_breached": {"target": target.kind, "due_at": target.due_at.isoformat()},
        "tracking_links": {"ticket_ids": [ticket.id]},
        "sign_in_locked": {"locked_until": target.due_at.isoformat()},
    }.get(kind, {})
    about_a_ticket = kind != "sign_in_locked"
    for language in ("en", "zh"):
        customer.preferred_language = supervisor.language = language
        recipient = {"agent": supervisor} if kind in ("sla_breached", "sign_in_locked") else {}
        row = notifications.notify(
            kind, ticket=ticket if about_a_ticket else None, context=context, **recipient
        )
        db.session.flush()

        rendered = notifications.render(row)

        assert rendered.subject.strip()
        assert (ticket.reference in rendered.text + rendered.html) == about_a_ticket
        assert ("您" in rendered.text) == (language == "zh")
    db.session.rollback()
