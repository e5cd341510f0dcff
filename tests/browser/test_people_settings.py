"""Admins and supervisors set up people, teams and break reasons in a real browser, in English and
Chinese."""

import pytest

from app.accounts import services as accounts
from tests.browser.test_sign_in import sign_in
from tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_person_with_a_team_a_skill_and_a_time_zone(page, live_app):
    admin = AgentFactory(role="admin", email="admin@example.com")
    TeamFactory(name="Billing")
    sign_in(page, admin.email)

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="New person").click()
    page.get_by_label("Name").fill("Pat Newcomer")
    page.get_by_label("E-mail").fill("pat@example.com")
    page.get_by_label("Role").select_option("supervisor")
    page.get_by_role("combobox", name="Language").select_option("zh")
    page.get_by_label("Time zone").select_option("Asia/Shanghai")
    page.get_by_label("Billing").check()
    page.locator("#skills-0-name").fill("Mandarin")
    page.locator("#skills-0-level").select_option("5")
    page.get_by_label("Initial password").fill("pat's first password")
    page.get_by_role("button", name="Create account").click()

    row = page.get_by_role("row").filter(has_text="pat@example.com")
    assert row.get_by_role("cell", name="Asia/Shanghai").is_visible()
    assert row.get_by_role("cell", name="mandarin (5)").is_visible()
    assert row.get_by_role("cell", name="Billing").is_visible()


def test_a_refused_person_comes_back_with_the_message_beside_the_field(page, live_app):
    admin = AgentFactory(role="admin", email="admin@example.com")
    sign_in(page, admin.email)
    page.goto("/settings/people/new")

    page.get_by_label("Name").fill("Pat Newcomer")
    page.get_by_label("E-mail").fill("pat@example.com")
    page.get_by_label("Initial password").fill("short")
    page.get_by_role("button", name="Create account").click()

    assert page.locator("#password-errors").is_visible()
    assert page.get_by_label("Name").input_value() == "Pat Newcomer"


def test_disabling_asks_first_and_a_disabled_person_is_enabled_again(page, live_app):
    admin = AgentFactory(role="admin", email="admin@example.com")
    pat = AgentFactory(name="Pat Lee", email="pat@example.com")
    accounts.create_api_token(pat.id, name="script")
    sign_in(page, admin.email)
    page.goto("/settings/people")

    page.get_by_role("link", name="Disable Pat Lee…").click()

    assert page.get_by_role("heading", name="Disable Pat Lee?").is_visible()
    assert page.get_by_text("Their API token is revoked").is_visible()
    assert page.get_by_text("Tickets assigned to them stay assigned to them").is_visible()
    page.get_by_role("button", name="Disable Pat Lee").click()
    assert page.get_by_text("Pat Lee is disabled").is_visible()
    page.get_by_role("button", name="Enable Pat Lee").click()
    assert page.get_by_text("Pat Lee can sign in again").is_visible()
    assert page.get_by_role("link", name="Disable Pat Lee…").is_visible()


def test_a_supervisor_sets_up_a_team_and_a_break_reason_in_chinese(page, live_app):
    supervisor = AgentFactory(role="supervisor", email="sue@example.com", language="zh")
    AgentFactory(name="Alex Agent", email="alex@example.com")
    sign_in(page, supervisor.email)

    page.get_by_role("link", name="设置").click()
    page.get_by_role("link", name="团队").click()
    page.get_by_role("link", name="新建团队").click()
    page.locator("#name").fill("Tier 1")
    page.get_by_label("Alex Agent <alex@example.com>").check()
    page.get_by_role("button", name="创建").click()
    assert page.get_by_role("cell", name="Alex Agent").is_visible()

    page.goto("/settings/break-reasons/new")
    page.locator("#name").fill("午餐")
    page.locator("#max_minutes").fill("999")
    page.get_by_role("button", name="创建").click()
    assert page.locator("#max_minutes-errors").is_visible()
    page.locator("#max_minutes").fill("45")
    page.get_by_role("button", name="创建").click()
    assert page.get_by_role("cell", name="45 分钟").is_visible()
