"""People sign in and work in a real browser."""

import pytest

from tests.factories import PASSWORD, AgentFactory

pytestmark = pytest.mark.browser


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_agent_signs_in_and_out(page, live_app):
    agent = AgentFactory(name="Alex Agent", email="alex@example.com")

    sign_in(page, agent.email)

    assert page.get_by_text("Alex Agent · agent").is_visible()
    page.get_by_role("button", name="Sign out").click()
    assert page.url.endswith("/login")


def test_wrong_password_is_explained_next_to_the_field(page, live_app):
    AgentFactory(email="alex@example.com")

    sign_in(page, "alex@example.com", "not my password")

    assert page.get_by_role("alert").filter(has_text="Wrong e-mail or password").is_visible()


def test_admin_adds_a_person_who_can_then_sign_in(page, live_app):
    admin = AgentFactory(role="admin", email="admin@example.com")
    sign_in(page, admin.email)

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="New person").click()
    page.get_by_label("Name").fill("Pat Newcomer")
    page.get_by_label("E-mail").fill("pat@example.com")
    page.get_by_label("Role").select_option("supervisor")
    page.get_by_label("Initial password").fill("pat's first password")
    page.get_by_role("button", name="Create account").click()

    assert page.get_by_role("cell", name="pat@example.com").is_visible()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "pat@example.com", "pat's first password")
    assert page.get_by_text("Pat Newcomer · supervisor").is_visible()


def test_api_docs_render_offline(page, live_app):
    page.goto("/api/v1/docs")

    page.get_by_text("Switchboard API").first.wait_for()
    assert page.get_by_text("/api/v1/auth/token").first.is_visible()
    assert page.outside_requests == []
