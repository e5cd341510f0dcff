"""The language switcher in a real browser."""

import pytest

from tests.factories import PASSWORD, AgentFactory

pytestmark = pytest.mark.browser


def test_switching_the_login_page_to_chinese_and_signing_in(page, live_app):
    agent = AgentFactory(name="Chen Jing", email="chen@example.com", language="en")
    page.goto("/login")

    page.get_by_role("link", name="简体中文").click()

    assert page.get_by_role("heading", name="登录").is_visible()
    page.get_by_label("电子邮件").fill(agent.email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # The switcher's choice outranks the agent's own language until switched back.
    assert page.get_by_role("button", name="退出登录").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"

    page.get_by_role("link", name="English").click()

    assert page.get_by_role("button", name="Sign out").is_visible()
