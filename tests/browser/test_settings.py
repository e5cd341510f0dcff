"""Supervisors set up the desk in a real browser: queues, calendars, SLA policies and macros, with the
same refusals as the API and a word when someone else changed a setting meanwhile."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.tickets import services
from app.tickets.sla.models import SlaPolicy
from tests.browser.test_sign_in import sign_in
from tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def test_a_supervisor_sets_up_a_queue_its_hours_and_its_sla_policy(page, live_app):
    supervisor = AgentFactory(role="supervisor", email="sam@example.com")
    TeamFactory(name="Billing team")
    db.session.commit()
    sign_in(page, supervisor.email)

    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Queues").click()
    page.get_by_role("link", name="New queue").click()
    page.get_by_label("Queue name").fill("Billing")
    page.get_by_label("Team that serves it").select_option(label="Billing team")
    page.get_by_label("Skills an agent needs").fill("invoices, refunds")
    page.get_by_role("button", name="Create").click()
    page.get_by_text("“Billing” was created.").wait_for()
    row = page.get_by_role("row", name="Billing")
    expect(row).to_contain_text("Billing team")
    expect(row).to_contain_text("invoices, refunds")

    page.get_by_role("link", name="Settings", exact=True).first.click()
    page.get_by_role("link", name="Business-hours calendars").click()
    page.get_by_role("link", name="New calendar").click()
    page.get_by_label("Calendar name").fill("London office")
    page.get_by_label("Time zone").select_option("Europe/London")
    monday = page.get_by_role("group", name="Monday")
    monday.get_by_label("Opens").fill("09:00")
    monday.get_by_label("Closes").fill("17:30")
    holidays = page.get_by_role("group", name="Holidays (closed all day)")
    holidays.get_by_label("Date").fill("2026-12-25")
    holidays.get_by_label("Holiday name").fill("Christmas Day")
    page.get_by_role("button", name="Create").click()
    page.get_by_text("“London office” was created.").wait_for()
    office = page.get_by_role("row", name="London office")
    expect(office).to_contain_text("Monday 09:00\u201317:30")
    expect(office).to_contain_text("2026-12-25 Christmas Day")

    page.get_by_role("link", name="Settings", exact=True).first.click()
    page.get_by_role("link", name="SLA policies").click()
    page.get_by_role("link", name="New SLA policy").click()
    page.get_by_label("Policy name").fill("Billing first answers")
    page.get_by_label("Tickets of the queue").select_option(label="Billing")
    page.get_by_label("Business hours the targets count").select_option(label="London office")
    page.get_by_label("First response within (minutes)").fill("90")
    page.get_by_role("button", name="Create").click()
    page.get_by_text("“Billing first answers” was created.").wait_for()
    expect(page.get_by_role("row", name="Billing first answers")).to_contain_text("1 h 30 min")
    policy = db.session.scalar(db.select(SlaPolicy).where(SlaPolicy.name == "Billing first answers"))
    assert policy.first_response_seconds == 5400

    # The calendar is in use now: deleting it is refused, and the page says why.
    page.get_by_role("link", name="Settings", exact=True).first.click()
    page.get_by_role("link", name="Business-hours calendars").click()
    page.get_by_role("link", name="Delete “London office”…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete “London office”?")
    page.get_by_role("button", name="Delete “London office”").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "The calendar is used by SLA policies: Billing first answers."
    )
    assert page.outside_requests == []


def test_a_change_made_meanwhile_is_shown_and_what_was_typed_is_kept(page, live_app):
    supervisor = AgentFactory(role="supervisor", email="sam@example.com")
    queue = services.create_queue(name="Billing", description="Invoices", actor=supervisor)
    sign_in(page, supervisor.email)
    page.goto(f"/settings/queues/{queue.id}")

    services.update_queue(queue.id, {"description": "Invoices and refunds"}, actor=supervisor)
    page.get_by_label("Description").fill("Only invoices")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Someone changed this meanwhile")).to_be_visible()
    expect(page.locator(".stale")).to_contain_text("Invoices and refunds")
    expect(page.get_by_label("Description")).to_have_value("Only invoices")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("“Billing” was saved.").wait_for()
    db.session.expire_all()
    assert services.get_queue(queue.id).description == "Only invoices"


def test_a_chinese_speaking_supervisor_writes_a_macro_with_its_actions_as_rows(page, live_app):
    supervisor = AgentFactory(role="supervisor", email="li@example.com", language="zh")
    db.session.commit()
    sign_in(page, supervisor.email)

    page.get_by_role("link", name="设置", exact=True).click()
    page.get_by_role("link", name="快捷回复", exact=True).click()
    page.get_by_role("link", name="新建快捷回复").click()
    page.get_by_label("快捷回复名称").fill("已退款")
    page.get_by_label("将状态设为").select_option("solved")
    page.get_by_label("添加标签").fill("refund")
    page.get_by_label("添加回复").fill("我们已为您退款。")
    page.get_by_role("button", name="创建").click()
    page.get_by_text("已创建“已退款”。").wait_for()

    macro = db.session.scalars(services.list_macros()).one()
    assert macro.actions == {
        "set": {"status": "solved"},
        "add_tags": ["refund"],
        "reply": {"body": "我们已为您退款。", "public": True},
    }
