# ruff: noqa: RUF001 (the page texts are Chinese, full-width punctuation included)
"""A customer who reads Chinese files a complaint, follows it, writes back and rates the service, all in
Chinese; the mails about the case are written in Chinese too."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Notification
from app.portal import links
from app.tickets import services
from app.tickets.models import Ticket
from tests.factories import AgentFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def test_a_chinese_speaking_customer_complains_follows_replies_and_rates(page, live_app):
    agent = AgentFactory(name="Lin Agent", email="lin@example.com")
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})

    page.goto("/complaints/new")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.get_by_label("你的姓名").fill("王芳")
    page.get_by_label("电子邮件地址").fill("wang.fang@example.com")
    page.get_by_label("你要投诉什么？").select_option("delivery")
    page.get_by_label("发生了什么？").fill("包裹送到时已经压坏了。")
    page.get_by_label("换货").check()
    page.get_by_label("4", exact=True).check()
    page.get_by_role("button", name="提交投诉").click()

    page.wait_for_url("**/complaints/sent")
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"SB-\d{6}", reference)
    page.locator("#tracking-link").click()
    page.wait_for_url("**/track/**")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"你的事项 {reference}")
    expect(page.locator("#status")).to_have_text("已接收")

    page.get_by_label("你的留言").fill("照片随后寄出。")
    page.get_by_role("button", name="发送消息").click()
    expect(page.get_by_role("status")).to_have_text("谢谢，你的留言已添加到事项中。")

    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    assert ticket.customer.preferred_language == "zh"
    ticket = services.claim_ticket(ticket.id, actor=agent)
    services.update_ticket(
        ticket.id,
        {"complaint": {"root_cause": "快递途中挤压", "remedy": "换一个新花瓶"}},
        expected_version=ticket.version,
        actor=agent,
    )
    services.add_comment(ticket.id, body="新的花瓶已经寄出。", status="solved", actor=agent)
    link = links.survey_link(ticket.id)
    db.session.commit()

    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="我们做得怎么样？", level=1)).to_be_visible()
    satisfaction = page.get_by_role("group", name="你对我们处理你请求的方式满意吗？")
    satisfaction.locator("input[value='5']").check()
    page.get_by_role("button", name="提交我的回答").click()
    expect(page.get_by_role("heading", name="感谢你的回答")).to_be_visible()

    mails = db.session.scalars(select(Notification).where(Notification.ticket_id == ticket.id)).all()
    assert {mail.kind for mail in mails} >= {"ticket_received", "ticket_solved"}
    assert {mail.language for mail in mails} == {"zh"}
