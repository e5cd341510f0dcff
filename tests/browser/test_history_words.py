# ruff: noqa: RUF001 (Chinese punctuation in the texts a reader sees)
"""A Chinese-speaking agent works a complaint in the browser: the history reads in Chinese words, a
lowercase currency code is taken, and a refused value is explained in Chinese beside its field."""

from __future__ import annotations

import re

import pytest

from app.tickets import services
from tests.browser.test_sign_in import sign_in
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def test_a_chinese_agent_reads_the_history_and_an_error_in_chinese(page, live_app):
    agent = AgentFactory(name="王伟", email="wang@example.com", language="zh")
    ticket = services.open_ticket(
        subject="灯坏了",
        channel="web",
        customer={"name": "陈静", "email": "chen@example.com"},
        type="complaint",
        complaint={"category": "delivery", "severity": "high"},
        actor=agent,
    )
    sign_in(page, agent.email)
    page.goto(f"/tickets/{ticket.id}")

    complaint = page.locator("#complaint")
    complaint.get_by_label("赔偿金额").fill("120")
    complaint.get_by_label("币种（ISO 代码，如 CNY）").fill("usd")
    complaint.get_by_role("button", name="保存投诉记录").click()

    history = page.locator("#history")
    expect(history.get_by_text(re.compile(r"更改了投诉的赔偿币种：\s*— → USD"))).to_be_visible()
    expect(history.get_by_text(re.compile(r"更改了投诉的赔偿金额：\s*— → 120"))).to_be_visible()
    assert "compensation" not in history.inner_text()

    page.locator("#complaint").get_by_label("赔偿金额").fill("一百")
    page.locator("#complaint").get_by_role("button", name="保存投诉记录").click()

    expect(page.locator("#complaint").get_by_text("不是有效的数字。")).to_be_visible()
    assert "Not a valid" not in page.locator("main").inner_text()
    assert page.outside_requests == []
