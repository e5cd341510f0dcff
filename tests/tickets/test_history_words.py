"""The ticket page's history reads as people's words, in English and in Chinese: every kind of event the
audit trail records, every field and value, with names for ids and no stored value shown as stored."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale
from markupsafe import Markup

from app.customers import services as customers
from app.customers.services.merge import merge_customers
from app.extensions import db
from app.tickets import audit, audit_words, services
from app.tickets.models import TicketEvent
from tests.factories import AgentFactory
from tests.helpers import signed_in

APP = Path(__file__).resolve().parents[2] / "app"
DUE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
# What people typed or named, which a line may show as typed (in Chinese, so what is left is ours).
TYPED = ("王伟", "李娜", "陈静", "刘洋", "账务", "售后", "打印机着火", "打印机冒烟", "加急", "合同", "黄金")


def _recorded_kinds_in_code() -> set[str]:
    """Every kind `audit.record(...)` is called with anywhere in the application (a literal, or either
    literal of a conditional)."""
    kinds: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and len(node.args) >= 2
            ):
                for part in ast.walk(node.args[1]):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        kinds.add(part.value)
    return kinds


@pytest.fixture
def history(app):
    """One of each event the trail records, made by the services that record them."""
    agent = AgentFactory(name="王伟", language="zh")
    colleague = AgentFactory(name="李娜")
    first = customers.create_customer(name="陈静", emails=["chen@example.com"], actor=agent)
    second = customers.create_customer(name="刘洋", emails=["liu@example.com"], actor=agent)
    billing = services.create_queue(name="账务", actor=agent)
    support = services.create_queue(name="售后", actor=agent)

    ticket = services.open_ticket(
        subject="打印机着火",
        channel="web",
        customer_id=second.id,
        type="complaint",
        complaint={"category": "delivery", "severity": "medium"},
        queue_id=billing.id,
        assignee_id=agent.id,
        actor=agent,
    )

    def update(changes):
        current = services.get_ticket(ticket.id)
        services.update_ticket(ticket.id, changes, expected_version=current.version, actor=agent)

    update(
        {"subject": "打印机冒烟", "description": "<p>加急</p>", "priority": "urgent", "queue_id": support.id}
    )
    update({"custom_fields": {"合同": "黄金"}, "tags": ["加急"]})
    update({"assignee_id": colleague.id})
    update(
        {
            "complaint": {
                "category": "billing",
                "severity": "critical",
                "desired_outcome": "compensation",
                "root_cause": "加急",
                "remedy": "加急",
                "compensation_amount": "1234.50",
                "compensation_currency": "usd",
                "compensation_note": "加急",
                "stage": "remedy_proposed",
            }
        }
    )
    services.add_comment(ticket.id, body="已处理", actor=agent)
    services.add_comment(ticket.id, body="内部", public=False, actor=agent)
    services.add_customer_message(ticket.id, body="谢谢")
    update({"status": "solved"})
    update({"complaint": {"follow_up_note": "加急"}})
    update({"status": "closed"})
    follow_up = services.add_customer_message(ticket.id, body="又坏了").ticket

    other = services.open_ticket(subject="打印机着火", channel="phone", customer_id=second.id, actor=agent)
    duplicate = services.open_ticket(
        subject="打印机着火", channel="phone", customer_id=second.id, actor=agent
    )
    for kind in ("related", "caused_by", "duplicate"):
        services.link_tickets(other.id, follow_up.id, kind=kind, actor=agent)
    services.merge_tickets(duplicate.id, other.id, actor=agent)
    merge_customers(second.id, first.id, actor=agent)

    # The file and the SLA check record through their own services; what they record is all the
    # lines need.
    shown = services.get_ticket(other.id)
    audit.record(shown, "attachment_added", actor=agent, field="attachments", new="加急.pdf")
    for kind in ("first_response", "next_response", "resolution"):
        audit.record(shown, "sla_breached", actor=None, actor_kind="system", field=kind, new=DUE)
        audit.record(shown, "sla_warning", actor=None, actor_kind="system", field=kind, new=DUE)
    db.session.commit()
    return agent, db.session.query(TicketEvent).order_by(TicketEvent.id).all()


def _raw_values(event: TicketEvent) -> list[str]:
    """What the event stores that must not reach a reader as stored."""
    raw = []
    for value in (event.old_value, event.new_value):
        if isinstance(value, str) and re.fullmatch(r"[a-z]+(_[a-z]+)*", value):
            raw.append(value)  # a word of the vocabulary: remedy_proposed, urgent
        if isinstance(value, str) and re.search(r"\d{4}-\d\d-\d\dT", value):
            raw.append(value)  # a moment as stored
        if isinstance(value, int) and not isinstance(value, bool):
            raw.append(f"#{value}")
    return raw


def test_every_kind_the_code_records_is_in_the_walk(history):
    _agent, events = history
    assert _recorded_kinds_in_code() <= {event.kind for event in events}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_event_reads_as_words_without_stored_values(app, history, language):
    _agent, events = history
    fields = {(event.kind, event.field) for event in events}
    with app.test_request_context(), force_locale(language):
        lines = audit_words.lines(events)
        for event, line in lines:
            # What a reader sees: a moment's <time> element keeps its machine form in an attribute.
            text = " ".join(
                part.striptags() if isinstance(part, Markup) else str(part)
                for part in (line.text, line.old, line.new)
                if part
            )
            # Each kind and field has its own sentence, not the fallback that names the kind alone.
            assert line.text != audit_words.label(event.kind), (event.kind, event.field)
            for raw in _raw_values(event):
                assert not re.search(rf"(?<![\w-]){re.escape(raw)}(?![\w-])", text), (
                    event.kind,
                    event.field,
                    text,
                )
            if language == "zh":
                left = text
                for typed in ("加急.pdf", *TYPED, *re.findall(r"[A-Z]+-\d+", text), "USD"):
                    left = left.replace(typed, "")
                assert not re.search(r"[A-Za-z]{2,}", left), (event.kind, event.field, text)
    assert len(fields) >= 30


def test_ids_read_as_names_and_values_in_the_readers_notation(app, history):
    _agent, events = history
    with app.test_request_context(), force_locale("en"):
        lines = [line for _event, line in audit_words.lines(events)]
    texts = {f"{line.text} {line.old} → {line.new}" for line in lines if line.is_change}
    assert "changed the priority: Normal → Urgent" in texts
    assert "moved the complaint to Remedy proposed" in {line.text for line in lines}
    assert "changed the complaint's compensation currency: — → USD" in texts
    assert "changed the complaint's compensation amount: — → 1,234.5" in texts
    assert "moved the ticket to another queue: 账务 → 售后" in texts
    assert "changed the assignee: 王伟 → 李娜" in texts
    assert "moved the ticket to the customer profile it was merged into: 刘洋 → 陈静" in texts
    assert "changed the description: — → 加急" in texts


def test_a_chinese_agent_reads_the_history_on_the_ticket_page(client, history):
    agent, events = history
    ticket_id = next(
        e.ticket_id for e in events if e.kind == "complaint" and e.field == "compensation_currency"
    )
    page = signed_in(client, agent).get(f"/tickets/{ticket_id}").get_data(as_text=True)
    history_html = page[page.index('id="history"') :]

    assert "更改了投诉的赔偿币种" in history_html
    assert '<span class="old">—</span> → <span class="new">USD</span>' in history_html
    assert "将投诉推进到“已提出补救方案”" in history_html
    assert "remedy_proposed" not in history_html and "compensation_currency" not in history_html
